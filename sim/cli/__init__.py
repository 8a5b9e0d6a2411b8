"""The ``negsim`` command line (typer), one module per command group."""

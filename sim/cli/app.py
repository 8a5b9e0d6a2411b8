"""The ``negsim`` entry point: importing each command module registers its commands on the one typer app.

Imported in the order of the flow, so ``negsim --help`` lists commands in that order.
"""

# isort: skip_file
from sim.cli import zone  # noqa: F401
from sim.cli import studies  # noqa: F401
from sim.cli import robustness  # noqa: F401
from sim.cli import proposals  # noqa: F401
from sim.cli import negotiation  # noqa: F401
from sim.cli import interop  # noqa: F401
from sim.cli import scenario  # noqa: F401
from sim.cli import calibrate  # noqa: F401
from sim.cli import loop  # noqa: F401
from sim.cli import explore  # noqa: F401
from sim.cli.common import app

__all__ = ["app"]

"""negsim: which settlement packages could every party accept, and how sure can we be.

The flow, one module per step: ``scenario`` (load and validate) -> ``space`` (the package grid) ->
``preferences`` (sampled utilities) -> ``zone`` (Monte-Carlo acceptable zone) -> ``runs`` (run directories)
-> ``plots`` / ``report``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("negsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

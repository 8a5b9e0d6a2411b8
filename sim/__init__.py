"""negsim: which settlement packages could every party accept, and how sure can we be.

The flow, one package per step, each importing only those before it: ``scenario`` (the format: load and
validate) -> ``zone`` (package grid, sampled preferences, Monte-Carlo zone, bargaining) -> ``outputs`` (run
directories, tables, plots, report) -> ``studies`` (many runs) / ``negotiation`` (the Mesa layer) -> ``cli``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("negsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

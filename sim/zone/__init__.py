"""The numeric core, pure numpy: the package grid, sampled preferences, the Monte-Carlo zone, bargaining."""

"""Studies made of many zone runs: sensitivity and what-if (sweeps and comparisons land here too)."""

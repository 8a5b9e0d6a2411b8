"""Upper bounds on the work one command may be asked to do, shared by the scenario format and the command line.

A mailed scenario or a typo (``--samples 1000000000``, ``rounds: 1e18``) must be refused in one line before any
work starts, not run for hours or end in a MemoryError (issue 24). The same constants bound the file's ``run:``
block (``sim.scenario.model.RunSettings``) and the CLI options, so a value the file may not hold cannot be passed
on the command line either. Memory is checked separately, before a run starts (``sim.outputs.budget``).
"""

MAX_SAMPLES = 1_000_000
"""Monte-Carlo samples of one run: beyond this the interval half-width (±0.001 at p = 0.5) is far below any
modelling error, and the per-sample arrays of a real scenario no longer fit a workstation."""

MAX_ROUNDS = 10_000
"""Rounds of one negotiation: a deadline of 60 is the default; 10,000 rounds is far past any concession path."""

MAX_RUNS = 1_000_000
"""Negotiation runs of one ``negotiate`` (the interval of an agreement rate is ±0.001 at this count)."""

MAX_NEGOTIATION_ROUNDS = 20_000_000
"""Runs x rounds of one ``negotiate``. Measured: about 2 ms of CPU per played round (golden scenario, traced runs,
load average 14 on 2 cores), so this is at most about 11 hours; more is refused up front. The default (1,000 runs
of 60 rounds) is 60,000."""

"""Every bound negsim puts on untrusted input and on the work it asks for, in one place (issue 24, "bounded work").

A scenario may come from a colleague's mail: reading it, and running what it asks for, must end in bounded time and
memory with an answer or one clear line. The scenario models (``run.samples``, ``run.rounds``, labels) and the
command-line options (``--samples``, ``--rounds``, ``--runs``) use these same constants, so a file and the command
line can never disagree. Each bound says why it is where it is; the largest shipped scenario, ``baseline.yaml``, is
28 KB, about 2,500 values, its longest text 375 characters and its longest label 138.
"""

from __future__ import annotations

MAX_SAMPLES = 1_000_000
"""Monte-Carlo samples of one run: the zone's interval half-width at 10^6 samples is ~0.001, finer than any input
number's meaning; what fits in memory below this bound is the run's own estimate's business."""

MAX_ROUNDS = 10_000
"""Rounds of one negotiation (`run.rounds`, `--rounds`): the shipped scenarios use 30-60; at ~0.1 ms a round a run
of 10^4 rounds is about a second, where 10^18 ran for ever."""

MAX_RUNS = 1_000_000
"""Independent negotiation runs (`negotiate --runs`): an agreement rate's interval at 10^6 runs is ~0.001 wide."""

MAX_LABEL = 1_000
"""Characters of a label, title or name (what tables, plots and pages show): ~7x the longest shipped one. A
131,072-character label broke every CSV read back on resume (the csv module's field limit)."""

MAX_TEXT = 20_000
"""Characters of any one text value (a description, a reason, a quote): ~50x the longest shipped one."""

MAX_FILE_BYTES = 4 * 2**20
"""Bytes of one scenario file (~140x the baseline); bigger files are refused before they are parsed."""

MAX_LINES = 100_000
"""Lines of one scenario file (the baseline has ~700): PyYAML's pure-Python scanner took 6.6 s to get through 3 MB
of newlines, which this refuses before scanning."""

MAX_DEPTH = 64
"""Nesting levels (a scenario needs 6); PyYAML composes recursively, so 500 levels raised RecursionError."""

MAX_VALUES = 100_000
"""Values in one file, every alias expanded (~40x the baseline); counted in a fast pass before the slow one."""

MAX_SOURCE_BYTES = 50_000_000
"""Bytes of one source's local copy (`sources.X.file`) that `validate` reads to find quotes in."""

MAX_NEGOTIATION_ROUNDS = 20_000_000
"""Runs x rounds of one ``negotiate`` (the files engineer's, issue 24). Measured: about 2 ms of CPU per played round
(golden scenario, traced runs, load average 14 on 2 cores), so this is at most about 11 hours; more is refused up
front. The default (1,000 runs of 60 rounds) is 60,000."""

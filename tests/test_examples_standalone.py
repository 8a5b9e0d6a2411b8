"""The README and ``--help`` examples that need no earlier example's output (studies, score, whatif, catalogue,
import): a module of their own, so they run on the other core beside the README loop (tests/test_examples.py)."""

from __future__ import annotations

from tests.test_examples import chained, run_examples


def test_the_standalone_examples_run(tmp_path):
    run_examples(chained()[1], tmp_path)

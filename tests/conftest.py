from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NEGSIM = Path(sys.executable).parent / "negsim"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def golden_path() -> Path:
    return DATA / "golden.yaml"


from hypothesis import settings  # noqa: E402

# Shared machines vary in speed: no per-example deadline, and a fixed example budget keeps `make test` short.
settings.register_profile("negsim", deadline=None, max_examples=50)
settings.load_profile("negsim")

pytest_plugins = ["tests.loop_runs"]  # session fixtures of the loop's tests (compare, batch, report, browser)

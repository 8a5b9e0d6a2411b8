"""Session fixtures shared by the loop's tests (compare, batch, report, browser): small runs made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.test_cli import negsim

SAMPLES = "200"


def copied_scenarios(folder: Path) -> list[Path]:
    """Two copies of the golden scenario that keep its id (one with a looser reservation) and a third scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "golden.yaml").write_text((DATA / "golden.yaml").read_text())  # a scenario reads inside its folder
    same = folder / "copy.yaml"
    same.write_text("negsim: 1\nextends: golden.yaml\n")
    looser = folder / "looser.yaml"
    looser.write_text("negsim: 1\nextends: golden.yaml\nparties:\n  - id: alpha\n    reservation: [0.2, 0.5]\n")
    return [same, looser, DATA / "reciprocal.yaml"]


@pytest.fixture(scope="session")
def loop_batch(tmp_path_factory) -> Path:
    """A batch (default executor: a process pool of 2) of three scenarios, two sharing the id 'golden'."""
    root = tmp_path_factory.mktemp("loop_batch")
    out = root / "batch"
    result = negsim(
        "batch",
        *map(str, copied_scenarios(root / "scenarios")),
        "--samples",
        SAMPLES,
        "--out",
        str(out),
        "--plots-dir",
        str(root / "plots"),
    )
    (root / "stderr.txt").write_text(result.stderr)
    return out


@pytest.fixture(scope="session")
def loop_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("loop_sweep") / "sweep"
    negsim(
        "sweep",
        str(DATA / "golden.yaml"),
        "--vary",
        "alpha.reservation=0.2:0.5:4",
        "--samples",
        SAMPLES,
        "--seed",
        "4",
        "--executor",
        "local",
        "--out",
        str(out),
    )
    return out


@pytest.fixture(scope="session")
def loop_compare(loop_batch, tmp_path_factory) -> tuple[Path, str]:
    """compare of the batch's golden copy, its looser copy, and the copy again; returns (out dir, stdout)."""
    out = tmp_path_factory.mktemp("loop_compare") / "cmp"
    base, looser = loop_batch / "golden~copy", loop_batch / "golden~looser"
    result = negsim("compare", str(base), str(looser), str(base), "--out", str(out))
    return out, result.stdout


@pytest.fixture(scope="session")
def loop_review(loop_batch, loop_sweep, tmp_path_factory) -> Path:
    """One review page over the batch, the sweep and one run of the batch named again on its own."""
    page = tmp_path_factory.mktemp("loop_review") / "mail" / "review.html"
    negsim("report", str(loop_batch), str(loop_sweep), str(loop_batch / "reciprocal_deadlock"), "-o", str(page))
    return page

"""compare: paired intervals (coverage checked by simulation), scenario differences, and the real CLI."""

from __future__ import annotations

import csv

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.studies.compare import difference_interval
from tests.test_cli import negsim


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300))
def test_difference_interval_holds_its_estimate_and_is_narrow_for_identical_runs(pairs):
    x = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    diff, low, high = difference_interval(x, y)
    assert low <= diff + 1e-12 and diff <= high + 1e-12
    assert -1 - 1e-12 <= low and high <= 1 + 1e-12
    same, same_low, same_high = difference_interval(x, x)
    assert same == 0 and same_low <= 0 <= same_high
    if 0 < x.sum() < len(x):  # correlation 1: narrower than two independent estimates
        _, ind_low, ind_high = difference_interval(x, x[:-1]) if len(x) > 1 else (0, -1, 1)
        assert same_high - same_low < ind_high - ind_low


def test_paired_interval_covers_the_true_difference_about_95_percent_of_the_time():
    """Correlated pairs (as with common random numbers): true difference 0.05; the nominal level is 95 %."""
    rng = np.random.default_rng(11)
    trials, n, covered, narrower = 400, 300, 0, 0
    for _ in range(trials):
        u = rng.random(n)
        x, y = u < 0.40, u < 0.45  # the second run accepts a little more often, on the same samples
        diff, low, high = difference_interval(x, y)
        covered += low <= 0.05 <= high
        _, ind_low, ind_high = difference_interval(x, y[:-1])  # lengths differ: unpaired
        narrower += (high - low) < (ind_high - ind_low)
    assert 0.92 <= covered / trials <= 0.99
    assert narrower == trials  # pairing is what makes small changes visible


def test_compare_cli_flags_real_changes_and_only_them(loop_compare):
    out, stdout = loop_compare
    assert "alpha.reservation" in stdout and "[0.2, 0.5]" in stdout
    assert "identical scenarios and settings" in stdout
    with (out / "compare.csv").open() as file:
        rows = list(csv.DictReader(file))
    names = list(dict.fromkeys(r["run"] for r in rows))
    assert len(names) == 3  # the same directory twice still gets two names
    flagged = {(r["quantity"], names.index(r["run"])) for r in rows if r["beyond_noise"] == "True"}
    assert ("p_zone_nonempty", 1) in flagged and ("land.b_keeps", 1) in flagged
    assert not any(run == 2 for _, run in flagged)  # a run never differs from itself
    assert ("split_deal|beta", 1) not in flagged  # beta's acceptance does not move
    page = (out / "compare.html").read_text()
    assert "data:image/png;base64," in page and 'src="plots/' not in page
    assert "alpha.reservation" in page and "Glossary" in page


def test_compare_refuses_what_it_cannot_compare(loop_batch, tmp_path):
    missing = negsim("compare", str(loop_batch / "golden~copy"), str(tmp_path), check=False)
    assert missing.returncode == 2 and "not a negsim run directory" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_compare_measures_acceptance_on_the_same_package_in_both_runs(tmp_path):
    """Two baseline runs differing only in Russia's reservation: every party but Russia keeps exactly its
    acceptance of every offer (the first run's completion, re-scored in the second run's samples), and an offer
    whose best completion changed is listed as a different pick, not as a change of acceptance."""
    from sim.studies.compare import compare_runs, completion_changes
    from sim.studies.rundata import load_runs

    base, lower = tmp_path / "base", tmp_path / "lower"
    scenario = "scenarios/baseline.yaml"
    negsim("run", scenario, "--samples", "120", "--figures", "none", "--out", str(base))
    negsim(
        "run",
        scenario,
        "--samples",
        "120",
        "--figures",
        "none",
        "--set",
        "russia.reservation=[0.30,0.45]",
        "--out",
        str(lower),
    )
    runs = load_runs([base, lower])
    cells = [c for c in compare_runs(runs) if c.kind == "acceptance" and c.run == runs[1].name]
    assert cells and all(c.diff == 0 for c in cells if not c.quantity.endswith("|russia"))
    assert any(c.beyond_noise for c in cells if c.quantity.endswith("|russia"))
    moved = completion_changes(runs)
    assert moved  # the lower reservation picks other best completions for some offers ...
    printed = negsim("compare", str(base), str(lower), "--out", str(tmp_path / "cmp")).stdout
    assert "a different pick, not a change of acceptance" in printed  # ... said as such
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert "Best completions that changed" in page

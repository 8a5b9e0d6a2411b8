"""negsim report: one self-contained page over a batch, a sweep and a single run, through the real entry point."""

from __future__ import annotations

import re

from tests.test_cli import negsim


def test_report_over_a_batch_a_sweep_and_a_run_is_one_self_contained_page(loop_review):
    page = loop_review.read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources)  # nothing to lose by mail
    assert "<script" not in page and 'href="http' not in page
    assert "Scenarios side by side" in page and "Split the land" in page and "Mediator (no veto)" in page
    assert "Sweep of alpha.reservation" in page and "negsim run " in page  # each point's own command
    assert page.count("<figcaption>") == len(sources)  # every plot says what to read from it
    assert "Glossary" in page and "ratifier" in page and "blocker" in page
    assert "negsim batch " in page and "negsim sweep " in page  # the commands that made the runs
    for plot in ("zone by option", "offers acceptance", "Sweep of alpha.reservation: curves"):
        assert plot in page


def test_report_errors_are_one_line(tmp_path):
    result = negsim("report", str(tmp_path), "-o", str(tmp_path / "r.html"), check=False)
    assert result.returncode == 2 and "not a negsim run directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_variant_with_the_same_zone_says_so_and_where_its_changes_act(tmp_path):
    """Two runs of golden.yaml, the second with only alpha's power changed (a negotiation setting): the review page
    says the zone tables are equal and that the change acts only in negotiate; a zone-changing edit does not."""
    golden = "tests/data/golden.yaml"
    negsim("run", golden, "--samples", "40", "--out", str(tmp_path / "a"))
    negsim("run", golden, "--samples", "40", "--set", "alpha.power=3", "--out", str(tmp_path / "b"))
    negsim("run", golden, "--samples", "40", "--set", "alpha.reservation=0.9", "--out", str(tmp_path / "c"))
    page = tmp_path / "review.html"
    negsim("report", str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c"), "-o", str(page))
    text = page.read_text()
    assert "zone tables equal" in text and "alpha.power" in text and "act only in" in text
    assert "alpha.reservation" not in text.split("zone tables equal")[1].split("</p>")[0]

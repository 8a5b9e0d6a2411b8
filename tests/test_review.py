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


def test_each_scenario_of_a_batch_page_gives_its_answer_and_links_its_report(loop_review):
    """Issue 21: per scenario the best package with the next ones, the zone core, what would it take in one line per
    offer searched, and a link to the run's own report; scenario keys may wrap in the side-by-side table."""
    page = loop_review.read_text()
    runs = page.count("<h3>Answer</h3>")
    assert runs >= 2 and page.count("Full report of this scenario</a>") == runs
    assert re.findall(r'<a href="([^"]*report\.html)">Full report', page)
    assert "Every package ever in the zone holds" in page and "What would it take to bring each offer" in page
    assert "golden~\u200bcopy" in page or "_\u200b" in page or "~" not in page


def test_a_body_ratified_variant_with_the_same_zone_is_still_said_to_be_equal(tmp_path):
    """A body's vote shares are NaN where a package was not put to it; equal tables must still compare equal (the
    note was lost when those columns came: Arrow's equals has NaN != NaN)."""
    import yaml

    import sim
    from sim.studies.review import same_zone_notes
    from sim.studies.rundata import RunData
    from tests.conftest import DATA

    doc = yaml.safe_load((DATA / "ratified.yaml").read_text(encoding="utf-8"))
    doc["parties"][2]["electorate"] = {"rule": "majority", "voters": 50, "spread": {"reservation": 0.2}}
    body = tmp_path / "body.yaml"
    body.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    runs = []
    for name, edits in (("a", []), ("b", ["alpha.power=3"])):
        zone = sim.zone(sim.load(body, set=edits), samples=30, seed=3)
        runs.append(RunData(zone.save(tmp_path / name, plots=False), name=name))
    assert [note.split(":")[0] for note in same_zone_notes(runs)] == ["b"]
    assert "zone tables equal a's exactly" in same_zone_notes(runs)[0]
    import pyarrow as pa
    import pyarrow.parquet as pq

    for run in runs:  # a share column as the baseline's: NaN for a package the body never voted on in the zone
        table = pq.read_table(run.path / "zone.parquet")
        nan = pa.array([float("nan")] * table.num_rows)
        pq.write_table(table.append_column("share_never", nan), run.path / "zone.parquet")
    assert "zone tables equal a's exactly" in same_zone_notes(runs)[0]

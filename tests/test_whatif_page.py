"""A run's page answers "what would it take" for its named offers: the answers saved in the run directory are
``negsim whatif``'s (same samples, seed, target, at most 2 changes), read back for the page, each with its command;
an offer whose search is not cheap is left to its command, said on the page."""

from __future__ import annotations

import html
import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.outputs.answers import load_whatif

SCENARIO = """
negsim: 1
id: page-whatif
title: what would it take, on the page
issues:
  - {id: x, title: Border, options: [{id: x1, label: Line held}, {id: x2, label: Line moved}]}
  - {id: y, title: Army, options: [{id: y1, label: Small army}, {id: y2, label: Large army}]}
  - {id: z, title: Sanctions, options: [{id: z1, label: Kept}, {id: z2, label: Lifted}]}
parties:
  - {id: a, name: Alpha, role: negotiator, weights: {x: [0.3, 0.5], y: 0.3, z: 0.2},
     values: {x: {x1: 1, x2: 0.6}, y: {y1: 1, y2: 0.5}, z: {z1: 1, z2: 0.5}}, reservation: [0.35, 0.55]}
  - {id: b, name: Beta, role: negotiator, weights: {x: 0.5, y: [0.2, 0.4], z: 0.2},
     values: {x: {x1: 0, x2: 1}, y: {y1: 0.2, y2: 1}, z: {z1: 0, z2: 1}}, reservation: [0.3, 0.5],
     red_lines: [{option: x.x1, holds: 0.5}]}
  - {id: g, name: Gamma, role: guarantor, weights: {x: 1}, values: {x: {x1: 0, x2: 1}}, reservation: 0.5,
     red_lines: [y.y1, z.z1]}
offers:
  - {id: held, label: Hold the line, sponsor: a, fix: {x: x1, y: y1, z: z1}}
  - {id: moved, label: Move the line, fix: {x: x2}}
  - {id: kept, label: Keep sanctions, fix: {z: z1}}
  - {id: large, label: A large army, fix: {y: y2}}
run: {samples: 60, seed: 5}
"""


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    scenario = tmp_path / "page.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    invoke("run", str(scenario), "--out", str(out), "--figures", "none")
    return out


def test_the_page_holds_whatifs_answer_for_every_named_offer(run_dir: Path, tmp_path: Path):
    value = load_whatif(run_dir)
    assert value is not None and not value.not_searched
    assert {a.offer for a in value.answers} == {"held", "moved", "kept", "large"}
    kinds = {"found" if a.changes else "none needed" if a.changes == () else "proof" for a in value.answers}
    assert kinds == {"found", "none needed", "proof"}, kinds
    page = (run_dir / "report.html").read_text()
    for answer in value.answers:
        command = next(line for line in page.split("<code>") if f"--offer {answer.offer} " in line)
        args = shlex.split(command.split("</code>")[0].replace("&#x27;", "'"))
        saved = tmp_path / f"{answer.offer}.json"
        invoke(*args[1:], "--out", str(saved))
        expected = json.loads(saved.read_text())
        got = answer.as_json()
        for only_in_the_file in ("seconds", "scenario", "scenario_hash"):
            expected.pop(only_in_the_file)
        got.pop("seconds")
        assert got == expected
        shown = {None: answer.verdict(), (): "None needed"}.get(answer.changes) or answer.changes[0].text
        assert html.escape(shown) in page


def test_an_offer_whose_search_is_not_cheap_is_left_to_its_command(tmp_path: Path, monkeypatch):
    import sim.studies.whatif_page as whatif_page

    monkeypatch.setattr(whatif_page, "PAGE_PACKAGES", 0)  # only offers reaching the target as they stand are free
    scenario = tmp_path / "page.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    invoke("run", str(scenario), "--out", str(out), "--figures", "none")
    value = load_whatif(out)
    assert value is not None and value.not_searched
    searched = {a.offer for a in value.answers}
    assert all(a.changes == () for a in value.answers)  # what is searched for free needs no change
    assert searched | set(value.not_searched) == {"held", "moved", "kept", "large"}
    page = (out / "report.html").read_text()
    assert f"Not searched on this page</b> ({len(value.not_searched)} of 4 offers)" in page
    named = tmp_path / "named"
    invoke("run", str(scenario), "--out", str(named), "--figures", "none", "--whatif-offers", "held")
    chosen = load_whatif(named)
    assert chosen is not None and {a.offer for a in chosen.answers} == searched | {"held"}
    refused = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "x"), "--whatif-offers", "nope"])
    assert refused.exit_code == 2 and "--whatif-offers nope: no offer nope" in refused.output
    none = tmp_path / "none"
    invoke("run", str(scenario), "--out", str(none), "--figures", "none", "--whatif", "none")
    assert load_whatif(none) is None
    assert "Not computed for this run" in (none / "report.html").read_text()


def test_a_batch_searches_the_named_offers_only_for_the_scenarios_whatif_for_names(tmp_path: Path, monkeypatch):
    """``batch --whatif-offers held --whatif-for one``: the page of ``one`` answers ``held``; the other scenario's
    page leaves it to its command (as ``make run`` gives Article 5 without membership to the baseline only)."""
    import sim.studies.whatif_page as whatif_page

    monkeypatch.setattr(whatif_page, "PAGE_PACKAGES", 0)
    monkeypatch.setattr(whatif_page, "PAGE_CELLS", 0)
    for key in ("one", "two"):
        (tmp_path / f"{key}.yaml").write_text(SCENARIO.replace("id: page-whatif", f"id: {key}"))
    out = tmp_path / "b"
    files = [str(tmp_path / "one.yaml"), str(tmp_path / "two.yaml")]
    args = ["--figures", "none", "--executor", "local", "--whatif-offers", "held"]
    invoke("batch", *files, "--out", str(out), *args, "--whatif-for", "one")
    one, two = load_whatif(out / "one"), load_whatif(out / "two")
    assert one is not None and two is not None
    assert "held" in {a.offer for a in one.answers} and "held" not in one.not_searched
    assert "held" not in {a.offer for a in two.answers} and "held" in two.not_searched
    refused = CliRunner().invoke(app, ["batch", *files, "--out", str(tmp_path / "x"), "--whatif-for", "nope"])
    assert refused.exit_code == 2 and "--whatif-for nope: no scenario nope in this batch" in refused.output


def test_an_offer_the_scenario_rules_out_stays_out_because_of_the_scenario(tmp_path: Path):
    """A variant settling an issue (``fixed:``) leaves an offer asking otherwise no feasible completion: what stays
    is the scenario's settled issue, not every party's 'no completion avoids its red lines'."""
    import yaml

    doc = yaml.safe_load(SCENARIO)
    doc["fixed"] = {"z": "z2"}
    scenario = tmp_path / "settled.yaml"
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "run"
    invoke("run", str(scenario), "--out", str(out), "--figures", "none")
    value = load_whatif(out)
    assert value is not None
    held = next(a for a in value.answers if a.offer == "held")  # fixes z1 (ruled out) and needs 3 changes
    assert held.changes is None and [s.what for s in held.what_stays] == [
        "no feasible completion: the scenario fixes Sanctions = 'Lifted' and the offer asks 'Kept'"
    ]
    assert "the scenario fixes Sanctions = &#x27;Lifted&#x27;" in (out / "report.html").read_text()

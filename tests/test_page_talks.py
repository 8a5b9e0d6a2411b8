"""``negsim run --talks N``: the run's page answers "do talks get there?" with each protocol's short simulation,
the same numbers ``negsim negotiate`` gives for the same scenario, runs and seed; without it the page gives the
command. A batch gives talks only to the scenarios named by ``--talks-for``."""

from __future__ import annotations

import html
from pathlib import Path

from typer.testing import CliRunner

import sim
from sim.cli.app import app
from sim.outputs.answer_page import talks_sentence
from sim.outputs.answers import load_talks
from tests.conftest import DATA


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_the_page_holds_the_talks_negsim_negotiate_plays(tmp_path: Path):
    out = tmp_path / "run"
    invoke("run", str(DATA / "golden.yaml"), "--samples", "40", "--out", str(out), "--figures", "none", "--talks", "12")
    line = load_talks(out)
    assert line is not None and [p.protocol for p in line.protocols] == ["mediated", "alternating"]
    page = (out / "report.html").read_text()
    assert "Do talks get there?" in page and "failed although a zone existed" in page
    resolved = sim.load(out / "scenario.resolved.yaml")
    for protocol in line.protocols:
        assert line.command.replace("PROTOCOL", protocol.protocol).split()[1:3] == [
            "negotiate",
            str(out / "scenario.resolved.yaml"),
        ]
        played = sim.negotiate(resolved, protocol.protocol, runs=12, seed=line.seed)  # what the command plays
        assert protocol.runs == 12 and protocol.agreement == played.agreement_rate
        zone = [bool(row["zone_exists"]) for row in played.outcome_rows]
        agreed = [bool(row["agreed"]) for row in played.outcome_rows]
        assert protocol.zone_exists.p == sum(zone) / 12
        assert protocol.failed_with_zone.p == sum(z and not a for z, a in zip(zone, agreed, strict=True)) / 12
        assert str(protocol.agreement) in page and str(protocol.failed_with_zone) in page
        assert html.escape(talks_sentence(protocol)) in page


def test_without_talks_the_page_gives_the_command(tmp_path: Path):
    out = tmp_path / "run"
    invoke("run", str(DATA / "golden.yaml"), "--samples", "20", "--out", str(out), "--figures", "none")
    assert load_talks(out) is None
    page = (out / "report.html").read_text()
    assert "Talks were not simulated for this run" in page and "negsim negotiate" in page


def test_a_batch_refuses_talks_for_a_scenario_it_does_not_hold(tmp_path: Path):
    output = invoke(
        "batch",
        str(DATA / "golden.yaml"),
        "--out",
        str(tmp_path / "b"),
        "--talks",
        "5",
        "--talks-for",
        "nope",
        code=2,
    )
    assert "--talks-for nope: no scenario nope in this batch" in output


def test_a_batch_page_shows_the_talks_of_the_scenarios_that_had_them(tmp_path: Path):
    out = tmp_path / "b"
    invoke(
        "batch", str(DATA / "golden.yaml"), "--samples", "20", "--figures", "none", "--talks", "3", "--out", str(out)
    )
    line = load_talks(out / "golden")
    assert line is not None and [p.runs for p in line.protocols] == [3, 3]
    page = (out / "report.html").read_text()
    assert "Do talks get there?" in page and html.escape(talks_sentence(line.protocols[0])) in page

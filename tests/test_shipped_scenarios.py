"""The scenarios we ship: sourced, valid, runnable, and face-valid where the sources leave no doubt."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.scenario.catalogue import catalogue_markdown
from sim.scenario.checks import source_warnings
from sim.scenario.model import Scenario, load_scenario
from sim.zone.preferences import sample_preferences
from sim.zone.space import PackageSpace, option_index
from tests.conftest import ROOT
from tests.test_cli import negsim

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_claim_cites_a_defined_dated_source(path):
    scenario = load_scenario(path)  # an undefined source is a validation error
    assert source_warnings(scenario) == []  # every option, weight and red line cites; every source is dated
    for source in scenario.sources.values():
        assert source.title and source.date and (source.url or source.file)
        assert source.publisher or source.author
        if source.file:
            assert (ROOT.parent / "shared" / source.file).is_file() or source.file.startswith("seeds/")


def offer_completions(scenario: Scenario, offer_id: str) -> np.ndarray:
    space = PackageSpace.from_scenario(scenario)
    offer = next(o for o in scenario.offers if o.id == offer_id)
    codes = space.codes(np.arange(space.size))
    match = np.ones(space.size, dtype=bool)
    for issue_id, option_id in offer.fix.items():
        issue, option = option_index(space.issue_ids, space.option_ids, f"{issue_id}.{option_id}")
        match &= codes[:, issue] == option
    return codes[match & space.feasible(codes)]


def share_accepting_some_completion(scenario: Scenario, offer_id: str, party_id: str) -> float:
    prefs = sample_preferences(scenario, 500, np.random.default_rng(0))
    space = PackageSpace.from_scenario(scenario)
    accepts = prefs.acceptable(space, offer_completions(scenario, offer_id))
    return float(accepts[prefs.party_ids.index(party_id)].any(axis=0).mean())


def test_russian_memorandum_is_rejected_by_ukraine():
    """The memorandum fixes recognition of Crimea as Russian, one of Ukraine's red lines [S2]: every completion
    breaks it, so Ukraine rejects it in every sample, whatever the weights."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    memo = next(o for o in scenario.offers if o.id == "russia_istanbul_memo")
    ukraine = next(p for p in scenario.parties if p.id == "ukraine")
    assert f"crimea.{memo.fix['crimea']}" in ukraine.red_line_options
    assert share_accepting_some_completion(scenario, "russia_istanbul_memo", "ukraine") <= 0.05


def test_ukrainian_roadmap_is_rejected_by_russia():
    """The roadmap keeps the path to NATO membership and a coalition force in Ukraine, both Russian red lines
    ('would never tolerate Ukraine inside NATO', 'categorically opposes' NATO-country troops [S1])."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    roadmap = next(o for o in scenario.offers if o.id == "ukraine_roadmap")
    russia = next(p for p in scenario.parties if p.id == "russia")
    assert f"alliance.{roadmap.fix['alliance']}" in russia.red_line_options
    assert f"troops.{roadmap.fix['troops']}" in russia.red_line_options
    assert share_accepting_some_completion(scenario, "ukraine_roadmap", "russia") <= 0.05


def test_russia_states_two_key_conditions_as_its_heaviest_issues():
    """[S2]: Russia prioritises 'Ukraine's non-membership in NATO and the annexation of contested regions'."""
    russia = next(p for p in load_scenario(ROOT / "scenarios" / "baseline.yaml").parties if p.id == "russia")
    midpoint = {issue: sum(bounds) / 2 for issue, bounds in russia.weights.items()}
    assert sorted(midpoint, key=midpoint.get, reverse=True)[:2] == ["alliance", "donbas"]


def test_generated_catalogue_document_is_current():
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert (ROOT / "docs" / "catalogue.md").read_text() == catalogue_markdown(scenario) + "\n", (
        "docs/catalogue.md is stale: run `make docs`"
    )


def test_batch_runs_every_shipped_scenario(tmp_path):
    result = negsim(
        "batch",
        str(ROOT / "scenarios"),
        "--samples",
        "16",
        "--out-root",
        str(tmp_path / "runs"),
        "--plots-dir",
        str(tmp_path / "plots"),
    )
    for path in SCENARIOS:
        assert load_scenario(path).id in result.stdout
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*/*/manifest.json")]  # runs/<batch>/<id>
    assert len(manifests) == len(SCENARIOS) and all(m["status"] == "complete" for m in manifests)
    assert len(list((tmp_path / "plots").glob("*/zone_by_option.png"))) == len(SCENARIOS)
    assert "offer: P(completion in zone)" in result.stdout

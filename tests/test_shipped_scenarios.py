"""The scenarios we ship: sourced, valid, runnable, and face-valid where the sources leave no doubt."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sim.scenario.advice import source_warnings, weight_warnings
from sim.scenario.catalogue import catalogue_markdown
from sim.scenario.checks import citations
from sim.scenario.citations import citation_findings
from sim.scenario.loading import load_scenario, load_scenario_located
from sim.scenario.model import Scenario
from sim.scenario.observations import load_data
from sim.studies.fit import ShareModel, link_name
from sim.studies.proposals import read_stamp
from sim.studies.whatif import completion_codes, offer_fix
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace
from tests.conftest import ROOT
from tests.test_cli import negsim

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_claim_cites_a_defined_dated_source(path):
    scenario = load_scenario(path)  # an undefined source is a validation error
    assert source_warnings(scenario) == []  # every option, weight and red line cites; every source is dated
    for source in scenario.sources.values():
        assert source.title and source.date and (source.url or source.file)
        assert source.publisher or source.author
        if source.url:
            assert source.note, f"URL source '{source.title}' needs a one-line note of what it supports"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_seed_citation_quotes_words_found_in_the_local_copy(path):
    """Issue 10 part 1: a reader can check each seed citation; validate found every quote (else load fails)."""
    scenario, located = load_scenario_located(path)
    errors, warnings = citation_findings(scenario, located)
    assert errors == [] and warnings == []
    for _, citation in citations(scenario):
        if scenario.sources[citation.source].file:
            assert citation.quote, f"{citation.source} cited without a quote"


def test_local_seed_copies_are_the_seed_articles():
    copies = sorted((ROOT / "scenarios" / "sources").glob("*.txt"))
    assert [c.name for c in copies] == [f"00{i}_" + c.name[4:] for i, c in enumerate(copies)] and len(copies) == 5
    if SEEDS.is_dir():
        for copy in copies:
            assert copy.read_bytes() == (SEEDS / copy.name).read_bytes()


def test_every_weighed_issue_of_every_party_says_why():
    """Each weight/value row of docs/catalogue.md has a reason with a citation (issue 10 part 1)."""
    for party in load_scenario(BASELINE).parties:
        for issue_id in party.weights:
            reasons = [party.reasons.get(f"weights.{issue_id}"), party.reasons.get(f"values.{issue_id}")]
            reasons = [r for r in reasons if r is not None and r.why.strip() and r.sources]
            assert reasons, f"{party.id}: no sourced why for {issue_id}"
        for red_line in party.red_lines:
            reason = party.reasons.get(f"red_lines.{red_line.option}")
            sourced = (red_line.why and red_line.sources) or (reason is not None and reason.why and reason.sources)
            assert sourced, f"{party.id}: red line {red_line.option} has no sourced why"


def test_every_offer_says_what_it_is_silent_on_and_published_ones_name_a_sponsor():
    scenario = load_scenario(BASELINE)
    for offer in scenario.offers:
        assert offer.note and offer.sources, offer.id
    published = [o for o in scenario.offers if not o.id.startswith(("kiis_", "article5_", "guarantees_"))]
    assert len(published) >= 16 and all(o.sponsor for o in published)


def test_scenario_ids_are_unique_across_the_shipped_scenarios():
    ids = [load_scenario(path).id for path in SCENARIOS]
    assert len(ids) == len(set(ids))


def offer_completions(scenario: Scenario, offer_id: str) -> np.ndarray:
    space = PackageSpace.from_scenario(scenario)
    offer = next(o for o in scenario.offers if o.id == offer_id)
    codes, feasible = completion_codes(space, offer_fix(space, offer))
    return codes[feasible]


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


def test_ukrainian_memorandum_is_rejected_by_russia():
    """The memorandum keeps the open door, a coalition force and a frozen Donbas line: Russian red lines that hold
    in 80 %, 90 % and 70 % of samples ('never join NATO', 'categorically opposes' NATO-country troops [S1],
    no ceasefire before withdrawal [P_USHAKOV]), so Russia accepts it in at most 0.2 * 0.1 * 0.3 = 0.6 %."""
    scenario = load_scenario(BASELINE)
    roadmap = next(o for o in scenario.offers if o.id == "ukraine_istanbul_memo")
    russia = next(p for p in scenario.parties if p.id == "russia")
    assert f"alliance.{roadmap.fix['alliance']}" in russia.red_line_options
    assert f"troops.{roadmap.fix['troops']}" in russia.red_line_options
    assert share_accepting_some_completion(scenario, "ukraine_istanbul_memo", "russia") <= 0.05


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


def test_batch_runs_the_baseline_and_its_variants(tmp_path):
    """`negsim batch` over the baseline and two variants that extend it (each variant costs a whole zone run of
    two million packages, so the others are covered by validation above, not rerun here)."""
    shipped = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "sources", shipped / "sources")
    chosen = [BASELINE, ROOT / "scenarios" / "us-leverage.yaml", ROOT / "scenarios" / "firm-red-lines.yaml"]
    for path in chosen:
        shutil.copy(path, shipped / path.name)
    result = negsim(
        "batch",
        str(shipped),
        "--samples",
        "8",
        "--out-root",
        str(tmp_path / "runs"),
        "--plots-dir",
        str(tmp_path / "plots"),
    )
    for path in chosen:
        assert load_scenario(path).id in result.stdout
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*/*/manifest.json")]  # runs/<batch>/<id>
    assert len(manifests) == len(chosen) and all(m["status"] == "complete" for m in manifests)
    assert len(list((tmp_path / "plots").glob("*/zone_by_option.png"))) == len(chosen)
    assert "offer: P(completion in zone)" in result.stdout


def _stamp(text: str) -> dict[str, str]:
    import re

    return dict(re.findall(r"(\w+)=(\S+)", text.split("-->")[0]))


def test_baseline_public_carries_the_fit_docs_calibration_reports():
    """Issues 19/20: the public's fitted values are in the scenario. At their midpoints, its 1,000 voters accept the
    fit set's KIIS packages in the shares docs/calibration.md reports for the posterior (within 2 points), and the
    document holds at least three held-out polls with their errors."""
    scenario = load_scenario(BASELINE)
    data = load_data(ROOT / "scenarios" / "data" / "kiis.yaml", scenario)
    model = ShareModel(scenario, data)
    public = scenario.parties[model.p]
    fitted = {
        "reservation": float(np.mean(public.reservation)),
        "values.guarantees.article5_bilateral": float(np.mean(public.value_range("guarantees", "article5_bilateral"))),
        **{link_name(link): float(np.mean(link.value)) for link in public.links},
    }
    theta = np.array([fitted[quantity.name] for quantity in model.quantities])
    shares = dict(zip([obs.id for obs in data.observations], model.shares(theta), strict=True))
    text = (ROOT / "docs" / "calibration.md").read_text()
    rows = {
        cells[0].strip("` "): cells
        for line in text.splitlines()
        if line.startswith("| `kiis_")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert set(rows) == set(shares) and len(data.holdout) >= 3
    for obs in data.observations:
        if obs.id not in data.holdout:
            assert abs(shares[obs.id] - float(rows[obs.id][4].rstrip("%")) / 100) < 0.02, obs.id


def test_generated_calibration_document_is_current():
    """docs/calibration.md records the scenario hash and the data it was fitted from."""
    scenario = load_scenario(BASELINE)
    stamp = _stamp((ROOT / "docs" / "calibration.md").read_text())
    assert stamp.get("hash") == scenario.content_hash(), (
        "docs/calibration.md is stale: run `negsim calibrate scenarios/baseline.yaml --data scenarios/data/kiis.yaml "
        "--out /tmp/baseline-kiis.yaml --points 8192 --markdown docs/calibration.md --force`"
    )
    assert stamp.get("data") == "scenarios/data/kiis.yaml"


def test_proposals_brief_matches_a_hand_worked_ratifier(tmp_path):
    """tests/data/ratified.yaml: P(at the table) = 0.5, P(zone) = 0.25, P(not ratified) = 0.25 (its header)."""
    doc = tmp_path / "proposals.md"
    negsim(
        "proposals",
        str(ROOT / "tests" / "data" / "ratified.yaml"),
        "--samples",
        "4000",
        "--whatif-samples",
        "64",
        "--markdown",
        str(doc),
    )
    text = doc.read_text()
    row = next(line for line in text.splitlines() if "`split_deal`" in line and line.startswith("|"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    p_zone, p_table, p_not_ratified = float(cells[2]), float(cells[4]), float(cells[5])
    assert abs(p_zone - 0.25) < 0.03 and abs(p_table - 0.5) < 0.03 and abs(p_not_ratified - 0.25) < 0.03
    assert np.isclose(p_table - p_zone, p_not_ratified)
    assert read_stamp(text)["samples"] == "4000" and read_stamp(text)["target"] == "best"
    assert cells[7] == "none needed"  # split_deal's completion is the best package: it reaches the best's probability


def test_generated_proposals_document_is_current():
    """Cheap staleness check: the document records the scenario hash and settings it was made from."""
    scenario = load_scenario(BASELINE)
    text = (ROOT / "docs" / "proposals.md").read_text()
    stamp = read_stamp(text)
    assert stamp.get("hash") == scenario.content_hash(), (
        "docs/proposals.md is stale: run "
        "`negsim proposals scenarios/baseline.yaml --markdown docs/proposals.md --force`"
    )
    assert stamp["seed"] == str(scenario.run.seed)
    assert all(f"`{offer.id}`" in text for offer in scenario.offers)


def test_generated_robustness_document_is_current():
    """docs/robustness.md (the README's headline range) records the scenario hash it was computed from."""
    import re

    scenario = load_scenario(BASELINE)
    text = (ROOT / "docs" / "robustness.md").read_text()
    stamp = dict(re.findall(r"(\w+)=(\S+)", text.split("-->")[0]))
    assert stamp.get("hash") == scenario.content_hash(), (
        "docs/robustness.md is stale: run `negsim robustness scenarios/baseline.yaml --markdown docs/robustness.md`"
    )
    assert all(f"`{call.id}`" in text for call in scenario.judgement_calls)
    assert stamp.get("seed") == str(scenario.run.seed) and stamp.get("samples") == str(scenario.run.samples)


def test_baseline_weights_need_no_warning():
    """Every party's weights sum to about 1 at their midpoints, so no command opens with a normalisation warning
    (the calibrated public once summed to 1.72 and every command said so)."""
    assert weight_warnings(load_scenario(BASELINE)) == []

"""The run page says what its answers rest on, in words and names (issue 21): the red line every listed package
crosses with how often it holds, whether the intervals tell the ranks apart, what the intervals are not; an offer
with no feasible completion is explained by what rules it out (the scenario's settled issue), not by a party's
shortfall; reasons name options by label, never by id."""

from __future__ import annotations

from pathlib import Path

import yaml

import sim
from sim.outputs.ranked_page import JUDGEMENT, crossed_red_lines, ranks_apart
from sim.scenario.model import Scenario
from sim.zone.offers import INFEASIBLE

SCENARIO = """
negsim: 1
id: report-answers
title: the page's answers in words
issues:
  - {id: land, title: Land, options: [{id: kept, label: Kept by defender}, {id: ceded, label: Ceded to the attacker}]}
  - {id: army, title: Army, options: [{id: small, label: Small army}, {id: large, label: Large army}]}
  - {id: bloc, title: Alliance, options: [{id: neutral, label: Neutrality}, {id: member, label: Membership}]}
parties:
  - {id: att, name: Attacker, role: negotiator, weights: {land: [0.4, 0.6], army: 0.2, bloc: 0.3},
     values: {land: {kept: 0, ceded: 1}, army: {small: 1, large: 0}, bloc: {neutral: 1, member: 0}},
     reservation: [0.6, 0.75]}
  - {id: def, name: Defender, role: negotiator, weights: {land: 0.3, army: [0.3, 0.5], bloc: 0.3},
     values: {land: {kept: 1, ceded: 0}, army: {small: 0, large: 1}, bloc: {neutral: 0.2, member: 1}},
     reservation: [0.2, 0.4], red_lines: [{option: land.ceded, holds: 0.8}]}
offers:
  - {id: cede, label: Cede the land, fix: {land: ceded}}
  - {id: join, label: Join the alliance, fix: {bloc: member}}
run: {samples: 200, seed: 2}
"""


def scenario(**changes: object) -> Scenario:
    doc = yaml.safe_load(SCENARIO)
    doc.update(changes)
    return Scenario.model_validate(doc)


def test_the_ranked_list_says_which_red_line_it_needs_and_whether_ranks_differ(tmp_path: Path):
    """Only the attacker's land keeps it above its reservation, so every package in the zone cedes the land: the
    list needs the defender's red line (holds 0.8) not to hold, and the page says so with the share."""
    zone = sim.zone(scenario(), samples=100, seed=2)
    ranked = zone.ranked(15)
    assert ranked and all(r.package.options["land"] == "ceded" for r in ranked)
    crossed = crossed_red_lines(zone, ranked)
    assert [(c.party, c.option, c.holds) for c in crossed] == [("Defender", "ceded", 0.8)]
    sentence = crossed[0].sentence(len(ranked))
    assert "Defender's red line on Land: 'Ceded to the attacker' not to hold" in sentence and "80%" in sentence
    overlap = ranks_apart(ranked)
    first = ranked[0].p_zone
    assert ("do not tell" in overlap or "not told" in overlap) == any(r.p_zone.hi >= first.lo for r in ranked[1:])
    page = (zone.save(tmp_path / "run", plots=False) / "report.html").read_text()
    assert "Defender&#x27;s red line on Land: &#x27;Ceded to the attacker&#x27; not to hold" in page
    assert JUDGEMENT in page and "the best package (above)" in page


def test_an_offer_the_scenario_rules_out_says_so_and_has_no_blocker(tmp_path: Path):
    """The variant settles the alliance (``fixed: {bloc: neutral}``): the offer 'Join the alliance' has no feasible
    completion, and its reason names the settled issue; no party is blamed."""
    zone = sim.zone(scenario(fixed={"bloc": "neutral"}), samples=50, seed=2)
    join = next(o for o in zone.offer_results if o.id == "join")
    assert join.reason.text == (
        f"{INFEASIBLE}: the scenario fixes Alliance = 'Neutrality' and the offer asks 'Membership'"
    )
    assert not join.blocker.party and "inf" not in join.reason.text
    page = (zone.save(tmp_path / "run", plots=False) / "report.html").read_text()
    assert "none: no completion of the offer is feasible" in page
    assert "the scenario fixes Alliance = &#x27;Neutrality&#x27;" in page


def test_reasons_name_red_lines_by_label(tmp_path: Path):
    zone = sim.zone(scenario(), samples=50, seed=2)
    best = zone.ranked(1)[0].package.number
    why = zone.why_outside(best)
    assert "'Ceded to the attacker' (holds 0.8)" in why and "land.ceded" not in why


def test_an_offer_several_parties_find_short_names_every_one_of_them():
    """Issue 21: the reason named one party while the blocker named another, both rejecting in 100 % of samples;
    when several veto parties' own best completions fall short in most samples, the reason names them all."""
    doc = {
        "negsim": 1,
        "id": "two-short",
        "title": "two parties short",
        "issues": [
            {"id": "x", "title": "X", "options": [{"id": "x1", "label": "x one"}, {"id": "x2", "label": "x two"}]},
            {"id": "y", "title": "Y", "options": [{"id": "y1", "label": "y one"}, {"id": "y2", "label": "y two"}]},
        ],
        "parties": [
            {"id": "a", "name": "Alpha", "weights": {"x": 1}, "values": {"x": {"x1": 1, "x2": 0}}, "reservation": 0.5},
            {"id": "b", "name": "Beta", "weights": {"x": 1}, "values": {"x": {"x1": 1, "x2": 0.2}}, "reservation": 0.5},
            {"id": "c", "name": "Gamma", "weights": {"y": 1}, "values": {"y": {"y1": 1, "y2": 1}}, "reservation": 0},
        ],
        "offers": [{"id": "two", "label": "x two", "fix": {"x": "x2"}}],
    }
    zone = sim.zone(Scenario.model_validate(doc), samples=20, seed=1)
    reason = next(o for o in zone.offer_results if o.id == "two").reason
    assert reason.text == (
        "even their own best completions are below their reservations: Alpha in 100.0% of samples (mean shortfall "
        "0.500); Beta in 100.0% of samples (mean shortfall 0.300)"
    )
    assert reason.party == "a"

"""The zone with the modelling language of issue 9: links, uncertain red lines, ratifiers, requires-constraints.

Each hand-worked scenario derives its zone in the docstring; properties compare the pruned scorer with the brute
force and with the package-by-package definition on random scenarios that use every new key.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.model import Scenario
from sim.zone.sampling import sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace
from tests.strategies import language_scenario_dicts

FAST = settings(max_examples=40, deadline=None)


def two_by_two(parties: list[dict], constraints: list | None = None) -> Scenario:
    """Issues guarantee {none, article5} x troops {none, force}; packages 0 (none, none) .. 3 (article5, force)."""
    issues = [
        {"id": "guarantee", "title": "G", "options": [{"id": "none", "label": "n"}, {"id": "article5", "label": "a"}]},
        {"id": "troops", "title": "T", "options": [{"id": "none", "label": "n"}, {"id": "force", "label": "f"}]},
    ]
    doc = {"id": "hand", "title": "hand", "issues": issues, "parties": parties, "constraints": constraints or []}
    return Scenario.model_validate(doc)


UKRAINE = {
    "id": "ukraine",
    "name": "Ukraine",
    "weights": {"guarantee": 0.5, "troops": 0.5},
    "values": {"guarantee": {"none": 0, "article5": 0.8}, "troops": {"none": 0, "force": 0.4}},
    "reservation": 0.45,
}
RUSSIA = {
    "id": "russia",
    "name": "Russia",
    "weights": {"guarantee": 0.5, "troops": 0.5},
    "values": {"guarantee": {"none": 1, "article5": 0.6}, "troops": {"none": 1, "force": 0}},
    "reservation": 0.5,
}


def p_zone(result, package: int) -> float:
    return float(result.zone_count_of(np.array([package]))[0]) / result.samples


def test_a_link_opens_a_zone_that_is_empty_without_it():
    """Ukraine: u = 0.5 g + 0.5 t. Without links: (article5, none) = 0.40 < 0.45, (article5, force) = 0.60.
    Russia: (article5, none) = 0.80 >= 0.5, (article5, force) = 0.30; (none, none) = 1 but Ukraine gets 0.
    So the zone is empty. Ukraine's link "Article 5 is worth 1.0 when no troops are needed" (value 1 instead of 0.8
    when troops.none is in the package) lifts (article5, none) to 0.5 >= 0.45: the zone is {(article5, none)}.
    """
    assert compute_zone(two_by_two([UKRAINE, RUSSIA]), samples=16).targets.p_complete[-1] == 0
    linked = {**UKRAINE, "links": [{"when": "troops.none", "option": "guarantee.article5", "value": 1.0}]}
    result = compute_zone(two_by_two([linked, RUSSIA]), samples=16)
    assert result.packages.tolist() == [2] and p_zone(result, 2) == 1.0


def test_a_ratifier_closes_a_zone_and_the_table_agreement_is_reported():
    """With the link above, (article5, none) is agreed at the table in every sample. A ratifier weighing only the
    guarantee, valuing Article 5 at 0.3 with reservation 0.5, rejects it: the zone is empty, and P(agreed at the
    table but not ratified) is 1 for the space."""
    linked = {**UKRAINE, "links": [{"when": "troops.none", "option": "guarantee.article5", "value": 1.0}]}
    senate = {
        "id": "senate",
        "name": "Senate",
        "role": "ratifier",
        "weights": {"guarantee": 1},
        "values": {"guarantee": {"none": 1, "article5": 0.3}},
        "reservation": 0.5,
    }
    result = compute_zone(two_by_two([linked, RUSSIA, senate]), samples=16)
    assert result.targets.p_complete[-1] == 0 and result.targets.p_table[-1] == 1
    assert result.targets.p_not_ratified[-1] == 1


def test_a_red_line_that_holds_half_the_time_halves_the_zone_probability():
    """Russia's red line on troops.force with holds 0.5 applies in half the samples (in expectation); the zone of a
    scenario where everybody accepts everything then keeps (x, force) packages only in the other half."""
    easy = {"weights": {"guarantee": 1, "troops": 1}, "reservation": 0.0}
    values = {"guarantee": {"none": 0, "article5": 1}, "troops": {"none": 0, "force": 1}}
    a = {"id": "a", "name": "A", **easy, "values": values}
    b = {"id": "b", "name": "B", **easy, "values": values, "red_lines": [{"option": "troops.force", "holds": 0.5}]}
    result = compute_zone(two_by_two([a, b]), samples=20_000, seed=4)
    assert abs(p_zone(result, 1) - 0.5) < 0.015 and abs(p_zone(result, 3) - 0.5) < 0.015
    assert p_zone(result, 0) == 1.0 and p_zone(result, 2) == 1.0
    assert p_zone(result, 1) == p_zone(result, 3)  # one draw per sample and red line, shared by every package


def test_requires_constraint_removes_packages():
    """requires guarantee.article5 -> one_of troops.force: (article5, none) is infeasible."""
    easy = {"weights": {"guarantee": 1, "troops": 1}, "reservation": 0.0}
    values = {"guarantee": {"none": 0, "article5": 1}, "troops": {"none": 0, "force": 1}}
    parties = [{"id": "a", "name": "A", **easy, "values": values}, {"id": "b", "name": "B", **easy, "values": values}]
    result = compute_zone(
        two_by_two(parties, [{"requires": ["guarantee.article5"], "one_of": ["troops.force"]}]), samples=4
    )
    assert result.packages.tolist() == [0, 1, 3] and result.feasible == 3


@FAST
@given(language_scenario_dicts(), st.integers(1, 30))
def test_language_zone_pruned_equals_brute_force_and_definition(doc, tail_max):
    scenario = Scenario.model_validate(doc)
    pruned = compute_zone(scenario, tail_max=tail_max)
    brute = compute_zone(scenario, tail_max=tail_max, prune=False)
    assert np.array_equal(pruned.packages, brute.packages)
    assert np.array_equal(pruned.zone_count, brute.zone_count)
    assert np.array_equal(pruned.table_count, brute.table_count)
    assert np.array_equal(pruned.targets.hits, brute.targets.hits)
    prefs = sample_preferences(scenario, scenario.run.samples, np.random.default_rng(scenario.run.seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    accepts = prefs.acceptable(space, codes)
    feasible = space.feasible(codes)[:, None]
    at_table = accepts[prefs.veto & ~prefs.ratifier].all(axis=0) & feasible
    in_zone = accepts[prefs.veto].all(axis=0) & feasible
    full = np.zeros(space.size, dtype=np.int64)
    full[pruned.packages] = pruned.zone_count
    assert np.array_equal(full, in_zone.sum(axis=1))
    full[:] = 0
    full[pruned.packages] = pruned.table_count
    assert np.array_equal(full, at_table.sum(axis=1))
    assert pruned.targets.p_complete[-1] == in_zone.any(axis=0).mean()


@FAST
@given(language_scenario_dicts(), st.data())
def test_raising_holds_never_raises_a_zone_probability(doc, data):
    """Common random numbers: a red line holds in the samples whose draw is below ``holds``, so more of it never
    lets more packages in."""
    party = data.draw(st.sampled_from(doc["parties"]))
    issue = data.draw(st.integers(0, len(doc["issues"]) - 1))
    option = doc["issues"][issue]["options"][data.draw(st.integers(0, len(doc["issues"][issue]["options"]) - 1))]
    ref = f"{doc['issues'][issue]['id']}.{option['id']}"
    others = [r for r in party.get("red_lines", []) if (r if isinstance(r, str) else r["option"]) != ref]
    low, high = sorted((data.draw(st.floats(0, 1)), data.draw(st.floats(0, 1))))
    party["red_lines"] = [*others, {"option": ref, "holds": low}]
    before = compute_zone(Scenario.model_validate(doc))
    party["red_lines"] = [*others, {"option": ref, "holds": high}]
    after = compute_zone(Scenario.model_validate(doc))
    full_before = np.zeros(before.space.size, dtype=np.int64)
    full_before[before.packages] = before.zone_count
    full_after = np.zeros(after.space.size, dtype=np.int64)
    full_after[after.packages] = after.zone_count
    assert (full_after <= full_before).all()

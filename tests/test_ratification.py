"""Ratification semantics of issue 19: coherent red lines, correlated draws, voting bodies."""

from __future__ import annotations

import subprocess

import numpy as np
import yaml
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim.negotiation.model import NegotiationModel, NegotiationSetup
from sim.negotiation.protocol import Protocol
from sim.scenario.model import Scenario
from sim.zone.sampling import Draws, draw_uniforms, preferences_from_draws, sample_preferences
from sim.zone.scoring import compute_zone
from sim.zone.space import PackageSpace
from tests.conftest import NEGSIM
from tests.strategies import language_scenario_dicts


@given(language_scenario_dicts(max_issues=3, max_options=4), st.data())
def test_red_lines_of_one_issue_nest(doc, data):
    """Whenever a red line with a smaller ``holds`` holds, every red line of the party on that issue with a larger
    ``holds`` holds too (one draw per party, issue and sample)."""
    party = doc["parties"][0]
    issue = data.draw(st.sampled_from(doc["issues"]))
    holds = data.draw(st.lists(st.floats(0, 1).map(lambda x: round(x, 3)), min_size=2, max_size=len(issue["options"])))
    party["red_lines"] = [
        {"option": f"{issue['id']}.{option['id']}", "holds": h}
        for option, h in zip(issue["options"], holds, strict=False)
    ]
    scenario = Scenario.model_validate(doc)
    prefs = sample_preferences(scenario, 300, np.random.default_rng(data.draw(st.integers(0, 2**16))))
    mine = [red for red in prefs.red_line_list if red.party == 0]
    for weaker in mine:
        for stronger in mine:
            if weaker.holds <= stronger.holds:
                assert not (weaker.in_sample & ~stronger.in_sample).any()


def _deal(reservations: list, values: list, **extra) -> dict:
    """One issue (deal yes/no); two negotiators who want it; ratifiers with the given reservations and values."""
    doc = {
        "negsim": 1,
        "id": "hand",
        "title": "Hand-worked ratification",
        "issues": [
            {"id": "deal", "title": "Deal", "options": [{"id": "yes", "label": "Y"}, {"id": "no", "label": "N"}]}
        ],
        "parties": [
            {"id": n, "name": n, "weights": {"deal": 1}, "values": {"deal": {"yes": 1, "no": 0}}, "reservation": 0.5}
            for n in ("a", "b")
        ],
        "run": {"samples": 50, "seed": 1},
    }
    for k, (reservation, value) in enumerate(zip(reservations, values, strict=True)):
        doc["parties"].append(
            {
                "id": f"r{k}",
                "name": f"R{k}",
                "role": "ratifier",
                "weights": {"deal": 1},
                "values": {"deal": {"yes": value, "no": 0}},
                "reservation": reservation,
                **extra,
            }
        )
    return doc


def _verdicts(doc: dict, samples: int = 50, seed: int = 1) -> np.ndarray:
    scenario = Scenario.model_validate(doc)
    prefs = sample_preferences(scenario, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(scenario)
    return prefs.acceptable(space, space.codes(np.arange(space.size)))


def test_sixty_percent_passes_a_majority_in_every_sample_and_fails_two_thirds():
    """Voters' reservations spread evenly over [0, 1] (0.5 +- 0.5): a package worth 0.6 to all of them is accepted
    by exactly 600 of 1,000 voters in every sample."""
    electorate = {"voters": 1000, "spread": {"reservation": 0.5}}
    for rule, passes in (("majority", True), ("two_thirds", False), (0.6, True), (0.601, False)):
        doc = _deal([0.5], [0.6], electorate={**electorate, "rule": rule})
        scenario = Scenario.model_validate(doc)
        prefs = sample_preferences(scenario, 50, np.random.default_rng(0))
        space = PackageSpace.from_scenario(scenario)
        codes = space.codes(np.arange(space.size))
        assert (prefs.electorates[0].counts(prefs, codes)[0] == 600).all()
        assert (prefs.acceptable(space, codes)[2, 0] == passes).all(), rule


def test_talks_ratify_by_the_body_as_the_zone_does():
    """In the Mesa talks, as in the zone, a referendum where 600 of 1,000 voters accept the deal passes it by majority
    in every run and fails it under two thirds in every run (read as one voter, it passed under both rules)."""
    electorate = {"voters": 1000, "spread": {"reservation": 0.5}}
    for rule, ratified in (("majority", True), ("two_thirds", False)):
        doc = _deal([0.5], [0.6], electorate={**electorate, "rule": rule})
        setup = NegotiationSetup.build(Scenario.model_validate(doc))
        for protocol in Protocol:
            for seed in range(8):
                model = NegotiationModel(setup, protocol, seed)
                model.run_model()
                assert (model.agreement is not None) is ratified, (rule, protocol, seed)
                assert (model.ratification_failures > 0) is not ratified


def test_a_unanimous_chamber_of_three_is_the_conjunction_of_three_parties():
    """Three ratifiers, or one chamber whose three members state the same numbers (and draw the same uniforms)."""
    ranges = [[0.2, 0.7], [0.4, 0.5], [0.1, 0.9]]
    values = [[0.3, 0.8], 0.6, [0.5, 0.6]]
    apart = _deal(ranges, values)
    chamber = _deal(ranges[:1], values[:1])
    chamber["parties"][2]["electorate"] = {
        "rule": "unanimity",
        "members": [
            {"id": f"m{k}", "seats": 1 + k, "reservation": r, "values": {"deal": {"yes": v, "no": 0}}}
            for k, (r, v) in enumerate(zip(ranges, values, strict=True))
        ],
    }
    apart_s, chamber_s = Scenario.model_validate(apart), Scenario.model_validate(chamber)
    draws = draw_uniforms(apart_s, 400, np.random.default_rng(5))
    members = np.zeros((3, 400, 1 + 1 * (2 + 2)))
    for k in range(3):  # each member's own numbers are the matching ratifier's uniforms
        members[k, :, 0] = draws.reservation[2 + k]
        members[k, :, 1] = draws.weight[2 + k, :, 0]
        members[k, :, 2:4] = draws.value[2 + k, :, 0, :]
        members[k, :, 4] = draws.red_line[2 + k, :, 0, 0]
    keep = slice(0, 3)
    chamber_draws = Draws(
        draws.weight[keep],
        draws.value[keep],
        draws.reservation[keep],
        draws.link[keep],
        draws.red_line[keep],
        (None, None, members),
    )
    space = PackageSpace.from_scenario(apart_s)
    codes = space.codes(np.arange(space.size))
    conjunction = preferences_from_draws(apart_s, draws).acceptable(space, codes)[2:].all(axis=0)
    body = preferences_from_draws(chamber_s, chamber_draws).acceptable(space, codes)[2]
    assert (conjunction == body).all() and conjunction.any() and not conjunction.all()


@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.integers(0, 2**16))
def test_correlation_one_between_identical_parties_makes_identical_verdicts(doc, seed):
    party = doc["parties"][0]
    party.pop("links", None)
    twin = {**party, "id": "twin", "name": "Twin"}
    doc["parties"].append(twin)
    quantities = ["reservation"] + [f"weights.{i}" for i in party["weights"]]
    quantities += [f"values.{i}.{o}" for i in party["values"] for o in party["values"][i]]
    quantities += [
        f"red_lines.{i}"
        for i in {
            str(red if isinstance(red, str) else red["option"]).split(".")[0] for red in party.get("red_lines", [])
        }
    ]
    doc["correlations"] = [{"between": [f"p0.{q}", f"twin.{q}"], "rho": 1} for q in quantities]
    verdicts = _verdicts(doc, 60, seed)
    assert (verdicts[0] == verdicts[-1]).all()


@given(st.floats(-1, 1).map(lambda x: round(x, 2)), st.integers(0, 2**16))
def test_the_copula_keeps_every_marginal_and_sets_the_dependence(rho, seed):
    """Each correlated quantity stays uniform on its range (KS at a 1e-6 level); the rank correlation is the
    Gaussian copula's, 6/pi asin(rho/2)."""
    doc = _deal([[0.2, 0.6], [0.1, 0.3]], [1, 1])
    doc["correlations"] = [{"between": ["r0.reservation", "r1.reservation"], "rho": rho}]
    scenario = Scenario.model_validate(doc)
    prefs = sample_preferences(scenario, 4000, np.random.default_rng(seed))
    first, second = (prefs.reservation[2] - 0.2) / 0.4, (prefs.reservation[3] - 0.1) / 0.2
    for marginal in (first, second):
        assert stats.kstest(marginal, "uniform").pvalue > 1e-6
    expected = 6 / np.pi * np.arcsin(rho / 2)
    assert abs(stats.spearmanr(first, second).statistic - expected) < 0.1


@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.integers(0, 2**16))
def test_one_voter_without_spread_is_the_single_draw_ratifier_bit_for_bit(doc, seed):
    plain = Scenario.model_validate(doc)
    for party in doc["parties"]:
        party["role"] = "ratifier" if party["id"] != "p0" else party.get("role", "negotiator")
    ratifiers = [p for p in doc["parties"] if p.get("role") == "ratifier"]
    before = _verdicts(doc, 30, seed)
    for party in ratifiers:
        party["electorate"] = {"voters": 1, "rule": "majority", "spread": {}}
    after = _verdicts(doc, 30, seed)
    assert (before == after).all()
    assert plain  # the document stayed valid


@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.data())
def test_pruned_equals_brute_force_with_bodies_and_correlations(doc, data):
    party = doc["parties"][-1]
    party["role"] = "ratifier"
    kind = data.draw(st.sampled_from(["voters", "members"]))
    if kind == "voters":
        spread = {
            k: data.draw(st.floats(0, 0.5).map(lambda x: round(x, 2))) for k in ("reservation", "weights", "values")
        }
        party["electorate"] = {
            "voters": data.draw(st.integers(1, 40)),
            "spread": spread,
            "rule": data.draw(st.sampled_from(["majority", "two_thirds", "unanimity", 0.3])),
        }
    else:
        party["electorate"] = {
            "rule": data.draw(st.sampled_from(["majority", "unanimity"])),
            "members": [
                {"id": "m0", "seats": data.draw(st.integers(1, 9))},
                {
                    "id": "m1",
                    "seats": data.draw(st.integers(1, 9)),
                    "reservation": data.draw(st.floats(0, 1).map(lambda x: round(x, 2))),
                },
            ],
        }
    rho = data.draw(st.floats(-0.9, 0.9).map(lambda x: round(x, 2)))
    doc["correlations"] = [
        {"between": [f"{doc['parties'][0]['id']}.reservation", f"{party['id']}.reservation"], "rho": rho}
    ]
    scenario = Scenario.model_validate(doc)
    pruned = compute_zone(scenario, samples=40, seed=3, prune=True)
    brute = compute_zone(scenario, samples=40, seed=3, prune=False)
    assert (pruned.packages == brute.packages).all() and (pruned.zone_count == brute.zone_count).all()
    assert (pruned.accept_count == brute.accept_count).all()
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    zone = (
        pruned.preferences.acceptable(space, codes)[pruned.preferences.veto].all(axis=0)
        & space.feasible(codes)[:, None]
    )
    assert (pruned.zone_count_of(np.arange(space.size)) == zone.sum(axis=1)).all()


def test_a_matrix_that_is_not_positive_semidefinite_is_one_line_at_its_entry(tmp_path):
    """Three quantities pairwise at -0.9 cannot be: the entry that first breaks the matrix is named at its line
    (the third breaks it too, with the second left out: each is a line of its own)."""
    doc = _deal([[0.2, 0.6], [0.1, 0.3], [0.3, 0.9]], [1, 1, 1])
    pairs = [("r0", "r1"), ("r0", "r2"), ("r1", "r2")]
    doc["correlations"] = [{"between": [f"{a}.reservation", f"{b}.reservation"], "rho": -0.9} for a, b in pairs]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    lines = path.read_text().splitlines()
    entry = [n for n, line in enumerate(lines, 1) if "between" in line][1]  # the second entry breaks it
    done = subprocess.run([str(NEGSIM), "validate", str(path)], capture_output=True, text=True)
    errors = [line for line in done.stderr.splitlines() + done.stdout.splitlines() if "semi-definite" in line]
    assert done.returncode == 2 and len(errors) == 2 and "Traceback" not in done.stderr
    assert errors[0].startswith(f"{path}:{entry}:"), (errors, entry)


def _two_issue_deal() -> dict:
    """Two ratifiers with a link (guarantee is worth more with a deal) and identical ranges, to tie by name."""
    doc = _deal([[0.2, 0.8], [0.2, 0.8]], [[0.2, 0.9], [0.2, 0.9]])
    doc["issues"].append(
        {"id": "guarantee", "title": "G", "options": [{"id": "firm", "label": "F"}, {"id": "none", "label": "N"}]}
    )
    for party in doc["parties"]:
        party["weights"] = {"deal": 0.5, "guarantee": 0.5}
        party["values"]["guarantee"] = {"firm": 1, "none": 0}
    for party in doc["parties"][2:]:
        party["links"] = [{"when": "deal.yes", "option": "guarantee.firm", "value": [0.0, 1.0]}]
    return doc


@given(st.integers(0, 2**16))
def test_links_correlated_at_one_give_identical_link_values(seed):
    """``party.links.<issue>.<option>`` names the draw of a party's links on that option: at rho 1 two parties with
    the same link ranges value the linked option identically in every sample (and at -1, mirrored)."""
    doc = _two_issue_deal()
    doc["correlations"] = [{"between": ["r0.links.guarantee.firm", "r1.links.guarantee.firm"], "rho": 1}]
    prefs = sample_preferences(Scenario.model_validate(doc), 300, np.random.default_rng(seed))
    first, second = (term for term in prefs.links if term.party in (2, 3))
    assert (first.delta == second.delta).all() and np.unique(first.delta).size > 100
    doc["correlations"][0]["rho"] = -1
    prefs = sample_preferences(Scenario.model_validate(doc), 300, np.random.default_rng(seed))
    first, second = (term for term in prefs.links if term.party in (2, 3))
    assert np.corrcoef(first.delta, second.delta)[0, 1] < -0.99


@given(st.integers(0, 2**16))
def test_a_member_correlated_at_one_with_a_party_votes_as_that_party(seed):
    """``party.members.<member>.reservation`` names a chamber member's own draw: tied at rho 1 to a ratifier with the
    same numbers, a one-member chamber's verdicts are that ratifier's in every sample."""
    doc = _deal([[0.2, 0.8], [0.2, 0.8]], [[0.3, 0.9], [0.3, 0.9]])
    doc["parties"][3]["electorate"] = {
        "rule": "majority",
        "members": [{"id": "only", "seats": 3, "reservation": [0.2, 0.8]}],
    }
    doc["correlations"] = [{"between": ["r0.reservation", "r1.members.only.reservation"], "rho": 1}]
    doc["correlations"].append({"between": ["r0.values.deal.yes", "r1.values.deal.yes"], "rho": 1})
    verdicts = _verdicts(doc, 200, seed)
    assert (verdicts[2] == verdicts[3]).all() and verdicts[2].any() and not verdicts[2].all()


def test_a_member_quantity_it_does_not_state_is_one_line(tmp_path):
    """A member that leaves its reservation to the party has no draw of its own to correlate: one line, exit 2."""
    doc = _deal([[0.2, 0.8]], [1])
    doc["parties"][2]["electorate"] = {"rule": "majority", "members": [{"id": "m", "seats": 1}]}
    doc["correlations"] = [{"between": ["a.reservation", "r0.members.m.reservation"], "rho": 0.5}]
    path = tmp_path / "member.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = subprocess.run([str(NEGSIM), "validate", str(path)], capture_output=True, text=True)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "states itself" in line]
    assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"{path}:")


def test_a_populations_pivots_kept_as_computed_are_the_pivots_computed_afresh():
    """The baseline referendum's pivots, asked in overlapping batches (the memo filled as they come), equal each
    package's pivot computed directly from its voters (``_pivot_of`` on its distinct projections)."""
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("scenarios/baseline.yaml")
    preferences = sample_preferences(scenario, 8, np.random.default_rng(3))
    body = next(b for b in preferences.electorates if not b.members)
    assert body._grid_pivots is None and body._memo is not None  # the path under test
    space = PackageSpace.from_scenario(scenario)
    rng = np.random.default_rng(11)
    batches = [rng.integers(0, space.size, 3000) for _ in range(3)]
    batches.append(np.concatenate([batches[0][:500], rng.integers(0, space.size, 500)]))
    for packages in batches:
        codes = space.codes(packages)
        numbers, distinct = body._projections(codes)
        assert (body._pivots(codes) == body._pivot_of(distinct)[numbers]).all()
    assert body._memo[1].sum() < body._memo[1].size  # filled as asked, not all at once

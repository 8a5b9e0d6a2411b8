"""A chunk's runs drawn together are the runs drawn alone, bit for bit (``sim.negotiation.draws``)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import yaml
from hypothesis import given, settings

from sim.negotiation.draws import draw_parties, draw_runs
from sim.negotiation.model import NegotiationModel, NegotiationSetup, Protocol
from sim.negotiation.runs import run_seeds
from sim.negotiation.versus_zone import take_samples
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences
from tests.conftest import DATA, ROOT
from tests.strategies import negotiation_scenarios


def chamber() -> Scenario:
    """tests/data/ratified.yaml with its ratifier a chamber whose members draw numbers of their own."""
    document = yaml.safe_load((DATA / "ratified.yaml").read_text())
    gamma = next(party for party in document["parties"] if party["id"] == "gamma")
    gamma["electorate"] = {
        "rule": "majority",
        "members": [
            {"id": "m1", "seats": 3, "reservation": [0.3, 0.7]},
            {"id": "m2", "seats": 2, "values": {"money": {"a_pays": [0, 0.5], "b_pays": 1}}},
        ],
    }
    return Scenario.model_validate(document)


def assert_same_preferences(together: Preferences, alone: Preferences) -> None:
    """Every array of the two sets equal, bit for bit (NaN where NaN), red lines, links and chambers included."""
    for field in fields(Preferences):
        a, b = getattr(together, field.name), getattr(alone, field.name)
        if field.name == "electorates":
            assert len(a) == len(b)
            for body_a, body_b in zip(a, b, strict=True):
                assert len(body_a.members) == len(body_b.members)
                for member_a, member_b in zip(body_a.members, body_b.members, strict=True):
                    assert_same_preferences(member_a, member_b)
        elif field.name in ("red_line_list", "links"):
            assert len(a) == len(b)
            for term_a, term_b in zip(a, b, strict=True):
                for part in fields(term_a):
                    np.testing.assert_array_equal(getattr(term_a, part.name), getattr(term_b, part.name))
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, field.name
            np.testing.assert_array_equal(a, b, strict=True)
        else:
            assert a == b, field.name


def check_runs_drawn_together(scenario: Scenario, seed: int, runs: int) -> None:
    veto = [p for p, party in enumerate(scenario.parties) if party.has_veto]
    seeds = run_seeds(seed, runs)
    generators = [np.random.default_rng(s) for s in seeds]
    together = draw_runs(scenario, veto, generators)
    for k, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        alone = draw_parties(scenario, veto, 1, rng)
        assert_same_preferences(take_samples(together.preferences, k, k + 1), alone.preferences)
        np.testing.assert_array_equal(together.drift[:, k : k + 1], alone.drift, strict=True)
        np.testing.assert_array_equal(together.cut[:, k : k + 1], alone.cut, strict=True)
        assert generators[k].bit_generator.state == rng.bit_generator.state  # the model goes on from the same place


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "scenarios" / "baseline.yaml",  # correlations (the copula), a referendum, links, uncertain red lines
        ROOT / "scenarios" / "us-leverage.yaml",  # leverage cuts
        DATA / "talks-heldout.yaml",
        DATA / "ratified.yaml",
    ],
    ids=lambda path: path.stem,
)
def test_runs_drawn_together_are_the_runs_drawn_alone(path):
    check_runs_drawn_together(load_scenario(path), 11, 9)


def test_a_chambers_members_drawn_together_are_drawn_alone():
    check_runs_drawn_together(chamber(), 5, 7)


@settings(max_examples=15, deadline=None)
@given(negotiation_scenarios())
def test_runs_drawn_together_are_the_runs_drawn_alone_whatever_the_scenario(scenario):
    check_runs_drawn_together(scenario, 2, 5)


@pytest.mark.parametrize(
    "path",
    [ROOT / "scenarios" / "baseline.yaml", ROOT / "scenarios" / "us-leverage.yaml", DATA / "talks-heldout.yaml"],
    ids=lambda path: path.stem,
)
def test_a_model_seated_with_its_group_plays_as_one_that_draws_alone(path):
    """A run whose generator drew its sample with its group's (``NegotiationModel.group``) has the utilities, losses,
    outcome and zone of the run drawn alone."""
    setup = NegotiationSetup.build(load_scenario(path))
    seeds = run_seeds(8, 6)
    for protocol in Protocol:
        group = NegotiationModel.group(setup, protocol, seeds, [False] * len(seeds), 1)
        for k, seed in enumerate(seeds):
            models = [NegotiationModel(setup, protocol, seed, belief_seed=1), group[k]]
            assert models[1].sample == k and models[1].preferences.samples == len(seeds)
            np.testing.assert_array_equal(models[0].utilities, models[1].utilities, strict=True)
            np.testing.assert_array_equal(models[0].losses, models[1].losses, strict=True)
            for model in models:
                model.run_model()
            assert models[0].outcome() == models[1].outcome()

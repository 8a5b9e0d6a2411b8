"""The one definition of blocker, what keeps a package out of the zone, and parties that accept everything."""

from __future__ import annotations

import numpy as np
import yaml

from sim.scenario.model import Scenario
from sim.studies.whatif import offer_fix
from sim.zone.blocker import DEFINITION, accepts_everything, offer_blocker, vetoes, why_outside
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace
from tests.conftest import DATA
from tests.test_whatif import GOLDEN


def setup(extra: str = "") -> tuple[Scenario, PackageSpace, object]:
    doc = yaml.safe_load(GOLDEN)
    if extra:
        doc["parties"].append(yaml.safe_load(extra))
    scenario = Scenario.model_validate(doc)
    return scenario, PackageSpace.from_scenario(scenario), sample_preferences(scenario, 40, np.random.default_rng(1))


def test_blocker_is_the_party_that_rejects_every_completion_most_often():
    """Offer (x1, y1) fixes every issue: B's utility 0.1 < 0.5 in every sample, A's 1 >= 0.5: B blocks, by name."""
    scenario, space, prefs = setup()
    blocker = offer_blocker(scenario, space, prefs, offer_fix(space, scenario.offers[0]))
    assert (blocker.party, blocker.name, blocker.share) == ("b", "B", 1.0)
    assert "B (rejects every completion in 100% of samples" in blocker.text()
    assert "most often rejects every completion" in DEFINITION


def test_a_red_line_on_a_fixed_option_vetoes_where_it_holds():
    """C's red line on x1 holds in about 60 % of samples: C vetoes exactly there (its own best is 1 >= 0)."""
    c = "{id: c, name: C, role: negotiator, weights: {y: 1}, values: {y: {y1: 1, y2: 1}}, reservation: 0,"
    scenario, space, prefs = setup(c + " red_lines: [{option: x.x1, holds: 0.6}]}")
    veto = vetoes(space, prefs, {0: 0})  # x fixed to x1, y open
    red = next(r for r in prefs.red_line_list if r.party == 2)
    assert np.array_equal(veto[2], red.in_sample)
    assert not veto[0].any()  # A's own best completion (x1, y1) = 1


def test_why_outside_names_the_red_line_or_the_shortfall():
    scenario, space, prefs = setup()
    package = int(space.package(np.array([[0, 0]]))[0])
    assert why_outside(scenario, space, prefs, package) == (
        "B rejects it in 100% of samples (short of its reservation by 0.400 on average)"
    )
    accepted = int(space.package(np.array([[1, 1]]))[0])  # A 0 < 0.5: A rejects, B accepts
    assert why_outside(scenario, space, prefs, accepted).startswith("A rejects it in 100% of samples")


def test_a_party_with_no_bar_and_no_red_line_accepts_everything():
    c = "{id: c, name: C, role: guarantor, weights: {x: 1}, values: {x: {x1: 0, x2: 1}}, reservation: 0}"
    scenario, _, prefs = setup(c)
    assert accepts_everything(scenario, prefs) == ["C"]


def test_the_runs_offer_and_option_tables_name_the_blocker_by_the_one_definition(tmp_path):
    """Every offer and option of a run carries ``offer_blocker`` of its fixed options on the run's own samples (not
    the blocker of the completion it reports), and reads back equal from the run directory."""
    import sim
    from sim.zone.settings import run_preferences

    scenario = sim.load(DATA / "golden.yaml")
    run = sim.zone(scenario, samples=48, seed=3)
    space = PackageSpace.from_scenario(scenario)
    prefs = run_preferences(scenario, run.settings)
    for offer, result in zip(scenario.offers, run.offer_results, strict=True):
        assert result.blocker == offer_blocker(scenario, space, prefs, offer_fix(space, offer))
    for option in run.option_results:
        issue = space.issue_ids.index(option.issue)
        fix = {issue: space.option_ids[issue].index(option.option)}
        assert option.blocker == offer_blocker(scenario, space, prefs, fix)
    assert any(r.blocker.party for r in (*run.offer_results, *run.option_results))  # the test can fail
    back = sim.open(run.save(tmp_path / "run", plots=False))
    assert back.offer_results == run.offer_results and back.option_results == run.option_results

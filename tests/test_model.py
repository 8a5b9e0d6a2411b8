"""The Mesa negotiation layer: invariants of agreements and of strategies."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.executors import Executor
from sim.negotiation.model import NegotiationModel, NegotiationSetup, Protocol
from sim.negotiation.runs import Chunk, play_chunk, run_negotiations, run_seeds
from sim.negotiation.strategies import time_aspiration
from sim.scenario.model import load_scenario
from tests.conftest import DATA
from tests.strategies import negotiation_scenarios


@settings(max_examples=40)
@given(negotiation_scenarios(), st.sampled_from(list(Protocol)), st.integers(0, 2**31))
def test_agreements_are_individually_rational_and_need_a_zone(scenario, protocol, seed):
    setup = NegotiationSetup.build(scenario)
    model = NegotiationModel(setup, protocol, seed)
    model.run_model()
    outcome = model.outcome()
    veto = setup.veto
    if len(setup.candidates) == 0:
        assert not outcome["agreed"]
        return
    run_zone = (model.utilities[:, veto] >= model.reservation[veto]).all(axis=1)
    if not run_zone.any():
        assert not outcome["agreed"]
    if outcome["agreed"]:
        for p in veto:
            party = scenario.parties[p]
            assert outcome[f"u_{party.id}"] >= outcome[f"r_{party.id}"]
            assert not any(outcome[ref.split(".")[0]] == ref.split(".")[1] for ref in party.red_line_options)
        assert outcome["round"] <= scenario.run.rounds


@settings(max_examples=25)
@given(negotiation_scenarios(), st.integers(0, 2**31))
def test_hardliner_never_concedes_and_conceder_reaches_reservation_at_deadline(scenario, seed):
    parties = [
        p.model_copy(
            update={"strategy": p.strategy.model_copy(update={"concession": "hardliner" if i == 0 else "conceder"})}
        )
        for i, p in enumerate(scenario.parties)
    ]
    scenario = scenario.model_copy(update={"parties": parties})
    setup = NegotiationSetup.build(scenario)
    model = NegotiationModel(setup, Protocol.alternating, seed, trace=True)
    if not model.parties:
        return
    hardliner = next((a for a in model.parties if a.index == 0), None)
    while model.running:
        model.step()
        if hardliner is not None:
            assert hardliner.aspiration == hardliner.best
    for agent in model.parties:
        if agent.index != 0 and model.steps == model.deadline:
            assert np.isclose(agent.aspiration, agent.reservation)


def test_time_aspiration_shapes():
    boulware = [time_aspiration(t, 10, 1.0, 0.4, 0.2) for t in range(1, 11)]
    conceder = [time_aspiration(t, 10, 1.0, 0.4, 3.0) for t in range(1, 11)]
    assert boulware[-1] == conceder[-1] == 0.4
    assert all(b > c for b, c in zip(boulware[:-1], conceder[:-1], strict=True))
    assert all(x >= y for x, y in zip(boulware, boulware[1:], strict=False))


def test_mediator_breaks_a_tit_for_tat_deadlock():
    """Hand-made: A and B each want their own ideal (worth 1 to them, 0 to the other); the compromise is worth
    0.6 to both, above their 0.5 reservations, so the zone is {compromise}. Both play reciprocal tit-for-tat
    (first rounds: Boulware, exponent 0.05, i.e. no real concession).

    Alternating offers: each opens with its ideal and repeats it; each then concedes exactly what the other
    conceded - nothing - so both stay at their ideals and the talks break down at the deadline (0 % agree).
    Mediated: the mediator's text maximises the believed joint acceptance, which is the compromise; there are no
    party offers to reciprocate, so each party follows its time-based concession and reaches its reservation at
    the deadline, where 0.6 >= 0.5: both accept the compromise (100 % agree, in the last round).
    """
    scenario = load_scenario(DATA / "reciprocal.yaml")
    rates = {}
    for protocol in Protocol:
        outcomes, _ = play_chunk(Chunk(scenario, protocol, 0, tuple(run_seeds(4, 50)), (False,) * 50))
        rates[protocol] = np.mean([o["agreed"] for o in outcomes])
        if protocol is Protocol.mediated:
            assert {o["deal"] for o in outcomes} == {"compromise"} and {o["round"] for o in outcomes} == {10}
    assert rates[Protocol.alternating] == 0.0 and rates[Protocol.mediated] == 1.0
    assert rates[Protocol.mediated] >= rates[Protocol.alternating]


@settings(max_examples=10)
@given(st.integers(0, 2**31), st.integers(1, 40), st.integers(1, 15))
def test_results_do_not_depend_on_how_runs_are_chunked(seed, runs, split):
    scenario = load_scenario(DATA / "golden.yaml")
    seeds = run_seeds(seed, runs)
    whole, _ = play_chunk(Chunk(scenario, Protocol.alternating, 0, tuple(seeds), (False,) * runs))
    first, _ = play_chunk(Chunk(scenario, Protocol.alternating, 0, tuple(seeds[:split]), (False,) * len(seeds[:split])))
    rest, _ = play_chunk(
        Chunk(scenario, Protocol.alternating, split, tuple(seeds[split:]), (False,) * len(seeds[split:]))
    )
    assert whole == first + rest


def test_same_seed_same_table_whatever_the_workers(tmp_path):
    scenario = load_scenario(DATA / "golden.yaml")
    one = run_negotiations(scenario, tmp_path / "one", Protocol.alternating, 600, 9, 2, workers=1, make_plots=False)
    two = run_negotiations(scenario, tmp_path / "two", Protocol.alternating, 600, 9, 2, workers=2, make_plots=False)
    three = run_negotiations(
        scenario,
        tmp_path / "three",
        Protocol.alternating,
        600,
        9,
        2,
        workers=2,
        executor=Executor.dask,
        make_plots=False,
    )
    assert three == one
    assert one == two
    for name in ("negotiations.parquet", "rounds.parquet"):
        assert pq.read_table(tmp_path / "one" / name).equals(pq.read_table(tmp_path / "two" / name))
    table = pq.read_table(tmp_path / "one" / "negotiations.parquet")
    assert {"run", "seed", "protocol", "agreed", "round", "land", "money", "u_alpha", "r_beta"} <= set(
        table.column_names
    )
    assert pq.read_table(tmp_path / "one" / "rounds.parquet").column("run").to_pylist()[0] == 0


def test_interrupted_negotiations_resume_to_the_same_table(tmp_path):
    import json

    scenario = load_scenario(DATA / "golden.yaml")
    whole = tmp_path / "whole"
    run_negotiations(scenario, whole, Protocol.alternating, 700, 3, 1, workers=1, make_plots=False)
    cut = tmp_path / "cut"
    run_negotiations(scenario, cut, Protocol.alternating, 700, 3, 1, workers=1, make_plots=False)
    for part in sorted((cut / "parts").glob("chunk-0000[12]-*.parquet")):
        part.unlink()  # as if the process had died after the first chunk
    (cut / "negotiations.parquet").unlink()
    manifest = json.loads((cut / "manifest.json").read_text())
    (cut / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    run_negotiations(scenario, cut, Protocol.mediated, 5, 0, 0, resume=True, make_plots=False)
    assert pq.read_table(cut / "negotiations.parquet").equals(pq.read_table(whole / "negotiations.parquet"))

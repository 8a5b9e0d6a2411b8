"""sim.explore: the page's incremental re-scoring equals a fresh zone of the edited scenario, bit for bit; the page's
settings are the CLI's edits; a draft is scored as ``negsim score --fix`` scores it; a variant reproduces the page."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.explore.draft import best_completion
from sim.explore.engine import Engine
from sim.explore.settings import SettingError, Settings
from sim.explore.variant import VariantError, save_variant, variant_document
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.studies.score import partial_scores
from sim.studies.zone_pairs import zone_pairs
from sim.zone.offers import TargetContext
from sim.zone.own_best import could_accept, own_best
from sim.zone.sampling import sample_preferences
from tests.strategies import language_scenario_dicts


def pair_set(zone) -> set[tuple[int, int]]:
    return set(zip(zone.packages.tolist(), zone.samples.tolist(), strict=True))


def fresh_pairs(path: Path, edits: list, samples: int, seed: int) -> set[tuple[int, int]]:
    """What ``negsim run PATH --set ...`` would score: a fresh sample and a fresh zone of the edited scenario, by
    the definition (every package against every sample, ``Preferences.acceptable``: no search, no seating), and
    checked equal to the studies' search (``zone_pairs``, plain ratifiers searched at the table)."""
    from sim.zone.space import PackageSpace

    scenario = load_scenario(path, edits)
    preferences = sample_preferences(scenario, samples, np.random.default_rng(seed))
    space = PackageSpace.from_scenario(scenario)
    codes = space.codes(np.arange(space.size))
    vetoes = [int(p) for p in np.flatnonzero(preferences.veto)]
    inside = preferences.acceptable(space, codes, vetoes).all(axis=0) & space.feasible(codes)[:, None]
    packages, in_samples = np.nonzero(inside)
    by_definition = set(zip(packages.tolist(), in_samples.tolist(), strict=True))
    assert pair_set(zone_pairs(space, preferences)) == by_definition
    return by_definition


@st.composite
def control_changes(draw: st.DrawFn, document: dict) -> tuple[str, str]:
    """One control of one party set to a value (sometimes out of range: those must be refused)."""
    party = draw(st.sampled_from(document["parties"]))
    pid = party["id"]
    kinds = ["reservation", "weight", "veto"]
    if party.get("red_lines"):
        kinds += ["holds", "on"]
    kind = draw(st.sampled_from(kinds))
    value = str(draw(st.floats(0, 1).map(lambda x: round(x, 2))))
    if kind == "reservation":
        return f"{pid}|reservation|{draw(st.sampled_from(['low', 'high']))}", value
    if kind == "weight":
        issue = draw(st.sampled_from(sorted(party["weights"])))
        return f"{pid}|weight|{issue}|{draw(st.sampled_from(['low', 'high']))}", value
    if kind == "veto":
        return f"{pid}|veto", draw(st.sampled_from(["on", "off"]))
    red = draw(st.sampled_from(party["red_lines"]))
    ref = red if isinstance(red, str) else red["option"]
    if kind == "holds":
        return f"{pid}|red_line|{ref}|holds", value
    return f"{pid}|red_line|{ref}|on", draw(st.sampled_from(["on", "off"]))


@st.composite
def edited_scenarios(draw: st.DrawFn) -> tuple[dict, list[tuple[str, str]], int | None]:
    document = draw(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3))
    changes = draw(st.lists(control_changes(document), min_size=1, max_size=5))
    return document, changes, draw(st.sampled_from([None, 0, 10**6]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_scenarios())
def test_incremental_rescoring_equals_a_fresh_zone(case):
    """Every state the page reaches has exactly the zone's pairs of a fresh run of the edited scenario; the page's
    own scenario equals the one ``--set``/``--unset`` builds (same settings, same sampled preferences)."""
    document, changes, others_limit = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        samples, seed = document["run"]["samples"], document["run"]["seed"]
        engine = Engine(path, samples, seed, threads=1, others_limit=others_limit)
        assert pair_set(engine.current.zone) == fresh_pairs(path, [], samples, seed)
        for name, value in changes:
            try:
                state = engine.apply(engine.current.settings.with_value(name, value))
            except SettingError:
                continue  # refused (e.g. a low end above the high end, fewer than two vetoes): nothing changed
            edits = engine.edits(state.settings)
            by_cli = engine.scenario_for(edits)
            assert Settings.of(by_cli) == state.settings.effective()
            assert by_cli.content_hash() == state.scenario.content_hash()
            assert pair_set(state.zone) == fresh_pairs(path, edits, samples, seed), (name, value, state.how)


@settings(max_examples=25, deadline=None)
@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.data())
def test_draft_is_scored_as_score_fix_scores_it(document, data):
    """The draft's completion share and shown completion are ``negsim score --fix``'s; a party could accept the
    draft exactly when one of its completions is acceptable to it, sample by sample."""
    from sim.zone.space import PackageSpace

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        samples, seed = document["run"]["samples"], document["run"]["seed"]
        engine = Engine(path, samples, seed, threads=1)
    state = engine.current
    space = PackageSpace.from_scenario(state.scenario)
    fix = {i: data.draw(st.integers(0, radix - 1)) for i, radix in enumerate(space.radices) if data.draw(st.booleans())}
    context = TargetContext(state.scenario, space, state.preferences)
    by_cli = partial_scores(space, state.preferences, fix, context.veto_avoid())
    hits = np.bincount(state.zone.samples[state.zone.matching(fix)], minlength=samples) > 0
    assert hits.sum() / samples == by_cli.p_complete.p
    package, _ = best_completion(state.zone, fix)
    if by_cli.completion == "best":
        assert package == by_cli.package
    else:
        assert package == -1
    from sim.studies.whatif import completion_codes

    codes, feasible = completion_codes(space, fix)
    accepts = state.preferences.acceptable(space, codes) & feasible[None, :, None]
    for p in range(state.preferences.n_parties):
        could = could_accept(state.preferences, p, own_best(space, state.preferences, p, fix))
        assert (could == accepts[p].any(axis=0)).all()
    from sim.zone.blocker import vetoes

    veto = state.preferences.veto  # the blocker's "rejects every completion" implies it, sample by sample
    assert not (vetoes(space, state.preferences, fix)[veto] & accepts[veto].any(axis=1)).any()


def variant_builder(engine: Engine, state, name: str, draft: dict):
    """The page's variant document for ``save_variant``, as the server builds it (why: "a test")."""

    def document(parent: str) -> dict:
        return variant_document(
            engine.loaded,
            state.scenario,
            engine.loaded_settings,
            state.settings,
            parent,
            name,
            "a test",
            draft,
            engine.samples,
            engine.seed,
        )

    return document


def test_a_variant_states_only_the_changes_and_reproduces_the_page(tmp_path):
    """Saved variant: extends the scenario, holds only the changes with the why, loads back to the page's settings,
    never overwrites a file."""
    scenario = tmp_path / "small.yaml"
    shutil.copyfile("tests/data/explore/small.yaml", scenario)
    engine = Engine(scenario, 30, 3, threads=1)
    settings = engine.current.settings.with_value("alpha|reservation|low", "0.3")
    settings = settings.with_value("beta|red_line|land.a_keeps|holds", "0.5")
    state = engine.apply(settings)
    out = tmp_path / "my-variant.yaml"

    document = variant_builder(engine, state, "my-variant", {"land": "split"})
    text = save_variant(out, scenario, document, state.settings)
    written = yaml.safe_load(text)
    assert written["extends"].endswith("small.yaml")
    assert [p["id"] for p in written["parties"]] == ["alpha", "beta"]
    assert set(written["parties"][0]) == {"id", "reservation", "reasons"}
    assert Settings.of(load_scenario(out)) == state.settings.effective()
    with pytest.raises(VariantError, match="exists"):
        save_variant(out, scenario, document, state.settings)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(VariantError, match=f"save it in {tmp_path}"):  # `negsim run` could not read its `extends:`
        save_variant(elsewhere / "v.yaml", scenario, document, state.settings)
    assert not list(elsewhere.iterdir())
    assert not list(tmp_path.glob(".*"))


def test_bad_values_are_refused_with_the_control_named():
    engine = Engine(Path("tests/data/explore/small.yaml"), 20, 1, threads=1)
    current = engine.current.settings
    for name, value, expected in [
        ("alpha|reservation|low", "abc", "not a number"),
        ("alpha|reservation|low", "1.5", "out of range"),
        ("alpha|reservation|low", "0.99", "above the high end"),
        ("alpha|weight|nope|low", "0.1", "does not weigh"),
    ]:
        with pytest.raises(SettingError, match=expected):
            current.with_value(name, value)
    with pytest.raises((SettingError, ScenarioError), match="veto"):
        engine.apply(current.with_value("alpha|veto", "off").with_value("beta|veto", "off"))
    assert engine.current.settings == current


def test_what_would_it_take_for_a_drafted_package_is_whatif_on_the_saved_variant(tmp_path):
    """A draft that is no scenario offer, after a control change: the page's answer is ``what_would_it_take`` on
    the variant the page saves (its changes, the draft as the offer ``explore_draft``, its samples and seed)."""
    from sim.explore.session import Session
    from sim.studies.whatif import what_would_it_take

    scenario = tmp_path / "small.yaml"
    shutil.copyfile("tests/data/explore/small.yaml", scenario)
    engine = Engine(scenario, 40, 3, threads=1)
    state = engine.apply(engine.current.settings.with_value("alpha|reservation|low", "0.3"))
    session = Session(engine, draft={1: 0})  # money = a_pays
    page = session.what_would_it_take(0.9, 2)
    assert (
        page.command
        == "save as variant, then: negsim whatif VARIANT --offer explore_draft --target 0.9 --max-changes 2"
    )

    document = variant_builder(engine, state, "v", session.draft_ids())
    out = tmp_path / "v.yaml"
    save_variant(out, scenario, document, state.settings)
    cli = what_would_it_take(load_scenario(out), "explore_draft", 0.9, 40, 3, max_changes=2)
    assert (page.answer.verdict(), page.answer.changes) == (cli.verdict(), cli.changes)
    assert page.answer.found


def test_a_change_calls_off_what_would_it_take_without_waiting_for_it(tmp_path):
    """A search runs without the page's lock: a change made while it runs is answered while the search is still
    inside (parked at its first check, by events, not timing), and the search then ends Cancelled ("called off"),
    its answer never shown. Without a change the same search answers, as ``Session.what_would_it_take`` does."""
    import threading

    from sim.explore.server import CALLED_OFF, Explorer
    from sim.explore.session import Session

    scenario = tmp_path / "small.yaml"
    shutil.copyfile("tests/data/explore/small.yaml", scenario)
    inside, changed = threading.Event(), threading.Event()
    checks: list[bool] = []

    class Watched(Explorer):
        def still_wanted(self, generation: int) -> bool:
            inside.set()
            assert changed.wait(120), "the change never came: it waited for the search"
            checks.append(super().still_wanted(generation))
            return checks[-1]

    explorer = Watched(Session(Engine(scenario, 40, 3, threads=1), draft={1: 0}))
    answers: dict[str, dict] = {}
    search = threading.Thread(target=lambda: answers.update(search=explorer.what_would_it_take("0.9", "2")))
    search.start()
    assert inside.wait(120), "the search never asked whether it was still wanted"
    change = threading.Thread(
        target=lambda: answers.update(change=explorer.change(1, [["alpha|reservation|low", "0.3"]]))
    )
    change.start()
    change.join(120)
    assert not change.is_alive(), "the change waited for the search"
    assert search.is_alive() and "html" in answers["change"]  # answered while the search was parked inside
    changed.set()
    search.join(120)
    assert answers["search"] == {"message": "", "status": CALLED_OFF, "called_off": True}
    assert checks == [False] and explorer.whatif is None  # stopped at the first check after the change

    calm = Explorer(Session(explorer.session.engine, draft={1: 0}))
    done = calm.what_would_it_take("0.9", "2")
    assert done["status"].startswith("done in") and calm.whatif is not None
    expected = Session(explorer.session.engine, draft={1: 0}).what_would_it_take(0.9, 2)
    assert (calm.whatif.answer.verdict(), calm.whatif.answer.changes) == (
        expected.answer.verdict(),
        expected.answer.changes,
    )


def test_the_baseline_with_its_voting_bodies_moves_as_a_fresh_zone():
    """On the baseline (a referendum and a council that vote, plain ratifiers searched at the table, bodies kept
    between moves with the pivots they computed): a reservation dragged down past its floor, a weight, and a red
    line give the pairs of a fresh sample and a fresh zone of the edited scenario."""
    from sim.zone.space import PackageSpace

    path = Path("scenarios/baseline.yaml")
    engine = Engine(path, 40, 7, threads=2)
    moves = [("russia|reservation|low", f"{0.45 - 0.03 * k:.2f}") for k in range(4)]
    moves += [("ukraine|weight|crimea|high", "0.2"), ("russia|reservation|low", "0.33")]
    moves += [("russia|red_line|troops.coalition_force|holds", "0.5")]
    space = PackageSpace.from_scenario(engine.loaded)
    for name, value in moves:
        state = engine.apply(engine.current.settings.with_value(name, value))
        scenario = load_scenario(path, engine.edits(state.settings))
        fresh = zone_pairs(space, sample_preferences(scenario, 40, np.random.default_rng(7)))
        assert pair_set(state.zone) == pair_set(fresh), (name, value, state.how)

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
    """What ``negsim run PATH --set ...`` would score: a fresh sample and a fresh zone of the edited scenario."""
    from sim.zone.space import PackageSpace

    scenario = load_scenario(path, edits)
    preferences = sample_preferences(scenario, samples, np.random.default_rng(seed))
    return pair_set(zone_pairs(PackageSpace.from_scenario(scenario), preferences))


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

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.executors import Executor
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.studies.sensitivity import apply_perturbation, perturbations, tornado_dataset, with_deltas
from sim.studies.sensitivity_runs import run_sensitivity
from sim.studies.sensitivity_scoring import SensitivityTask, StudyBase, score_task
from sim.zone.intervals import proportion_interval
from sim.zone.scoring import compute_zone
from tests.strategies import language_scenario_dicts, scenario_dicts


def straightforward_row(task: SensitivityTask) -> dict:
    """The reference: a fresh ``compute_zone`` of the perturbed scenario (re-sampled with the same seed)."""
    scenario = task.scenario if task.change is None else apply_perturbation(task.scenario, task.change)
    result = compute_zone(scenario, task.samples, task.seed, with_options=False)
    change = task.change
    row = {
        "parameter": change.parameter if change else "baseline",
        "label": change.label(task.scenario) if change else "baseline",
        "party": change.party if change else "",
        "kind": change.kind if change else "",
        "subject": change.subject if change else "",
        "setting": change.setting if change else "",
        "value": change.value if change else None,
        "zone_mass": float(result.zone_count.sum()) / result.samples,
    }
    for target, count in zip(result.targets.targets, result.targets.zone_hit_count, strict=True):
        name = f"offer_{target.name}" if target.kind == "offer" else "p_zone_nonempty"
        low, high = proportion_interval(int(count), result.samples)
        row.update({name: int(count) / result.samples, f"{name}_lo": float(low), f"{name}_hi": float(high)})
    return row


@settings(max_examples=30, deadline=None)
@given(language_scenario_dicts(max_issues=3, max_options=3, max_parties=3), st.integers(0, 2**16))
def test_every_row_equals_a_fresh_zone_run_of_the_perturbed_scenario(doc, seed):
    """The shared base (draws once, table pairs reused for ratifiers, no per-package tables) changes no number:
    every row, key for key and in the same order, equals the straightforward computation."""
    doc["offers"] = [{"id": "first", "label": "first", "fix": {"i0": "o0"}}]
    scenario = Scenario.model_validate(doc)
    # one party decided alone on the others' pairs (no limit), or the search re-run (limit 0)
    bases = [StudyBase.build(scenario, 24, seed, others_limit=limit) for limit in (None, 0)]
    for change in [None, *perturbations(scenario)]:
        task = SensitivityTask(scenario, change, 24, seed)
        reference = list(straightforward_row(task).items())
        assert list(score_task(task).items()) == reference
        assert all(list(base.row(change).items()) == reference for base in bases)


@settings(max_examples=25)
@given(scenario_dicts(max_issues=3), st.data())
def test_switching_a_red_line_off_never_shrinks_the_zone(doc, data):
    for party in doc["parties"]:
        i = data.draw(st.integers(0, len(doc["issues"]) - 1))
        party["red_lines"] = [f"i{i}.o{data.draw(st.integers(0, len(doc['issues'][i]['options']) - 1))}"]
    scenario = Scenario.model_validate(doc)
    tasks = [SensitivityTask(scenario, change, 16, 1) for change in [None, *perturbations(scenario)]]
    rows = with_deltas([score_task(task) for task in tasks])
    for row in rows:
        if row["kind"] == "red_line":
            assert row["delta_zone_mass"] >= 0 and row["delta_p_zone_nonempty"] >= 0
        if row["kind"] == "reservation" and row["setting"] == "high":
            assert row["value"] >= min(p.reservation[0] for p in scenario.parties if p.id == row["party"])


def test_golden_sensitivity_matches_the_hand_worked_changes(golden_path, tmp_path):
    """Hand-worked against tests/data/golden.yaml (baseline zone mass 0.5: package 2 in half the samples).

    * beta's red line land.a_keeps off: package 0 (alpha 0.75, beta 0.5 vs r ~ U[0.25, 0.75]) joins the zone
      half the time -> +0.5;
    * alpha's reservation at 0.25: package 2 always (+0.5) and package 5 (alpha 0.25, beta 0.5) half the time
      (+0.5) -> +1.0; at 0.5: package 2 never -> -0.5;
    * beta's reservation at 0.25: package 3 (alpha 0.625, beta 0.25) joins always -> +1.0.
    """
    scenario = load_scenario(golden_path)
    rows = {(r.parameter, r.setting): r for r in run_sensitivity(scenario, tmp_path / "s", samples=4000, seed=3)}
    assert abs(rows[("beta.red_line.land.a_keeps", "off")].deltas["zone_mass"] - 0.5) < 0.04
    assert abs(rows[("alpha.reservation", "low")].deltas["zone_mass"] - 1.0) < 0.04
    assert abs(rows[("alpha.reservation", "high")].deltas["zone_mass"] + 0.5) < 0.04
    assert abs(rows[("beta.reservation", "low")].deltas["zone_mass"] - 1.0) < 0.04
    ranked = [name for name, _, _ in tornado_dataset(list(rows.values()))]
    assert set(ranked[:2]) == {"Alpha: reservation", "Beta: reservation"}
    assert (tmp_path / "s" / "plots" / "tornado.png").is_file() and (tmp_path / "s" / "sensitivity.csv").is_file()


def test_dask_gives_the_same_rows_as_local(golden_path, tmp_path):
    scenario = load_scenario(golden_path)
    local = run_sensitivity(scenario, tmp_path / "local", samples=200, seed=2)
    dask = run_sensitivity(scenario, tmp_path / "dask", samples=200, seed=2, executor=Executor.dask, workers=2)
    assert local == dask


def test_interrupted_study_resumes_to_the_same_rows(golden_path, tmp_path):
    import json

    scenario = load_scenario(golden_path)
    whole = run_sensitivity(scenario, tmp_path / "whole", samples=100, seed=4)
    cut = tmp_path / "cut"
    run_sensitivity(scenario, cut, samples=100, seed=4)
    for part in sorted((cut / "parts").glob("task-*.json"))[3:]:
        part.unlink()  # as if the process had died after three tasks
    manifest = json.loads((cut / "manifest.json").read_text())
    (cut / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    assert run_sensitivity(scenario, cut, samples=1, seed=0, resume=True) == whole  # settings come from the run


def test_uncertain_red_lines_are_a_sensitivity_parameter():
    """A red line with holds < 1 is perturbed to "certainly holds" (holds 1) and can only shrink the zone."""
    from sim.studies.sensitivity import apply_perturbation

    doc = {
        "id": "h",
        "title": "h",
        "issues": [{"id": "i0", "title": "I", "options": [{"id": "o0", "label": "a"}, {"id": "o1", "label": "b"}]}],
        "parties": [
            {
                "id": f"p{k}",
                "name": f"P{k}",
                "weights": {"i0": 1},
                "values": {"i0": {"o0": 1, "o1": 1}},
                "reservation": 0.0,
                "red_lines": [{"option": "i0.o1", "holds": 0.5}] if k == 0 else [],
            }
            for k in range(2)
        ],
    }
    scenario = Scenario.model_validate(doc)
    (firm,) = [p for p in perturbations(scenario) if p.kind == "holds"]
    assert firm.value == 1.0 and "certain" in firm.label(scenario)
    before = score_task(SensitivityTask(scenario, None, 400, 1))
    after = score_task(SensitivityTask(scenario, firm, 400, 1))
    assert apply_perturbation(scenario, firm).parties[0].red_lines[0].holds == 1.0
    assert after["zone_mass"] < before["zone_mass"] and abs(before["zone_mass"] - 1.5) < 0.1

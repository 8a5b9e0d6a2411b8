"""negsim calibrate: recovery of known ranges from synthetic polls, held-out coverage, the variant it writes."""

from __future__ import annotations

import subprocess

import numpy as np
import yaml

from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.scenario.observations import CalibrationData, free_problems
from sim.studies.fit import ShareModel, fit_posterior
from sim.studies.fit_outputs import comparison
from tests.conftest import NEGSIM

TRUTH = {"reservation": 0.62, "weights.a": 0.8}
PACKAGES = ["000", "102", "210", "111", "022", "201", "012", "120", "220", "002", "121", "200"]
HOLDOUT = ["q8", "q9", "q10", "q11"]


def _scenario() -> dict:
    issues = [{"id": i, "title": i, "options": [{"id": f"o{k}", "label": str(k)} for k in range(3)]} for i in "abc"]
    return {
        "negsim": 1,
        "id": "synth",
        "title": "Synthetic public",
        "issues": issues,
        "parties": [
            {
                "id": "t",
                "name": "T",
                "weights": {"a": 1},
                "values": {"a": {"o0": 1, "o1": 0.5, "o2": 0}},
                "reservation": 0,
            },
            {
                "id": "u",
                "name": "U",
                "weights": {"b": 1},
                "values": {"b": {"o0": 1, "o1": 0.5, "o2": 0}},
                "reservation": 0,
            },
            {
                "id": "pub",
                "name": "Public",
                "role": "ratifier",
                "weights": {"a": 0.5, "b": 0.3, "c": 0.2},
                "values": {i: {"o0": 1, "o1": 0.6, "o2": 0.1} for i in "abc"},
                "reservation": [0.3, 0.7],
                "electorate": {"voters": 400, "spread": {"reservation": 0.3, "values": 0.1}},
            },
        ],
        "run": {"samples": 100, "seed": 1},
    }


def _data(seed: int) -> dict:
    """Polls of 1,000 drawn from the population at the true numbers."""
    observations = [
        {"id": f"q{k}", "fix": {i: f"o{c}" for i, c in zip("abc", code, strict=True)}, "accept": 0.5, "n": 1000}
        for k, code in enumerate(PACKAGES)
    ]
    doc = {"negsim_data": 1, "party": "pub", "free": list(TRUTH), "observations": observations, "holdout": HOLDOUT}
    model = ShareModel(Scenario.model_validate(_scenario()), CalibrationData.model_validate(doc))
    rng = np.random.default_rng(seed)
    for obs, share in zip(observations, model.shares(np.array(list(TRUTH.values()))), strict=True):
        obs["accept"] = rng.binomial(obs["n"], share) / obs["n"]
    return doc


def test_known_ranges_are_recovered_and_held_out_polls_are_covered():
    covered = total = 0
    for seed in (1, 2):
        model = ShareModel(Scenario.model_validate(_scenario()), CalibrationData.model_validate(_data(seed)))
        posterior = fit_posterior(model, points=512, seed=seed)
        for k, quantity in enumerate(posterior.quantities):
            _, low, high = posterior.interval(posterior.theta[:, k])
            assert low <= TRUTH[quantity.name] <= high, (seed, quantity.name, low, high)
        held = [row for row in comparison(model, posterior) if row.held_out]
        covered, total = covered + sum(row.covered for row in held), total + len(held)
    assert covered >= total - 2  # 95 % intervals: about 7.6 of 8 expected


def test_calibrate_writes_a_variant_of_fitted_values_and_the_comparison(tmp_path):
    scenario, data = tmp_path / "synth.yaml", tmp_path / "polls.yaml"
    scenario.write_text(yaml.safe_dump(_scenario(), sort_keys=False))
    data.write_text(yaml.safe_dump(_data(3), sort_keys=False))
    out = tmp_path / "synth-fitted.yaml"  # beside the scenario: extends stays inside the scenario's folder
    done = subprocess.run(
        [str(NEGSIM), "calibrate", str(scenario), "--data", str(data), "--out", str(out), "--points", "256"]
        + ["--markdown", str(tmp_path / "calibration.md")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    variant = yaml.safe_load(out.read_text())
    (party,) = variant["parties"]
    assert set(party) == {"id", "reservation", "weights", "reasons"} and variant["extends"] == "synth.yaml"
    assert "polls.yaml" in party["reasons"]["reservation"]["why"]
    fitted = load_scenario(out)
    assert fitted.parties[2].reservation[0] < 0.62 < fitted.parties[2].reservation[1]
    rows = (tmp_path / "synth-fitted.calibration.csv").read_text().splitlines()
    assert len(rows) == 1 + len(PACKAGES) and sum(",held_out," in row for row in rows) == len(HOLDOUT)
    for png in ("synth-fitted.calibration.png", "synth-fitted.quality.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    document = (tmp_path / "calibration.md").read_text()
    assert f"hash={load_scenario(scenario).content_hash()}" in document and "points=256" in document
    fit_part, held_part = document.split("### Held out")
    assert all(f"`q{k}`" in held_part for k in range(8, 12)) and "`q0`" in fit_part and "`q0`" not in held_part
    assert "of 4 observed shares inside their 95 % interval" in held_part.splitlines()[0]
    again = subprocess.run(  # an existing document is replaced only with --force
        [str(NEGSIM), "calibrate", str(scenario), "--data", str(data), "--out", str(out), "--points", "64"]
        + ["--markdown", str(tmp_path / "calibration.md")],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "--force" in again.stderr and (tmp_path / "calibration.md").read_text() == document


def test_bad_data_is_one_line_per_problem(tmp_path):
    scenario, data = tmp_path / "synth.yaml", tmp_path / "polls.yaml"
    scenario.write_text(yaml.safe_dump(_scenario(), sort_keys=False))
    doc = _data(4)
    doc["free"] = ["weights.nowhere"]
    doc["holdout"] = ["q99"]
    data.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = subprocess.run(
        [str(NEGSIM), "calibrate", str(scenario), "--data", str(data), "--out", str(tmp_path / "v.yaml")],
        capture_output=True,
        text=True,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 2 and all(line.startswith(f"{data}:") for line in lines), lines
    assert not (tmp_path / "v.yaml").exists()


def test_one_named_link_is_free_the_others_stay():
    """`free: [links.<when>-><option>]` fits that link only (the baseline's public: guarantees with a withdrawal);
    a name no link of the party has is a located problem."""
    scenario = _scenario()
    scenario["parties"][2]["links"] = [
        {"when": "a.o0", "option": "b.o1", "value": [0.2, 0.4]},
        {"when": "a.o1", "option": "b.o1", "value": [0.7, 0.9]},
    ]
    model_scenario = Scenario.model_validate(scenario)
    doc = _data(5)
    doc["free"] = ["reservation", "links.a.o1->b.o1"]
    model = ShareModel(model_scenario, CalibrationData.model_validate(doc))
    assert [(q.name, q.index) for q in model.quantities] == [("reservation", ()), ("links.a.o1->b.o1", (1,))]
    doc["free"] = ["links.a.o2->b.o1"]
    (problem,) = free_problems(model_scenario, CalibrationData.model_validate(doc))
    assert problem[0] == ("free", 0) and "links[.<when>-><option>]" in problem[1]

"""Reasons follow their subjects (``sim/scenario/reasons.py``): a reason left unchanged while its value changed is
flagged by ``validate`` (issue 21 item 8), through ``extends:`` and through ``--set``."""

from __future__ import annotations

from sim.scenario.advice import validate_findings
from sim.scenario.loading import load_scenario_located
from tests.conftest import DATA

GOLDEN = (DATA / "golden.yaml").read_text()
REASONED = GOLDEN.replace(
    "    reservation: [0.25, 0.5]\n",
    '    reservation: [0.25, 0.5]\n    reasons:\n      reservation: {why: "no deal below a quarter"}\n'
    '      weights.land: {why: "land first"}\n',
)


def _stale(scenario, located) -> list[str]:
    return [w.message for w in validate_findings(scenario, located)[1] if "the reason for" in w.message]


def test_a_set_value_with_its_old_reason_is_flagged(tmp_path):
    path = tmp_path / "base.yaml"
    path.write_text(REASONED)
    assert _stale(*load_scenario_located(path)) == []
    stale = _stale(*load_scenario_located(path, ["alpha.reservation=0.6"]))
    assert len(stale) == 1 and "'reservation'" in stale[0] and "0.6" in stale[0]
    rewritten = load_scenario_located(path, ["alpha.reservation=0.6", 'alpha.reasons.reservation={why: "new"}'])
    assert _stale(*rewritten) == []


def test_a_variant_that_changes_an_inherited_value_is_flagged(tmp_path):
    (tmp_path / "base.yaml").write_text(REASONED)
    child = tmp_path / "child.yaml"
    child.write_text("negsim: 1\nextends: base.yaml\nid: child\nparties:\n  - id: alpha\n    weights: {land: 0.1}\n")
    stale = _stale(*load_scenario_located(child))
    assert len(stale) == 1 and "'weights.land'" in stale[0]
    warnings = validate_findings(*load_scenario_located(child))[1]
    assert any(w.field == "parties.0.reasons.weights.land" for w in warnings)

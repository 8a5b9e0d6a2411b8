"""One-at-a-time sensitivity: which weight, reservation or red line moves the zone, and by how much.

Every perturbation is scored from the same draws as the baseline (common random numbers), so differences come
from the perturbation, not from sampling noise (``sim.studies.sensitivity_scoring`` scores them). Weights and
reservations are set to the ends of their ranges (a point value is moved by -50 % / +50 %); each red line is switched
off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario.edits import Edit, SetValue, Unset
from sim.scenario.loading import edited
from sim.scenario.model import Scenario
from sim.zone.estimate import Estimate

MEASURES = ("zone_mass", "p_zone_nonempty")


@dataclass(frozen=True)
class Perturbation:
    """One change to one veto party: ``kind`` is weight, reservation or red_line."""

    party: str
    kind: str
    subject: str
    setting: str
    value: float | None = None

    @property
    def parameter(self) -> str:
        return f"{self.party}.{self.kind}" + (f".{self.subject}" if self.subject else "")

    def label(self, scenario: Scenario) -> str:
        """What a reader should see: 'Russia: weight of Crimea', 'Ukraine: red line on Donbas: Russian withdrawal'."""
        party = next(p.name for p in scenario.parties if p.id == self.party)
        if self.kind == "weight":
            return f"{party}: weight of {scenario.issue(self.subject).title}"
        if self.kind == "reservation":
            return f"{party}: reservation"
        issue_id, option_id = self.subject.split(".", 1)
        issue = scenario.issue(issue_id)
        option = next((o.label for o in issue.options if o.id == option_id), option_id)
        if self.kind == "holds":
            return f"{party}: red line on {issue.title}: {option} certain (holds 1)"
        return f"{party}: red line on {issue.title}: {option}"


def _ends(bounds: tuple[float, float], upper: float | None) -> tuple[float, float]:
    low, high = bounds
    if low == high:
        low, high = low * 0.5, low * 1.5
    return low, min(high, upper) if upper is not None else high


def perturbations(scenario: Scenario) -> list[Perturbation]:
    found: list[Perturbation] = []
    for party in scenario.veto_parties:
        for issue in scenario.issues:
            if not party.weighs(issue.id):
                continue
            low, high = _ends(party.weight_range(issue.id), None)
            found += [
                Perturbation(party.id, "weight", issue.id, "low", low),
                Perturbation(party.id, "weight", issue.id, "high", high),
            ]
        low, high = _ends(party.reservation, 1.0)
        found += [
            Perturbation(party.id, "reservation", "", "low", low),
            Perturbation(party.id, "reservation", "", "high", high),
        ]
        found += [Perturbation(party.id, "red_line", ref, "off") for ref in party.red_line_options]
        # a red line that holds with some probability: also "it certainly holds" (holds = 1)
        found += [Perturbation(party.id, "holds", r.option, "high", 1.0) for r in party.red_lines if 0 < r.holds < 1]
    return found


def apply_perturbation(scenario: Scenario, change: Perturbation) -> Scenario:
    """The scenario with one perturbation, edited and validated as ``--set``/``--unset`` would do it."""
    red_line = f'{change.party}.red_lines["{change.subject}"]'
    edit: Edit = {
        "weight": SetValue(f"{change.party}.weights.{change.subject}", change.value),
        "reservation": SetValue(f"{change.party}.reservation", change.value),
        "holds": SetValue(f"{red_line}.holds", change.value),
    }.get(change.kind, Unset(red_line))
    return edited(scenario, [edit])


def with_deltas(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the change against the baseline row (the first) to every numeric score."""
    base = rows[0]
    scores = [k for k in base if _is_measure(k)]
    return [{**row, **{f"delta_{k}": row[k] - base[k] for k in scores}} for row in rows]


def _is_measure(key: str) -> bool:
    return (key in MEASURES or key.startswith("offer_")) and not key.endswith(("_lo", "_hi"))


def measures(row: dict[str, Any]) -> list[str]:
    """The measures a study can rank by: zone mass, P(zone non-empty), each offer's P(completion)."""
    return [k for k in row if _is_measure(k)]


@dataclass(frozen=True)
class SensitivityRow:
    """One row of a sensitivity study: the perturbation (the baseline's fields empty), the zone mass and each
    measure's estimate under it, and each measure's change against the baseline (``sensitivity.csv``'s row)."""

    parameter: str
    label: str
    party: str
    kind: str
    subject: str
    setting: str
    value: float | None
    zone_mass: float
    estimates: dict[str, Estimate]
    """``p_zone_nonempty`` and ``offer_<id>`` (P(some completion in the zone)), each with its interval."""
    deltas: dict[str, float]
    """Per measure (``zone_mass`` first), its change against the baseline row."""

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> SensitivityRow:
        """The row of the study's table (:func:`with_deltas`'s, or ``sensitivity.parquet``'s) as a value."""
        named = [key for key in row if _is_measure(key) and key != "zone_mass"]
        return cls(
            **{key: row[key] for key in ("parameter", "label", "party", "kind", "subject", "setting", "value")},
            zone_mass=row["zone_mass"],
            estimates={key: Estimate.from_columns(row, key) for key in named},
            deltas={key.removeprefix("delta_"): row[key] for key in row if key.startswith("delta_")},
        )

    def columns(self) -> dict[str, Any]:
        """The table's row, columns in the order the study writes them (inverse of :meth:`from_columns`)."""
        fixed = {key: getattr(self, key) for key in ("parameter", "label", "party", "kind", "subject", "setting")}
        estimates = {column: p for name, e in self.estimates.items() for column, p in e.columns(name).items()}
        deltas = {f"delta_{key}": change for key, change in self.deltas.items()}
        return {**fixed, "value": self.value, "zone_mass": self.zone_mass, **estimates, **deltas}

    def measure(self, name: str) -> float:
        """``zone_mass`` or a measure's share."""
        return self.zone_mass if name == "zone_mass" else self.estimates[name].p


def tornado_dataset(
    rows: Sequence[SensitivityRow], top: int = 20, measure: str = "zone_mass"
) -> list[tuple[str, float, float]]:
    """Per parameter: (readable name, change at its low setting or switched off, change at its high setting) in
    ``measure``, largest effect first."""
    effects: dict[str, list[float]] = {}
    for row in rows[1:]:
        pair = effects.setdefault(row.label or row.parameter, [0.0, 0.0])
        pair[1 if row.setting == "high" else 0] = row.deltas[measure]
    ranked = sorted(effects.items(), key=lambda item: -max(abs(item[1][0]), abs(item[1][1])))
    return [(name, low, high) for name, (low, high) in ranked[:top] if np.hypot(low, high) > 0]

"""What the page's controls say about each party, and the scenario edits that say the same thing.

A page is reproducible only if every state it shows is a scenario the command line can run. So the controls never
touch a model directly: their values are turned into the ``--set``/``--unset`` edits of ``sim.scenario.edits``
(``russia.reservation=[0.4, 0.55]``, ``--unset ukraine.red_lines.crimea.recognised``), which the loader applies and
validates exactly as ``negsim run --set`` does, and which ``negsim run`` can be given to reproduce the page.
Only what differs from the scenario as loaded becomes an edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from sim.scenario.edits import Edit, Unset
from sim.scenario.model import Party, Scenario


class SettingError(ValueError):
    """A value typed into a control that cannot be used (the message names the control)."""


@dataclass(frozen=True)
class PartySettings:
    """One party's controls: weight and reservation ranges, each red line's ``holds`` (None: switched off), veto."""

    reservation: tuple[float, float]
    weights: dict[str, tuple[float, float]]
    red_lines: dict[str, float | None]
    veto: bool

    @classmethod
    def of(cls, party: Party) -> PartySettings:
        return cls(
            tuple(party.reservation),
            {issue: tuple(bounds) for issue, bounds in party.weights.items()},
            {red.option: float(red.holds) for red in party.red_lines},
            party.has_veto,
        )


@dataclass(frozen=True)
class Settings:
    """Every party's controls, by party id (in the scenario's order)."""

    parties: dict[str, PartySettings] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> Settings:
        return cls({party.id: PartySettings.of(party) for party in scenario.parties})

    def effective(self) -> Settings:
        """The same settings without switched-off red lines: what a scenario holding them says
        (``Settings.of(scenario)`` of the edited scenario equals this)."""
        return Settings(
            {
                pid: replace(party, red_lines={r: h for r, h in party.red_lines.items() if h is not None})
                for pid, party in self.parties.items()
            }
        )

    def changed_parties(self, other: Settings) -> list[str]:
        return [pid for pid, mine in self.parties.items() if other.parties[pid] != mine]

    def with_value(self, name: str, text: str) -> Settings:
        """These settings with one control (``party|quantity|...``, see :func:`control_name`) set to ``text``."""
        pid, quantity, *rest = name.split("|")
        if pid not in self.parties:
            raise SettingError(f"no party '{pid}'")
        party = self.parties[pid]
        if quantity == "reservation":
            low, high = _set_end(party.reservation, rest[0], _number(text, 0.0, 1.0))
            return self._with(pid, replace(party, reservation=(low, high)))
        if quantity == "weight":
            issue, end = rest
            if issue not in party.weights:
                raise SettingError(f"{pid} does not weigh issue '{issue}'")
            bounds = _set_end(party.weights[issue], end, _number(text, 0.0, math.inf))
            return self._with(pid, replace(party, weights={**party.weights, issue: bounds}))
        if quantity == "red_line":
            ref, what = rest
            if ref not in party.red_lines:
                raise SettingError(f"{pid} has no red line '{ref}'")
            current = party.red_lines[ref]
            if what == "on":
                holds = (current if current is not None else 1.0) if _flag(text) else None
            else:
                holds = _number(text, 0.0, 1.0)
            return self._with(pid, replace(party, red_lines={**party.red_lines, ref: holds}))
        if quantity == "veto":
            return self._with(pid, replace(party, veto=_flag(text)))
        raise SettingError(f"unknown control '{name}'")

    def _with(self, pid: str, party: PartySettings) -> Settings:
        return Settings({**self.parties, pid: party})


def _number(text: str, low: float, high: float) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise SettingError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        bounds = f"between {low:g} and {high:g}" if math.isfinite(high) else f"at least {low:g}"
        raise SettingError(f"{value:g} is out of range: give a number {bounds}")
    return value


def _flag(text: str) -> bool:
    return str(text).strip().lower() in ("1", "true", "on", "yes")


def _set_end(bounds: tuple[float, float], end: str, value: float) -> tuple[float, float]:
    low, high = bounds
    if end == "low":
        low = value
    elif end == "high":
        high = value
    else:
        raise SettingError(f"unknown end '{end}' (low or high)")
    if low > high:
        raise SettingError(f"the low end {low:g} is above the high end {high:g}")
    return low, high


def _range_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return repr(float(low)) if low == high else f"[{float(low)!r}, {float(high)!r}]"


def edits_between(loaded: Settings, settings: Settings) -> list[Edit]:
    """The ``--unset``/``--set`` edits that turn the scenario as loaded into ``settings`` (unsets first, as the CLI
    applies them)."""
    unsets: list[Edit] = []
    sets: list[Edit] = []
    for pid, party in settings.parties.items():
        before = loaded.parties[pid]
        if party.reservation != before.reservation:
            sets.append(f"{pid}.reservation={_range_text(party.reservation)}")
        for issue, bounds in party.weights.items():
            if bounds != before.weights[issue]:
                sets.append(f"{pid}.weights.{issue}={_range_text(bounds)}")
        for ref, holds in party.red_lines.items():
            if holds is None:
                unsets.append(Unset(f"{pid}.red_lines.{ref}"))
            elif holds != before.red_lines[ref]:
                sets.append(f"{pid}.red_lines.{ref}.holds={float(holds)!r}")
        if party.veto != before.veto:
            sets.append(f"{pid}.veto={'true' if party.veto else 'false'}")
    return [*unsets, *sets]


def edit_text(edit: Edit) -> str:
    """An edit as a command-line argument pair, e.g. ``--set 'russia.reservation=[0.4, 0.55]'``."""
    if isinstance(edit, Unset):
        return f"--unset {edit.path}"
    return f"--set '{edit}'"

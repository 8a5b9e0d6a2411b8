"""Runs side by side: every probability with its interval, each difference from the first run and whether it is
more than Monte-Carlo noise, and what differs between the scenarios themselves.

Two runs with the same sample count are compared sample by sample. Runs with the same seed draw the same random
numbers (common random numbers), so a quantity the change does not touch has no discordant samples at all and a
real change shows with far fewer samples than two independent estimates would need. The interval of a paired
difference of proportions is Newcombe's hybrid score interval (method 10 of R. G. Newcombe, "Improved confidence
intervals for the difference between binomial proportions based on paired data", Statistics in Medicine 17, 1998),
built from each run's own Wilson interval (``sim.zone.intervals``) and the sample-by-sample correlation; with
different sample counts the samples cannot be paired and the correlation term is 0 (Newcombe's method 10 for
independent proportions, same paper series, Statistics in Medicine 17:873, 1998). A difference is flagged *beyond
noise* when its 95 % interval excludes 0.

A party's acceptance of an offer is measured on one package in every run: the first run's completion of the offer,
re-scored in each run's own samples and preferences. Each run may pick a different best completion (a change of
Russia's reservation can move the best package from peacekeepers to a coalition force); comparing the two picks
would report a different package as a change of acceptance, so a changed pick is listed apart
(:func:`completion_changes`) and never flagged as a change of acceptance.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sim.studies.rundata import RunData
from sim.zone.intervals import proportion_interval
from sim.zone.space import PackageSpace

KINDS = ("zone", "offer", "option", "acceptance")


@dataclass(frozen=True)
class Cell:
    """One run's estimate of one quantity, and its difference from the first run's."""

    quantity: str
    kind: str
    label: str
    run: str
    p: float
    low: float
    high: float
    diff: float = float("nan")
    diff_low: float = float("nan")
    diff_high: float = float("nan")
    paired: bool = False
    beyond_noise: bool = False


def difference_interval(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """``mean(y) - mean(x)`` and its 95 % interval; ``x`` and ``y`` are per-sample bits, paired if equally long.

    >>> same = np.array([True] * 30 + [False] * 70)
    >>> difference_interval(same, same)[0]
    0.0
    >>> d, low, high = difference_interval(same, np.r_[same[:90], [True] * 10])
    >>> round(d, 2), bool(low > 0)
    (0.1, True)
    """
    nx, ny = len(x), len(y)
    kx, ky = int(x.sum()), int(y.sum())
    px, py = kx / nx, ky / ny
    lx, ux = (float(v) for v in proportion_interval(kx, nx))
    ly, uy = (float(v) for v in proportion_interval(ky, ny))
    phi = 0.0
    if nx == ny:
        both = int(np.count_nonzero(x & y))
        only_x, only_y = kx - both, ky - both
        neither = nx - both - only_x - only_y
        denominator = float(kx) * (nx - kx) * ky * (ny - ky)
        if denominator > 0:
            phi = (both * neither - only_x * only_y) / np.sqrt(denominator)
    diff = py - px
    low = diff - np.sqrt(max((py - ly) ** 2 - 2 * phi * (py - ly) * (ux - px) + (ux - px) ** 2, 0.0))
    high = diff + np.sqrt(max((uy - py) ** 2 - 2 * phi * (uy - py) * (px - lx) + (px - lx) ** 2, 0.0))
    return diff, float(low), float(high)


@dataclass(frozen=True)
class Quantity:
    key: str
    kind: str
    label: str


def _bits_or_count(run: RunData, quantity: Quantity, runs: list[RunData]) -> np.ndarray | None:
    """Per-sample bits of one quantity in one run (``None`` where the run does not have it)."""
    if quantity.kind in ("zone", "offer", "option"):
        name = "*" if quantity.key == "p_zone_nonempty" else quantity.key
        return run.target_bits(name)
    offer_id, party = quantity.key.split("|")
    package = package_in(run, reference) if (reference := reference_completion(runs, offer_id)) else None
    if package is None or party not in run.party_names():
        return None
    parties = [p.id for p in run.scenario.parties]
    return run.acceptance_bits(package)[parties.index(party)]


def completion(run: RunData, offer_id: str) -> dict[str, str] | None:
    """The offer's reported completion in one run (its best, or its closest), as issue id -> option id."""
    row = next((o for o in run.offers if o["target"] == offer_id), None)
    package = None if row is None else row.get("completion_package", row.get("best_package"))
    if package is None or package < 0:
        return None
    return PackageSpace.from_scenario(run.scenario).describe(int(package))


def reference_completion(runs: list[RunData], offer_id: str) -> dict[str, str] | None:
    """The completion every run's acceptance of an offer is measured on: the first run's (compare like with like:
    the same package in every run, re-scored in each run's own samples)."""
    return next((found for run in runs if (found := completion(run, offer_id)) is not None), None)


def package_in(run: RunData, options: dict[str, str]) -> int | None:
    """That package's number in a run's space (None when the run lacks one of its issues or options)."""
    space = PackageSpace.from_scenario(run.scenario)
    if set(options) != set(space.issue_ids):
        return None
    codes = []
    for issue, option_ids in zip(space.issue_ids, space.option_ids, strict=True):
        if options[issue] not in option_ids:
            return None
        codes.append(option_ids.index(options[issue]))
    return int(space.package(np.array([codes]))[0])


@dataclass(frozen=True)
class CompletionChange:
    """An offer whose best (or closest) completion differs between the first run and another: a different package
    was picked, which is not a change of anyone's acceptance (that is measured on the first run's package)."""

    offer: str
    label: str
    run: str
    changed: tuple[tuple[str, str, str], ...]  # (issue, first run's option, this run's option)


def completion_changes(runs: list[RunData]) -> list[CompletionChange]:
    """Every offer whose reported completion in a later run differs from the first run's, issue by issue."""
    found = []
    for offer in runs[0].scenario.offers:
        reference = completion(runs[0], offer.id)
        for run in runs[1:]:
            other = completion(run, offer.id)
            if reference is None or other is None or other == reference:
                continue
            differ = tuple(
                (i, reference[i], other.get(i, "(absent)")) for i in reference if reference[i] != other.get(i)
            )
            found.append(CompletionChange(offer.id, offer.label, run.name, differ))
    return found


def quantities(runs: list[RunData]) -> list[Quantity]:
    """Everything worth comparing, in reading order, over the union of the runs' offers, options and parties."""
    found: dict[str, Quantity] = {"p_zone_nonempty": Quantity("p_zone_nonempty", "zone", "P(zone non-empty)")}
    for run in runs:
        for offer in run.scenario.offers:
            found.setdefault(offer.id, Quantity(offer.id, "offer", offer.label))
    for run in runs:
        for key, label in run.option_labels().items():
            found.setdefault(key, Quantity(key, "option", label))
    for run in runs:
        names = run.party_names()
        veto = {party.id for party in run.scenario.veto_parties}
        for offer in run.scenario.offers:
            for party, name in names.items():
                suffix = "" if party in veto else " (no veto)"
                key = f"{offer.id}|{party}"
                label = f"{name}{suffix} accepts: {offer.label} (first run's completion)"
                found.setdefault(key, Quantity(key, "acceptance", label))
    return list(found.values())


def compare_runs(runs: list[RunData]) -> list[Cell]:
    """One cell per (quantity, run); every run after the first carries its difference from the first."""
    cells: list[Cell] = []
    for quantity in quantities(runs):
        reference: np.ndarray | None = None
        for index, run in enumerate(runs):
            bits = _bits_or_count(run, quantity, runs)
            if bits is None:
                continue
            low, high = proportion_interval(int(bits.sum()), len(bits))
            cell = Cell(
                quantity.key, quantity.kind, quantity.label, run.name, float(bits.mean()), float(low), float(high)
            )
            if index == 0:
                reference = bits
            elif reference is not None:
                diff, diff_low, diff_high = difference_interval(reference, bits)
                cell = Cell(
                    **{
                        **asdict(cell),
                        "diff": diff,
                        "diff_low": diff_low,
                        "diff_high": diff_high,
                        "paired": len(reference) == len(bits),
                        "beyond_noise": diff_low > 0 or diff_high < 0,
                    }
                )
            cells.append(cell)
    return cells


@dataclass(frozen=True)
class QuantityRow:
    """One quantity across the runs: each run's cell by run name (a run without the quantity has none)."""

    label: str
    cells: dict[str, Cell]

    @property
    def beyond_noise(self) -> bool:
        return any(cell.beyond_noise for cell in self.cells.values())


def quantity_rows(cells: list[Cell], kinds: tuple[str, ...]) -> list[QuantityRow]:
    """The cells of ``kinds`` as rows, one per quantity in first-seen order: what the page and the console show."""
    by_key: dict[str, QuantityRow] = {}
    for cell in cells:
        if cell.kind in kinds:
            by_key.setdefault(cell.quantity, QuantityRow(cell.label, {})).cells[cell.run] = cell
    return list(by_key.values())


def zone_mass_rows(runs: list[RunData]) -> list[dict[str, Any]]:
    """Zone mass per run (an expected count, not a probability: no per-sample record, so no interval yet)."""
    return [{"run": run.name, "zone_mass": run.summary.zone_mass} for run in runs]


def scenario_differences(first: RunData, other: RunData) -> list[tuple[str, str, str]]:
    """What differs between two runs' resolved scenarios, as ``(path, first's value, other's value)``.

    Paths are spelled as ``--set`` takes them (``russia.reservation``, ``ukraine.weights.crimea``) and the run
    settings (samples, seed) are added, so the list says exactly what would turn one run into the other.
    """
    a, b = _flatten(first.scenario.model_dump(mode="json")), _flatten(other.scenario.model_dump(mode="json"))
    a.update({f"run.{k}": v for k, v in first.manifest.settings.items()})
    b.update({f"run.{k}": v for k, v in other.manifest.settings.items()})
    rows = []
    for path in dict.fromkeys([*a, *b]):
        if a.get(path, _MISSING) != b.get(path, _MISSING):
            rows.append((path, _show(a.get(path, _MISSING)), _show(b.get(path, _MISSING))))
    return rows


_MISSING = object()


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a scenario dump; lists of items with an ``id`` are keyed by id, parties by their id alone."""
    out: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(i, dict) and "id" in i for i in value):
        for item in value:
            step = str(item["id"]) if prefix == "parties" else f"{prefix}.{item['id']}"
            out.update(_flatten({k: v for k, v in item.items() if k != "id"}, step))
    else:
        out[prefix] = value
    return out


def cells_as_rows(cells: list[Cell]) -> list[dict[str, Any]]:
    """The long table written to ``compare.csv``: one row per quantity and run."""
    return [asdict(cell) for cell in cells]

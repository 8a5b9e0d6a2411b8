"""Rows for ``offers.parquet`` and ``marginals.csv``, and the run's headline package, told truthfully.

Every probability carries its 95 % Monte-Carlo interval (``sim.zone.intervals``). A target that some sample puts
in the zone is reported with its *best* completion (the one in the zone most often). One that no sample puts in
the zone has no best completion: an offer is reported with its *closest* completion (``sim.zone.closest``) and the
reason computed from the offer itself — a red line on an option it fixes, else the party whose own best completion
stays below its reservation in most samples, else the parties' joint incompatibility. A red line is never blamed
on an option the offer leaves open, since a completion can avoid it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.outputs.tables import with_interval
from sim.scenario.model import Scenario
from sim.zone.bargaining import blocking_detail
from sim.zone.closest import Closest, closest_package
from sim.zone.electorate import accepting_shares
from sim.zone.own_best import own_best_completion
from sim.zone.preferences import Preferences
from sim.zone.scoring import Target, TargetScores
from sim.zone.space import PackageSpace, option_index

MOST_SAMPLES = 0.5
CountsOf = Callable[[np.ndarray], np.ndarray]


def red_line_refs(party: Any) -> list[tuple[str, float]]:
    """A party's red lines as (``issue.option``, probability that it holds): bare strings hold for sure."""
    return [(r, 1.0) if isinstance(r, str) else (r.option, float(r.holds)) for r in party.red_lines]


@dataclass(eq=False)
class TargetContext:
    """What describing targets needs from a run: the scenario, its space, samples, labels and certain red lines."""

    scenario: Scenario
    space: PackageSpace
    preferences: Preferences
    labels: dict[str, str] = field(init=False)
    certain: list[list[tuple[int, int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.labels = {offer.id: offer.label for offer in self.scenario.offers}
        for issue in self.scenario.issues:
            self.labels.update({f"{issue.id}.{o.id}": o.label for o in issue.options})
        self.certain = [
            [self.index(ref) for ref, holds in red_line_refs(party) if holds >= 1.0] for party in self.scenario.parties
        ]

    @property
    def samples(self) -> int:
        return self.preferences.samples

    @property
    def veto(self) -> np.ndarray:
        return np.flatnonzero(self.preferences.veto)

    def index(self, ref: str) -> tuple[int, int]:
        return option_index(self.space.issue_ids, self.space.option_ids, ref)

    def ref(self, issue: int, option: int) -> str:
        return f"{self.space.issue_ids[issue]}.{self.space.option_ids[issue][option]}"

    def describe(self, issue: int, option: int) -> str:
        """'Issue title: option label', what a reader sees instead of ``issue.option`` ids."""
        return f"{self.scenario.issues[issue].title}: {self.labels[self.ref(issue, option)]}"

    def party_label(self, p: int) -> str:
        party = self.scenario.parties[p]
        return party.name if self.preferences.veto[p] else f"{party.name} ({party.role}, no veto)"

    def veto_avoid(self) -> list[tuple[int, int]]:
        return sorted({ref for p in self.veto for ref in self.certain[p]})

    def closest(self, fix: dict[int, int]) -> Closest | None:
        return closest_package(self.space, self.preferences, fix, self.veto_avoid())

    def acceptance_counts(self, packages: np.ndarray) -> np.ndarray:
        """How many samples each party accepts each package in, ``[party, package]``."""
        if packages.size == 0:
            return np.zeros((len(self.preferences.party_ids), 0), dtype=np.int64)
        return self.preferences.acceptable(self.space, self.space.codes(packages)).sum(axis=-1)


def package_block(ctx: TargetContext, prefix: str, package: int, zone_count: int, accept: np.ndarray) -> dict:
    """Columns describing one package: its number, options, zone probability, each party's acceptance."""
    row: dict[str, Any] = {f"{prefix}package": package}
    row.update(ctx.space.describe(package) if package >= 0 else dict.fromkeys(ctx.space.issue_ids))
    row.update(_floats(with_interval(f"{prefix}p_zone", zone_count, ctx.samples)))
    for p, party in enumerate(ctx.preferences.party_ids):
        row.update(_floats(with_interval(f"p_accept_{party}", int(accept[p]), ctx.samples)))
    if ctx.preferences.electorates:  # a body: its expected accepting share beside P(it passes)
        shares = accepting_shares(ctx.preferences, ctx.space.codes(np.array([max(package, 0)])))
        for p, (mean, low, high) in shares.items():
            party = ctx.preferences.party_ids[p]
            nan = package < 0
            row.update(
                {
                    f"share_{party}": np.nan if nan else float(mean[0]),
                    f"share_{party}_lo": np.nan if nan else float(low[0]),
                    f"share_{party}_hi": np.nan if nan else float(high[0]),
                }
            )
    return row


def _floats(columns: dict[str, np.ndarray]) -> dict[str, float]:
    return {k: float(v) for k, v in columns.items()}


def target_rows(ctx: TargetContext, scores: TargetScores, kind: str, counts_of: CountsOf) -> list[dict[str, Any]]:
    """One row per offer (``kind="offer"``) or per single option (``kind="option"``)."""
    hits = np.bitwise_count(scores.hits).sum(axis=-1)
    chosen = [(t, target) for t, target in enumerate(scores.targets) if target.kind == kind]
    closest: dict[int, Closest | None] = {}
    for t, target in chosen:
        if hits[t] == 0 and kind == "offer":  # options never in the zone say so; searching each costs seconds
            closest[t] = ctx.closest(dict(target.fix))
    packages = np.array(
        [scores.best_package[t] if hits[t] else (closest[t].package if closest.get(t) else -1) for t, _ in chosen],
        dtype=np.int64,
    )
    known = packages >= 0
    zone = np.zeros(packages.size, dtype=np.int64)
    zone[known] = counts_of(packages[known])
    accept = np.zeros((len(ctx.preferences.party_ids), packages.size), dtype=np.int64)
    accept[:, known] = ctx.acceptance_counts(packages[known])
    rows = []
    for j, (t, target) in enumerate(chosen):
        row: dict[str, Any] = {"target": target.name, "label": ctx.labels.get(target.name, target.name)}
        if kind == "offer":
            row["fixed"] = ", ".join(ctx.ref(i, o) for i, o in target.fix)
            row["fixed_labels"] = "; ".join(ctx.describe(i, o) for i, o in target.fix)
        else:
            issue, option = target.fix[0]
            row["issue"], row["option"] = ctx.space.issue_ids[issue], ctx.space.option_ids[issue][option]
            row["issue_title"] = ctx.scenario.issues[issue].title
            row["red_lined_by"] = ",".join(
                ctx.preferences.party_ids[p] for p in ctx.veto if target.fix[0] in ctx.certain[p]
            )
        row.update(_floats(with_interval("p_complete", int(hits[t]), ctx.samples)))
        found = closest.get(t)
        row["completion"] = "best" if hits[t] else ("closest" if found else "none")
        row.update(package_block(ctx, "completion_", int(packages[j]), int(zone[j]), accept[:, j]))
        for p, party in enumerate(ctx.preferences.party_ids):
            row[f"shortfall_{party}"] = float(found.shortfall[p]) if found else float("nan")
        row.update(_blocker(ctx, target, int(packages[j]), accept[:, j]))
        if hits[t]:
            row.update(_no_reason())
        elif kind == "offer":
            row.update(_reason(ctx, target, found))
        else:
            red = row["red_lined_by"]
            row.update(_no_reason())
            row["reason"] = f"red line of {red}" if red else "never in the zone in any sample"
        rows.append(row)
    return rows


def _blocker(ctx: TargetContext, target: Target, package: int, accept: np.ndarray) -> dict[str, Any]:
    """The veto party rejecting the reported completion most often, and what it loses on the fixed issues."""
    empty = {"blocker": "", "blocker_reject": float("nan"), "blocker_red_line": "", "blocker_issue": ""}
    empty.update(blocker_issue_loss=float("nan"), blocker_shortfall=float("nan"))
    if package < 0:
        return empty
    reject = 1.0 - accept[ctx.veto] / ctx.samples
    worst = int(ctx.veto[np.argmax(reject)])
    if reject.max() <= 0:
        return {**empty, "blocker_reject": 0.0}
    codes = ctx.space.codes(np.array([package]))[0]
    detail = blocking_detail(ctx.preferences, codes, worst, [issue for issue, _ in target.fix])
    fixed_red = [ctx.ref(i, o) for i, o in ctx.certain[worst] if (i, o) in target.fix]
    issue = int(detail["issue"])  # type: ignore[call-overload]
    return {
        "blocker": ctx.preferences.party_ids[worst],
        "blocker_reject": float(reject.max()),
        "blocker_red_line": fixed_red[0] if fixed_red else "",
        "blocker_issue": ctx.space.issue_ids[issue] if issue >= 0 else "",
        "blocker_issue_loss": float(detail["issue_loss"]),  # type: ignore[arg-type]
        "blocker_shortfall": float(detail["shortfall"]),  # type: ignore[arg-type]
    }


def _no_reason() -> dict[str, Any]:
    return {"reason": "", "reason_party": "", "reason_red_line": "", "reason_shortfall": float("nan")}


def _reason(ctx: TargetContext, target: Target, found: Closest | None) -> dict[str, Any]:
    """Why no completion of ``target`` is in the zone in any sample, from the target itself."""
    names = ctx.preferences.party_ids
    readable = [party.name for party in ctx.scenario.parties]
    red = [(p, (i, o)) for p in ctx.veto for i, o in ctx.certain[p] if (i, o) in target.fix]
    if red:
        p, (i, o) = red[0]
        text = "; ".join(
            f"red line of {readable[q]}: {ctx.describe(i2, o2)} (fixed by the offer)" for q, (i2, o2) in red
        )
        return {"reason": text, "reason_party": names[p], "reason_red_line": ctx.ref(i, o), "reason_shortfall": 0.0}
    if not target.fix and found is None:
        return {**_no_reason(), "reason": "no feasible package avoids every veto party's red lines"}
    own = own_best_completion(ctx.space, ctx.preferences, dict(target.fix), ctx.certain)
    worst = int(ctx.veto[np.argmax(own.below[ctx.veto])])
    if own.below[worst] > MOST_SAMPLES:
        text = (
            f"{readable[worst]}: even its own best completion is below its reservation in "
            f"{own.below[worst]:.1%} of samples (mean shortfall {own.shortfall[worst]:.3f})"
        )
        shortfall = float(own.shortfall[worst])
        return {"reason": text, "reason_party": names[worst], "reason_red_line": "", "reason_shortfall": shortfall}
    if found is None:
        return {**_no_reason(), "reason": "no feasible completion avoids every veto party's red lines"}
    parts = ", ".join(f"{readable[p]} {found.shortfall[p]:.3f}" for p in ctx.veto if found.shortfall[p] >= 0.0005)
    text = f"no completion satisfies every veto party at once; the closest misses by {parts}"
    return {"reason": text, "reason_party": "", "reason_red_line": "", "reason_shortfall": float(found.total)}


def headline(ctx: TargetContext, scores: TargetScores, counts_of: CountsOf) -> dict[str, Any]:
    """The summary's package: the best one when some sample has a zone, else the closest, labelled as such."""
    whole = next(t for t, target in enumerate(scores.targets) if target.kind == "space")
    hits = int(np.bitwise_count(scores.hits[whole]).sum())
    summary: dict[str, Any] = _floats(with_interval("p_zone_nonempty", hits, ctx.samples))
    if hits:
        best = int(scores.best_package[whole])
        summary.update(best_package=ctx.space.describe(best), best_package_number=best, closest_package=None)
        summary.update(_floats(with_interval("best_p_zone", int(counts_of(np.array([best]))[0]), ctx.samples)))
        return summary
    summary.update(best_package=None, best_package_number=None, best_p_zone=0.0, best_p_zone_lo=0.0)
    summary["best_p_zone_hi"] = summary["p_zone_nonempty_hi"]
    summary["no_zone"] = "no package is acceptable to every veto party in any sample"
    found = ctx.closest({})
    summary["closest_package"] = (
        None
        if found is None
        else {
            "package": found.package,
            "options": ctx.space.describe(found.package),
            "total_shortfall": found.total,
            "shortfall": {ctx.preferences.party_ids[p]: float(found.shortfall[p]) for p in ctx.veto},
            "proven": found.proven,
            "definition": "smallest total over veto parties of the mean shortfall below the reservation, among "
            "feasible packages holding no veto party's red line",
        }
    )
    return summary


def option_ref_labels(scenario: Scenario, options: dict[str, str]) -> dict[str, str]:
    """Issue title -> option label for a package given as issue id -> option id."""
    out = {}
    for issue_id, option_id in options.items():
        issue = scenario.issue(issue_id)
        label = next((o.label for o in issue.options if o.id == option_id), option_id)
        out[issue.title] = label
    return out

"""The small typed values a zone analysis is made of: packages, completions, blockers, reasons, offers, options,
the headline, the negotiation set and its bargaining solutions, per-sample hits.

Every probability is an :class:`~sim.zone.estimate.Estimate`. "Not applicable" is ``None`` (a shortfall of a
completion that is in the zone, a blocker's shortfall when nothing blocks), never NaN, so two equal analyses compare
equal. Arrays (the zone list, the negotiation set, per-sample hits) sit in classes that compare them by value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.zone.estimate import Estimate, share_text

PartyValues = dict[str, float]


@dataclass(frozen=True)
class Package:
    """One package of the space: its number in the mixed-radix grid and its option id per issue (issue order)."""

    number: int
    options: dict[str, str]

    def text(self) -> str:
        return "; ".join(f"{issue}={option}" for issue, option in self.options.items())


@dataclass(frozen=True)
class Completion:
    """The completion of a partial package (an offer, an option) that a result reports.

    ``kind`` is ``best`` (the completion in the zone most often), ``closest`` (none is ever in the zone: the one with
    the smallest total shortfall, ``shortfall`` giving each party's mean shortfall below its reservation) or
    ``none`` (no feasible completion was searched or found).
    """

    kind: str
    package: Package | None
    p_zone: Estimate
    p_accept: dict[str, Estimate]
    shortfall: PartyValues | None = None


@dataclass(frozen=True)
class Blocker:
    """An offer's blocker by the one definition (:mod:`sim.zone.blocker`): the veto party that most often rejects
    *every* completion of the offer (``party`` empty when no veto party ever does), its name, the share of samples
    in which it does, the red lines of its the offer itself fixes (``issue.option``, with the probability each
    holds) and the mean shortfall of its own best completion below its reservation (``None`` without a blocker)."""

    party: str = ""
    name: str = ""
    share: float = 0.0
    red_lines: tuple[str, ...] = ()
    holds: tuple[float, ...] = ()
    shortfall: float | None = None

    NONE = "none alone (no veto party rejects every completion in any sample)"

    def text(self) -> str:
        """One line for a reader: the name, how often, and the red lines it fixes (with ``holds`` when uncertain)."""
        if not self.party:
            return self.NONE
        red = [ref + ("" if h >= 1 else f" (holds {h:g})") for ref, h in zip(self.red_lines, self.holds, strict=True)]
        why = f"; red lines it fixes: {', '.join(red)}" if red else ""
        if self.shortfall:
            why += f"; its own best completion short of its reservation by {self.shortfall:.3f} on average"
        return f"{self.name} (rejects every completion in {share_text(self.share)} of samples{why})"


@dataclass(frozen=True)
class Reason:
    """Why no completion is in the zone in any sample (empty when some is): the sentence and what it names."""

    text: str = ""
    party: str = ""
    red_line: str = ""
    shortfall: float | None = None


@dataclass(frozen=True)
class OfferResult:
    """A named offer: P(some completion in the zone), the completion shown, its blocker and, if never in the zone,
    the reason."""

    id: str
    label: str
    fixed: tuple[str, ...]
    fixed_labels: tuple[str, ...]
    p_complete: Estimate
    completion: Completion
    blocker: Blocker
    reason: Reason


@dataclass(frozen=True)
class OptionResult:
    """One option's marginal: P(some package holding it is in the zone), its best completion, who red-lines it, and
    the mean zone probability of the feasible packages that hold it."""

    ref: str
    label: str
    issue: str
    option: str
    issue_title: str
    red_lined_by: tuple[str, ...]
    p_complete: Estimate
    completion: Completion
    blocker: Blocker
    reason: Reason
    mean_p_zone: float


@dataclass(frozen=True)
class ClosestPackage:
    """When no package is ever in the zone: the feasible package, holding no veto party's certain red line, with the
    smallest total mean shortfall below the veto parties' reservations (``proven``: the minimum is exact)."""

    package: Package
    total_shortfall: float
    shortfall: PartyValues
    proven: bool

    DEFINITION = (
        "smallest total over veto parties of the mean shortfall below the reservation, among feasible packages "
        "holding no veto party's red line"
    )


@dataclass(frozen=True)
class Headline:
    """P(zone non-empty), and the best package (in the zone most often) or, with no zone, the closest one."""

    p_nonempty: Estimate
    best: Package | None
    best_p_zone: Estimate
    closest: ClosestPackage | None

    NO_ZONE = "no package is acceptable to every veto party in any sample"


@dataclass(frozen=True)
class BargainingSolution:
    """A bargaining solution (Nash, Kalai–Smorodinsky, egalitarian, utilitarian) on the negotiation set."""

    name: str
    package: Package
    expected_utility: PartyValues
    gain_over_reservation: PartyValues
    p_zone: Estimate


def _arrays_equal(a: object, b: object, names: tuple[str, ...]) -> bool:
    if type(a) is not type(b):
        return False
    return all(_equal(getattr(a, n), getattr(b, n)) for n in names)


def _equal(x: object, y: object) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return bool(np.array_equal(np.asarray(x), np.asarray(y)))
    return x == y


@dataclass(frozen=True, eq=False)
class NegotiationSet:
    """The negotiation set: Pareto-efficient packages (veto parties' expected utilities) that break no veto party's
    red line and reach every veto party's mean reservation (Raiffa 1982), with the bargaining solutions on it.

    ``expected_utility[party, k]`` is every party's expected utility of ``packages[k]``; ``zone_count[k]`` the
    number of samples in which it is in the zone.
    """

    packages: np.ndarray
    zone_count: np.ndarray
    expected_utility: np.ndarray
    reservation: PartyValues
    solutions: dict[str, BargainingSolution | None]

    DEFINITION = (
        "among packages breaking no veto party's red line whose expected utility reaches every veto party's mean "
        "reservation; ties broken by the larger utility sum"
    )
    FRONTIER = (
        "the negotiation set: Pareto-efficient packages (expected utilities of veto parties) that break no veto "
        "party's red line and reach every veto party's mean reservation"
    )

    def __eq__(self, other: object) -> bool:
        return _arrays_equal(self, other, ("packages", "zone_count", "expected_utility", "reservation", "solutions"))


@dataclass(frozen=True, eq=False)
class BlockColumns:
    """Columns ``[party, row]`` of a sorted list held block by block: block k holds rows ``starts[k]`` to
    ``starts[k + 1]`` and ``read(k)`` gives them, from memory or from a saved part (``sim.zone.reduce``), so that the
    whole matrix never has to be in memory at once."""

    starts: np.ndarray
    n_parties: int
    read: Callable[[int], np.ndarray]

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The columns of the given rows (any order), ``[party, len(rows)]``."""
        rows = np.asarray(rows, dtype=np.int64)
        taken = np.zeros((self.n_parties, rows.size), dtype=np.int32)
        block_of = np.searchsorted(self.starts, rows, side="right") - 1
        for k in np.unique(block_of):
            chosen = block_of == k
            taken[:, chosen] = self.read(int(k))[:, rows[chosen] - self.starts[k]]
        return taken


@dataclass(frozen=True, eq=False)
class ZoneList:
    """Every package in the zone in some sample (sorted by number) and its zone count: the zone, sparse; with each
    party's acceptance count ``[party, package]`` when the scorer gave it (not kept in a run directory)."""

    packages: np.ndarray
    zone_count: np.ndarray
    accept_count: np.ndarray | BlockColumns | None = None

    def locate(self, packages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For any ``packages``: whether each is listed, and its row in the list where it is (0 elsewhere)."""
        packages = np.asarray(packages, dtype=np.int64)
        if self.packages.size == 0:
            return np.zeros(packages.size, dtype=bool), np.zeros(packages.size, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.packages, packages), self.packages.size - 1)
        return self.packages[at] == packages, at

    def accepts_of(self, packages: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """For ``packages``: which are listed, and the listed ones' acceptance counts (None: not kept)."""
        if self.accept_count is None:
            return None
        found, at = self.locate(packages)
        if isinstance(self.accept_count, BlockColumns):
            return found, self.accept_count.take(at[found])
        return found, self.accept_count[:, at[found]]

    def counts_of(self, packages: np.ndarray) -> np.ndarray:
        """Zone counts of any packages (0 for a package never in the zone)."""
        found, at = self.locate(packages)
        if self.packages.size == 0:
            return np.zeros(found.size, dtype=np.int64)
        return np.where(found, self.zone_count[at], 0).astype(np.int64)

    def __eq__(self, other: object) -> bool:
        return _arrays_equal(self, other, ("packages", "zone_count"))


@dataclass(frozen=True, eq=False)
class SampleHits:
    """Per sample: is the zone non-empty, and has each offer and each option a completion in it
    (``hits[name][s]``; names ``zone_nonempty``, ``offer_<id>``, ``option_<issue.option>``)."""

    hits: dict[str, np.ndarray] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SampleHits) or list(self.hits) != list(other.hits):
            return False
        return all(np.array_equal(self.hits[k], other.hits[k]) for k in self.hits)


@dataclass(frozen=True)
class ZoneHistogram:
    """How many feasible packages have each zone probability: ``zero`` never in the zone, then ``counts`` in 20
    equal bins of (0, 1]."""

    zero: int
    counts: tuple[int, ...]

    @property
    def edges(self) -> list[float]:
        return [float(x) for x in np.linspace(0, 1, len(self.counts) + 1)]

"""A zone analysis as one value: what `negsim run` writes, the report shows and a notebook gets from ``sim.zone``.

:class:`ZoneAnalysis` holds the scenario and the settings that determine it, the headline (P(zone non-empty), the
best or closest package), every offer and option with its completion, blocker and reason, the negotiation set with
its bargaining solutions, the zone itself (sparse: each package in the zone in some sample and its count), the p_zone
histogram and the per-sample hits. It is built once (``sim.zone.analyse``); ``sim.outputs`` saves it as a run
directory and loads it back equal. The views (``top_packages``, ``offers``, ``marginals``) are pandas frames for
notebooks, built on demand from the typed values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.model import Scenario
from sim.zone.blocker import Rejection, accepts_everything, rejections, why_outside
from sim.zone.estimate import Estimate, estimate_columns
from sim.zone.preferences import Preferences
from sim.zone.results import (
    Headline,
    NegotiationSet,
    OfferResult,
    OptionResult,
    Package,
    SampleHits,
    ZoneHistogram,
    ZoneList,
)
from sim.zone.settings import RunSettings, run_preferences
from sim.zone.space import PackageSpace

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RankedPackage:
    """A package's place among those most often in the zone; ``differs``: its options that differ from #1's."""

    rank: int
    package: Package
    p_zone: Estimate
    differs: dict[str, str]

    def text(self) -> str:
        """The package as a reader scans a ranking: #1 in full, the others by what differs from #1."""
        if self.rank == 1:
            return self.package.text()
        return "; ".join(f"{i}={o}" for i, o in self.differs.items()) or "(same options as #1)"


@dataclass(frozen=True)
class ZoneCore:
    """Over the ``packages`` in the zone in some sample: the options all of them hold (``shared``, issue -> option)
    and the options none of them holds (``absent``, ``issue.option``). With an empty zone there is no core."""

    packages: int
    shared: dict[str, str]
    absent: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class ZoneAnalysis:
    """Everything a zone run found, as typed values (see the module docstring). ``preferences`` (the run's samples)
    is kept when the analysis was computed here, for what needs them again (zone.parquet's acceptance and utility
    columns, the utility-pairs plot); it is not part of the value's identity."""

    scenario: Scenario
    settings: RunSettings
    parties: tuple[str, ...]
    veto_parties: tuple[str, ...]
    space_size: int
    feasible: int
    zone_rows: int
    zone_mass: float
    zone_mass_interval: tuple[float, float]
    headline: Headline
    offer_results: tuple[OfferResult, ...]
    option_results: tuple[OptionResult, ...]
    negotiation_set: NegotiationSet
    histogram: ZoneHistogram
    hits: SampleHits
    zone: ZoneList
    preferences: Preferences | None = field(default=None, repr=False, compare=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ZoneAnalysis):
            return NotImplemented
        compared = [f.name for f in fields(self) if f.compare]
        return all(getattr(self, name) == getattr(other, name) for name in compared)

    @property
    def samples(self) -> int:
        return self.settings.samples

    @property
    def p_nonempty(self) -> Estimate:
        """Share of samples in which some package is acceptable to every veto party, with its interval."""
        return self.headline.p_nonempty

    def zone_mass_text(self) -> str:
        """The zone mass (expected number of packages in the zone) with its 95 % interval, ``1.980 [1.712, 2.248]``."""
        low, high = self.zone_mass_interval
        return f"{self.zone_mass:.3f} [{low:.3f}, {high:.3f}]"

    @cached_property
    def space(self) -> PackageSpace:
        return PackageSpace.from_scenario(self.scenario)

    def named_packages(self) -> np.ndarray:
        """Feasible packages the analysis names, sorted (see :func:`named_packages`)."""
        return named_packages(self.space, self.headline, self.offer_results, self.negotiation_set)

    def table_packages(self) -> np.ndarray:
        """The rows of zone.parquet: every package in the zone in some sample plus the named ones."""
        return sorted_union(self.zone.packages, self.named_packages())

    def ranked(self, n: int = 15) -> list[RankedPackage]:
        """The ``n`` packages most often in the zone (ties: lower package number first) with their zone probability,
        each after the first written as what differs from the first."""
        order = np.lexsort((self.zone.packages, -self.zone.zone_count))[:n]
        ranked: list[RankedPackage] = []
        for rank, (k, c) in enumerate(zip(self.zone.packages[order], self.zone.zone_count[order], strict=True), 1):
            package = Package(int(k), self.space.describe(int(k)))
            first = ranked[0].package.options if ranked else package.options
            differs = {issue: option for issue, option in package.options.items() if first[issue] != option}
            ranked.append(RankedPackage(rank, package, Estimate.of(int(c), self.samples), differs))
        return ranked

    def core(self) -> ZoneCore:
        """What every package in the zone (in some sample) shares, and the options none of them holds."""
        if self.zone.packages.size == 0:
            return ZoneCore(0, {}, ())
        shared: dict[str, str] = {}
        absent: list[str] = []
        for i, issue in enumerate(self.space.issue_ids):  # one issue's option indices at a time: zones run to millions
            radix = self.space.radices[i]
            present = np.flatnonzero(np.bincount(self.space.option_codes(self.zone.packages, i), minlength=radix))
            if len(present) == 1:
                shared[issue] = self.space.option_ids[i][int(present[0])]
            absent += [f"{issue}.{o}" for j, o in enumerate(self.space.option_ids[i]) if j not in present]
        return ZoneCore(len(self.zone.packages), shared, tuple(absent))

    @cached_property
    def samples_preferences(self) -> Preferences:
        """The run's samples: kept from the computation, or drawn again from the run's seed (the same samples)."""
        return self.preferences or run_preferences(self.scenario, self.settings)

    def why_outside(self, package: int) -> str:
        """What keeps ``package`` out of the zone in the samples where it is out: per veto party, how often it
        rejects it and its red line or mean shortfall (:func:`sim.zone.blocker.why_outside`; "" if never out)."""
        return why_outside(self.scenario, self.space, self.samples_preferences, package)

    def rejections(self, package: int) -> list[Rejection]:
        """The same, one typed value per veto party that rejects ``package`` in some sample, most often first."""
        return rejections(self.scenario, self.space, self.samples_preferences, package)

    def accepts_everything(self) -> tuple[str, ...]:
        """Veto parties (names) that accept every package in every sample: they constrain nothing, so moving their
        reservation, weights or values changes nothing in the zone (:func:`sim.zone.blocker.accepts_everything`)."""
        return tuple(accepts_everything(self.scenario, self.samples_preferences))

    def top_packages(self, n: int = 15) -> pd.DataFrame:
        """The ``n`` packages most often in the zone: package number, one column per issue (option id), p_zone with
        its 95 % interval (``p_zone_lo``, ``p_zone_hi``)."""
        import pandas as pd

        order = np.lexsort((self.zone.packages, -self.zone.zone_count))[:n]
        packages = self.zone.packages[order]
        codes = self.space.codes(packages)
        columns: dict[str, object] = {"package": packages}
        for i, issue in enumerate(self.space.issue_ids):
            columns[issue] = [self.space.option_ids[i][c] for c in codes[:, i]]
        columns.update(estimate_columns("p_zone", self.zone.zone_count[order], self.samples))
        return pd.DataFrame(columns)

    @property
    def offers(self) -> pd.DataFrame:
        """One row per named offer: P(some completion in the zone) with its interval, the completion shown and its
        P(zone), the blocker (by name, :mod:`sim.zone.blocker`) with the share of samples in which it rejects every
        completion, and the reason."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "offer": r.id,
                    "label": r.label,
                    **r.p_complete.columns("p_complete"),
                    "completion": r.completion.kind,
                    **r.completion.p_zone.columns("completion_p_zone"),
                    "blocker": r.blocker.name,
                    "blocker_share": r.blocker.share,
                    "reason": r.reason.text,
                }
                for r in self.offer_results
            ],
            columns=[
                "offer",
                "label",
                "p_complete",
                "p_complete_lo",
                "p_complete_hi",
                "completion",
                "completion_p_zone",
                "completion_p_zone_lo",
                "completion_p_zone_hi",
                "blocker",
                "blocker_share",
                "reason",
            ],
        )

    @property
    def marginals(self) -> pd.DataFrame:
        """One row per option: P(some package holding it in the zone) with its interval, and who red-lines it."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "issue": r.issue,
                    "option": r.option,
                    "label": r.label,
                    **r.p_complete.columns("p_complete"),
                    "red_lined_by": ",".join(r.red_lined_by),
                    "mean_p_zone": r.mean_p_zone,
                }
                for r in self.option_results
            ]
        )


def named_packages(
    space: PackageSpace, headline: Headline, offers: Iterable[OfferResult], negotiation: NegotiationSet
) -> np.ndarray:
    """Feasible packages an analysis names (offers' completions, bargaining solutions, best or closest package),
    sorted: zone.parquet lists them even when never in the zone."""
    named = {r.completion.package.number for r in offers if r.completion.package is not None}
    named |= {s.package.number for s in negotiation.solutions.values() if s is not None}
    if headline.best is not None:
        named.add(headline.best.number)
    if headline.closest is not None:
        named.add(headline.closest.package.number)
    packages = np.array(sorted(named), dtype=np.int64)
    return packages[space.feasible(space.codes(packages))] if packages.size else packages


def sorted_union(listed: np.ndarray, few: np.ndarray) -> np.ndarray:
    """``np.union1d(listed, few)`` for a sorted, duplicate-free ``listed`` and a handful of ``few``: the few are
    inserted where they belong, in one pass. ``union1d`` sorts (hashes) everything again: 1.4 s and a hash table per
    call on a 1.35-million-package zone, twice a run."""
    listed = np.asarray(listed, dtype=np.int64)
    few = np.unique(np.asarray(few, dtype=np.int64))
    if listed.size == 0:
        return few
    at = np.searchsorted(listed, few)
    new = listed[np.minimum(at, listed.size - 1)] != few
    return np.insert(listed, at[new], few[new])

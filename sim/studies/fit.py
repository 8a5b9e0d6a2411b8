"""Calibration as inference (issue 19 part 4): a party's free quantities fitted to observed acceptance shares.

The modelled share of an observation is the share of the party's electorate accepting its package at the party's
draw θ (its published midpoints, with the free quantities set to θ): the very voters the zone uses
(:func:`sim.zone.electorate.voter_offsets`, same seeded Latin hypercube), so a fitted population votes in a run as
it was fitted. The likelihood is binomial in each observation's ``n``: ``k = round(accept * n)`` of ``n`` accept.

The posterior (uniform priors on each quantity's range) is computed by importance sampling on scrambled Sobol points
(:class:`scipy.stats.qmc.Sobol`): a first pass over the whole prior box finds where the likelihood lives, each next
pass fills the box the best points span (widened by half, clipped to the prior) with as many points again, and the
last pass's points are weighted by their likelihood (the proposal is uniform in its box; the box is wide enough that
the posterior mass outside it is negligible — the first pass shows where it is). The fitted ranges are the
posterior's 95 % intervals (weighted quantiles); the effective sample size says how many points carry them. Held-out
observations are *predicted*: the posterior predictive of the observed share (posterior draws of θ, then binomial
noise in ``n``), never fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binom, qmc

from sim.scenario.model import Link, Scenario
from sim.scenario.observations import CalibrationData
from sim.zone.electorate import voter_offsets
from sim.zone.preferences import TIE_TOLERANCE_UNITS, to_units

PRIOR = {
    "reservation": (0.0, 1.0),
    "weights": (0.0, 1.0),
    "values": (0.0, 1.0),
    "links": (0.0, 1.0),
    "spread": (0.0, 0.5),
}
POINTS = 2**12


def link_name(link: Link) -> str:
    """A link's name as a free quantity: ``links.<when>-><option>`` (what the fit prints, what ``free:`` takes)."""
    return f"links.{link.when}->{link.option}"


@dataclass(frozen=True)
class Quantity:
    """One free number: what it is (``kind``, indices) and its prior range."""

    name: str
    kind: str  # reservation | weight | value | link | spread
    index: tuple[int, ...]
    prior: tuple[float, float]


@dataclass(eq=False)
class ShareModel:
    """The party's published numbers and the observed packages: ``shares(θ)`` is the modelled share of each."""

    scenario: Scenario
    data: CalibrationData

    def __post_init__(self) -> None:
        scenario, data = self.scenario, self.data
        self.p = [party.id for party in scenario.parties].index(data.party)
        party = scenario.parties[self.p]
        self.party, self.voters = party, party.electorate.voters
        issues = [issue.id for issue in scenario.issues]
        self.radices = tuple(len(issue.options) for issue in scenario.issues)
        n_options = max(self.radices)
        self.weight = np.array([np.mean(party.weight_range(i)) for i in issues])
        self.value = np.zeros((len(issues), n_options))
        for i, issue in enumerate(scenario.issues):
            for o, option in enumerate(issue.options):
                self.value[i, o] = np.mean(party.value_range(issue.id, option.id))
        self.reservation = float(np.mean(party.reservation))
        spread = party.electorate.spread
        self.spread = np.array([spread.reservation, spread.weights, spread.values])
        self.links = [
            (
                issues.index(link.when.split(".")[0]),
                scenario.issue(link.when.split(".")[0]).option_ids.index(link.when.split(".")[1]),
                issues.index(link.option.split(".")[0]),
                scenario.issue(link.option.split(".")[0]).option_ids.index(link.option.split(".")[1]),
                float(np.mean(link.value)),
            )
            for link in party.links
        ]
        self.quantities = list(self._quantities())
        self.codes = np.array(
            [
                [
                    scenario.issue(i).option_ids.index(
                        {**data.status_quo, **obs.fix}.get(i, scenario.issue(i).option_ids[0])
                    )
                    for i in issues
                ]
                for obs in data.observations
            ]
        )

    def _quantities(self) -> Any:
        issues = [issue.id for issue in self.scenario.issues]
        for name in self.data.free:
            head, _, rest = name.partition(".")
            if name == "reservation":
                yield Quantity(name, "reservation", (), PRIOR["reservation"])
            elif head == "links":  # every link, or the one named `links.<when>-><option>`
                for k, link in enumerate(self.party.links):
                    if name in ("links", link_name(link)):
                        yield Quantity(link_name(link), "link", (k,), PRIOR["links"])
            elif head == "weights":
                yield Quantity(name, "weight", (issues.index(rest),), PRIOR["weights"])
            elif head == "values":
                issue, _, option = rest.partition(".")
                options = self.scenario.issue(issue).option_ids
                for o in [options.index(option)] if option else range(len(options)):
                    yield Quantity(f"values.{issue}.{options[o]}", "value", (issues.index(issue), o), PRIOR["values"])
            else:
                key = rest.removeprefix("spread.")
                yield Quantity(name, "spread", (("reservation", "weights", "values").index(key),), PRIOR["spread"])

    def shares(self, theta: np.ndarray) -> np.ndarray:
        """Modelled share of voters accepting each observed package at θ (one value per free quantity)."""
        weight, value, spread = self.weight.copy(), self.value.copy(), self.spread.copy()
        reservation, link_value = self.reservation, [link[4] for link in self.links]
        for quantity, x in zip(self.quantities, theta, strict=True):
            if quantity.kind == "reservation":
                reservation = x
            elif quantity.kind == "weight":
                weight[quantity.index] = x
            elif quantity.kind == "value":
                value[quantity.index] = x
            elif quantity.kind == "link":
                link_value[quantity.index[0]] = x
            else:
                spread[quantity.index] = x
        if weight.sum() <= 0:
            return np.zeros(len(self.codes))
        deviation, offset = voter_offsets(weight, value, self.radices, self.voters, tuple(spread), self.party.id)
        normalised = weight / weight.sum()
        units = to_units(normalised[:, None] * value)
        rows = np.arange(len(self.radices))
        utility = units[rows, self.codes].sum(axis=1)  # [observation]
        for (wi, wo, li, lo, _), linked in zip(self.links, link_value, strict=True):
            both = (self.codes[:, wi] == wo) & (self.codes[:, li] == lo)
            utility[both] += int(to_units(normalised[li] * linked)) - units[li, lo]
        voters = utility[:, None] + deviation[:, rows, self.codes].sum(axis=2).T  # [observation, voter]
        threshold = int(to_units(reservation)) - TIE_TOLERANCE_UNITS + offset
        return (voters >= threshold[None, :]).mean(axis=1)


@dataclass(frozen=True)
class Posterior:
    """Weighted points θ (rows) with their modelled shares of every observation."""

    quantities: list[Quantity]
    theta: np.ndarray
    weight: np.ndarray
    shares: np.ndarray  # [point, observation]
    evaluated: int = 0  # likelihood evaluations over all passes

    @property
    def effective_points(self) -> float:
        return float(self.weight.sum() ** 2 / (self.weight**2).sum())

    def quantile(self, values: np.ndarray, q: float) -> float:
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(self.weight[order]) / self.weight.sum()
        return float(values[order][min(np.searchsorted(cumulative, q), len(order) - 1)])

    def interval(self, values: np.ndarray) -> tuple[float, float, float]:
        """(mean, 2.5 %, 97.5 %) of a quantity under the posterior."""
        mean = float(np.average(values, weights=self.weight))
        return mean, self.quantile(values, 0.025), self.quantile(values, 0.975)


def _log_likelihood(shares: np.ndarray, accepted: np.ndarray, n: np.ndarray) -> np.ndarray:
    return binom.logpmf(accepted[None, :], n[None, :], np.clip(shares, 1e-9, 1 - 1e-9)).sum(axis=1)


def _evaluate(model: ShareModel, box: np.ndarray, points: int, seed: int, fit: np.ndarray) -> tuple[np.ndarray, ...]:
    theta = (
        qmc.scale(qmc.Sobol(len(box), scramble=True, seed=seed).random(points), box[:, 0], box[:, 1])
        if (box[:, 1] > box[:, 0]).all()
        else np.repeat(box[:, :1].T, points, axis=0)
    )
    shares = np.array([model.shares(row) for row in theta])
    observations = model.data.observations
    accepted = np.array([round(obs.accept * obs.n) for obs in observations])[fit]
    n = np.array([obs.n for obs in observations])[fit]
    return theta, shares, _log_likelihood(shares[:, fit], accepted, n)


def fit_posterior(model: ShareModel, points: int = POINTS, seed: int = 0, passes: int = 3) -> Posterior:
    """Importance sampling in ``passes`` passes of ``points`` Sobol points each, each pass over the box the best
    points of the one before span (see the module docstring); the last pass is the weighted sample."""
    held = set(model.data.holdout)
    fit = np.array([obs.id not in held for obs in model.data.observations])
    prior = np.array([q.prior for q in model.quantities], dtype=float)
    box = prior
    for rounds in range(passes):
        theta, shares, loglik = _evaluate(model, box, points, seed + rounds, fit)
        best = theta[np.argsort(loglik)[-max(8, points // 64) :]]
        low, high = best.min(axis=0), best.max(axis=0)
        pad = np.maximum((high - low) * 0.5, (prior[:, 1] - prior[:, 0]) / 256)
        box = np.stack([np.maximum(low - pad, prior[:, 0]), np.minimum(high + pad, prior[:, 1])], axis=1)
    weight = np.exp(loglik - loglik.max())
    return Posterior(model.quantities, theta, weight, shares, passes * points)


def predictive(
    posterior: Posterior, column: int, n: int, draws: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """Posterior predictive of an observed share out of ``n``: (mean, 2.5 %, 97.5 %)."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(posterior.weight), size=draws, p=posterior.weight / posterior.weight.sum())
    observed = rng.binomial(n, posterior.shares[picked, column]) / n
    return float(observed.mean()), float(np.quantile(observed, 0.025)), float(np.quantile(observed, 0.975))

"""The mediator's belief about the veto parties: Monte-Carlo preference samples that the parties' replies re-weight.

Why: a single-text mediator (Raiffa 1982, *The Art and Science of Negotiation*, ch. 14; the one-text procedure of
Camp David 1978) drafts one package, hears objections and redrafts. Its draft should be the package most likely to
be accepted by every veto party given what it knows: the published ranges and everything said so far.

*Prior.* :func:`~sim.negotiation.draws.draw_parties` (the zone's own sampling) draws S samples of every party from
the published ranges, from the mediator's own seed, plus one reservation drift and one leverage cut per sample from
their ranges. Parties are drawn independently, so the belief is factorised by party (a particle filter per party:
Gordon, Salmond & Smith 1993; Doucet, de Freitas & Gordon 2001): party p has weighted samples ``w[p, s]`` and the
chance that every veto party accepts package x is the product ``prod_p P_p(x)``,
``P_p(x) = sum_s w[p, s] A[p, x, s] / sum_s w[p, s]`` - S^P joint combinations for the price of P*S samples.

*Prediction.* Strategies are published, so a sample predicts each reply: at round t party p accepts x iff
``u_ps(x) >= max(a_ps(t), r_ps(t))`` with the time-dependent aspiration ``a`` of ``strategies.time_aspiration``
(the best package for a hardliner), and, when it rejects, it names the issue where it loses most.

*Update.* A reply multiplies the weight of every sample that predicted otherwise by a floor (``EPS_REPLY``,
``EPS_OBJECTION``) rather than 0, so a model error (an aspiration rule the mediator does not know) never empties the
belief. Evidence counts once: acceptance is monotone in t, so a text rejected again only speaks about the samples
that predicted acceptance now but not before, and an objection to the same text names the same issue again.

*Choice.* The text is the masked argmax over ``candidates x samples`` arrays of ``sum_p log P_p(x)``, where
``A[p, x, s]`` is acceptance at the deadline (aspirations reach the final reservation there): the package most
likely to be in this run's zone. Candidates are those the mediator believes feasible - no constraint broken and no
veto party's red line - cut to the ``SHORTLIST`` with the highest prior chance (every package outside it has a
lower prior chance than all inside; on the baseline the top 300 already hold every sampled zone but 0.4 %).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.negotiation.draws import draw_parties
from sim.negotiation.protocol import Reply
from sim.negotiation.strategies import held_share
from sim.scenario.model import Concession, Scenario
from sim.zone.preferences import Preferences, add_link_terms, gather_sums

BELIEF_SAMPLES = 128
SHORTLIST = 256
EPS_REPLY = 0.05
EPS_OBJECTION = 0.3
TINY = 1e-12
PASS_CHUNK = 4096
EXPLOIT_ROUNDS = 3
EXPLOIT_TEXTS = 64
LOG_EPS_REPLY = np.log(EPS_REPLY)
LOG_EPS_OBJECTION = np.log(EPS_OBJECTION)


def reservation_at(initial: np.ndarray, drift: np.ndarray, round_: int, cut: np.ndarray) -> np.ndarray:
    """Reservation in ``round_`` (1-based): the initial one, plus drift per round since round 1, minus pressure."""
    return np.clip(initial + drift * (round_ - 1) - cut, 0.0, 1.0)


def _utilities(preferences: Preferences, codes: np.ndarray, veto: list[int]) -> np.ndarray:
    """Veto parties' utilities ``[p, k, s]`` with links; ``-inf`` where an uncertain red line holds in a sample."""
    total = gather_sums(preferences.by_issue, codes, preferences.n_parties, preferences.samples)
    add_link_terms(total, preferences.links, codes, units=False)
    for red in preferences.red_line_list:
        if not red.certain:
            hit = red.held_by(codes)
            total[hit, red.party, :] = np.where(red.in_sample[None, :], -np.inf, total[hit, red.party, :])
    return total[:, veto].transpose(1, 0, 2)


def reservation_share(bound: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The share of a uniform reservation interval ``[low, high]`` at or below ``bound`` (1 or 0 for a point)."""
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.minimum(np.maximum((bound - low) / width, 0.0), 1.0)
    return np.where(width > 0, share, bound >= low)


@dataclass(eq=False)
class MediatorPrior:
    """What the mediator's samples say, computed once per scenario and belief seed (the same in every run).

    ``utilities[p, k, s]``: veto party p's utility of shortlisted package k in sample s; ``objection[p, k, s]``:
    the issue it would name against it; ``reservation[p]``: the published ``(lo, hi)`` of its initial reservation;
    ``final_bound[p, s, k]`` (sample-major): the largest initial reservation with which it accepts k at the deadline.
    Built over the negotiating table (``sim.negotiation.table``, a few thousand packages), so its memory is bounded
    whatever the size of the space.
    """

    shortlist: np.ndarray
    utilities: np.ndarray
    best: np.ndarray
    reservation: np.ndarray
    drift: np.ndarray
    cut: np.ndarray
    exponent: np.ndarray
    hardliner: np.ndarray
    objection: np.ndarray
    deadline: int
    final_bound: np.ndarray | None = None
    final_acceptance: np.ndarray | None = None
    timings: dict[int, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = field(default_factory=dict)
    penalties: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict)
    patterns: dict[tuple[bool | None, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @cached_property
    def pressed(self) -> np.ndarray:
        """Which veto parties a leverage party presses (their rejections cost them)."""
        return self.cut.any(axis=1)

    @cached_property
    def conceding(self) -> bool:
        """No hardliner, no reservation drift and no leverage: :meth:`bound` is its formula alone."""
        return not (self.hardliner.any() or self.drift.any() or self.cut.any())

    @classmethod
    def build(
        cls, scenario: Scenario, candidates: np.ndarray, veto: list[int], seed: int, samples: int | None = None
    ) -> MediatorPrior:
        samples = BELIEF_SAMPLES if samples is None else samples
        drawn = draw_parties(scenario, veto, samples, np.random.default_rng(seed))
        preferences = drawn.preferences
        strategies = [scenario.parties[p].strategy for p in veto]
        prior = cls(
            shortlist=np.arange(len(candidates)),
            utilities=np.empty((len(veto), 0, samples)),
            best=np.full((len(veto), samples), -np.inf),
            reservation=np.array([scenario.parties[p].reservation for p in veto], dtype=np.float64),
            drift=drawn.drift,
            cut=drawn.cut,
            exponent=np.array([s.effective_exponent for s in strategies]),
            hardliner=np.array([s.concession is Concession.hardliner for s in strategies]),
            objection=np.empty((len(veto), 0, samples), dtype=np.int16),
            deadline=scenario.run.rounds,
        )
        chunks = [
            _utilities(preferences, candidates[start : start + PASS_CHUNK], veto)
            for start in range(0, len(candidates), PASS_CHUNK)
        ]
        for chunk in chunks:
            prior.best = np.maximum(prior.best, chunk.max(axis=1))
        no_evidence = np.broadcast_to(prior.reservation[:, None, :], (len(veto), samples, 2))
        score = (
            np.concatenate(
                [
                    prior.log_all_accept(prior.acceptance(prior.bound(chunk, prior.deadline, 0.0), no_evidence))
                    for chunk in chunks
                ]
            )
            if chunks
            else np.zeros(0)
        )
        prior.shortlist = np.argsort(-score, kind="stable")[: min(SHORTLIST, len(candidates))]
        prior.utilities = np.concatenate(chunks, axis=1)[:, prior.shortlist].astype(np.float64)
        codes = candidates[prior.shortlist]
        contributions = preferences.contributions[veto]
        loss = contributions.max(axis=2)[:, :, None, :] - np.stack(
            [contributions[:, i, codes[:, i], :] for i in range(codes.shape[1])], axis=1
        )
        prior.objection = loss.argmax(axis=1).astype(np.int16)
        prior.final_bound = np.ascontiguousarray(prior.bound(prior.utilities, prior.deadline, 0.0).transpose(0, 2, 1))
        return prior

    def bound(self, utilities: np.ndarray, round_: int, rejections: np.ndarray | float) -> np.ndarray:
        """The largest initial reservation with which each sample accepts, ``[p, k, s]`` for ``utilities[p, k, s]``.

        The aspiration ``a = r + (best - r) h`` (``h = 1 - (t/T)^(1/e)``) is linear in the reservation ``r``, so
        "accept iff u >= a and u >= r" is "r <= (u - best h) / (1 - h)"; with ``r = r0 + drift (t-1) - cut n``
        that is a bound on the initial reservation ``r0`` (a hardliner's aspiration stays at its best).

        The mediator asks this a few times a round over small arrays, so the common case - no hardliner, every
        party still conceding (h < 1), no drift nor leverage - computes only its formula: the same float operations
        as the general case picks there (subtracting a zero shift changes no bit, -0.0 included).
        """
        keep, best_keep, one_minus_keep = self.timing(round_)
        if best_keep is not None and one_minus_keep is not None:
            if self.finite_best:  # nothing to warn about
                return (utilities - best_keep) / one_minus_keep
            with np.errstate(invalid="ignore"):  # -inf - (-inf) where a sample accepts nothing
                return (utilities - best_keep) / one_minus_keep
        best = self.best[:, None, :]
        shift = (self.drift * (round_ - 1) - self.cut * np.reshape(rejections, (-1, 1)))[:, None, :]
        at_best = np.where(utilities >= best, utilities, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            timed = np.where(keep < 1.0, (utilities - best * keep) / (1.0 - keep), at_best)
        return np.where(self.hardliner[:, None, None], at_best, timed) - shift

    def timing(self, round_: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """``h`` per party ``[p, 1, 1]`` in ``round_``, and in the common case of :meth:`bound` the arrays its formula
        takes, ``best * h`` and ``1 - h``, as it computes them (None otherwise). Cached per round: every run of a
        process asks the same rounds of the same prior."""
        found = self.timings.get(round_)
        if found is None:
            keep = np.asarray(held_share(round_, self.deadline, self.exponent))[:, None, None]
            if self.conceding and bool((keep < 1.0).all()):
                with np.errstate(invalid="ignore"):  # -inf * 0
                    found = (keep, self.best[:, None, :] * keep, 1.0 - keep)
            else:
                found = (keep, None, None)
            self.timings[round_] = found
        return found

    def answered(self, accepted: tuple[bool | None, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``[p, 1]`` masks of the parties asked and of those that accepted, for replies that accepted (True),
        rejected (False) or were not asked (None); cached per pattern."""
        found = self.patterns.get(accepted)
        if found is None:
            asked = np.array([answer is not None for answer in accepted])[:, None]
            found = self.patterns[accepted] = (asked, np.array([answer is True for answer in accepted])[:, None])
        return found

    def objection_penalty(self, party: int, text: int, issue: int) -> np.ndarray:
        """``[s]``: the log weight an objection on ``issue`` to ``text`` adds to each of ``party``'s samples -
        ``LOG_EPS_OBJECTION`` where the sample names another issue, 0.0 elsewhere (adding 0.0 changes no log weight:
        they are never -0.0). Cached: every run of a process asks about the same few texts."""
        key = (party, text, issue)
        found = self.penalties.get(key)
        if found is None:
            found = self.penalties[key] = np.where(self.objection[party, text] != issue, LOG_EPS_OBJECTION, 0.0)
        return found

    @cached_property
    def published_points(self) -> bool:
        """Whether every veto party's reservation is published exactly (its interval a point: no reply narrows it)."""
        return bool((self.reservation[:, 0] == self.reservation[:, 1]).all())

    @cached_property
    def finite_best(self) -> bool:
        """Whether every sample accepts some package (its best utility is finite)."""
        return bool(np.isfinite(self.best).all())

    @staticmethod
    def acceptance(bound: np.ndarray, interval: np.ndarray) -> np.ndarray:
        """Chance of acceptance per sample, ``[p, k, s]``: the share of its reservation interval below ``bound``."""
        return reservation_share(bound, interval[:, None, :, 0], interval[:, None, :, 1])

    @staticmethod
    def log_all_accept(acceptance: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """``sum_p log P_p(x)`` with ``P_p(x)`` the (weighted) mean over samples, ``[k]``."""
        shares = acceptance.mean(axis=2) if weights is None else np.einsum("pks,ps->pk", acceptance, weights)
        return np.log(np.maximum(shares, TINY)).sum(axis=0)


class MediatorBelief:
    """One run's belief over a shared prior: weights per party and sample, and each sample's reservation interval.

    The initial reservation is integrated out rather than sampled (Rao-Blackwellised particle filter; Doucet, de
    Freitas, Murphy & Russell 2000): its prior is uniform on the published range, every reply says "r0 <= bound" or
    "r0 > bound", so each sample keeps the exact interval of reservations still consistent, and the reply's
    likelihood is the share of the interval that survives. A reply no reservation can explain costs ``EPS_REPLY``.
    """

    def __init__(self, prior: MediatorPrior) -> None:
        self.prior = prior
        parties, samples = prior.best.shape
        self.log_weights = np.zeros((parties, samples))
        self.interval = np.repeat(prior.reservation[:, None, :], samples, axis=1)
        self.points = prior.published_points
        self.rejections = np.zeros(parties)
        self.objected: set[tuple[int, int]] = set()
        self.final_bound = prior.final_bound
        if prior.final_acceptance is None:
            prior.final_acceptance = self._final_acceptance(np.arange(parties))
        self.final_acceptance = prior.final_acceptance
        self._final: np.ndarray | None = None
        self._weights: np.ndarray | None = None
        self.fresh = np.ones(prior.utilities.shape[1], dtype=bool)  # texts not proposed yet
        self.parties = np.arange(parties)

    def weights(self) -> np.ndarray:
        """Normalised weights per party ``[p, s]`` (cached until a reply)."""
        if self._weights is None:
            weights = np.exp(self.log_weights - self.log_weights.max(axis=1, keepdims=True))
            self._weights = weights / weights.sum(axis=1, keepdims=True)
        return self._weights

    def _final_acceptance(self, parties: np.ndarray) -> np.ndarray:
        """Per sample, the chance of acceptance at the deadline, ``[p, s, k]`` float32 (sample-major: a reply
        rewrites whole rows), for the listed parties."""
        interval = self.interval[parties]
        share = reservation_share(self.final_bound[parties], interval[:, :, 0, None], interval[:, :, 1, None])
        return share.astype(np.float32)

    def final_score(self) -> np.ndarray:
        """``log P(every veto party accepts x at the deadline)`` for each shortlisted x (cached until a reply)."""
        if self._final is None:
            weights = self.weights().astype(np.float32)
            shares = np.matmul(weights[:, None, :], self.final_acceptance)[:, 0, :]
            self._final = np.log(np.maximum(shares.astype(np.float64), TINY)).sum(axis=0)
        return self._final

    def choose(self, round_: int, rng: np.random.Generator) -> int:
        """Shortlist position of the next text.

        Near the deadline (the last ``EXPLOIT_ROUNDS``), among the ``EXPLOIT_TEXTS`` texts most likely accepted at the
        deadline, the one most likely accepted by every veto party *now*
        (ties: at the deadline). Before, a Thompson draw (Thompson 1933; Russo et al. 2018): one sample per party
        drawn by weight, one reservation in its interval, and the package most likely accepted at the deadline
        among those this draw accepts, so early texts vary with the belief's uncertainty and teach something new;
        a draft not proposed before is preferred when the draw accepts one: a repeated text teaches only about
        reservations, a new one also about weights and values through the issue each party objects to.
        """
        prior = self.prior
        final = self.final_score()
        if round_ > prior.deadline - EXPLOIT_ROUNDS:
            texts = np.argsort(-final, kind="stable")[:EXPLOIT_TEXTS]
            bound = prior.bound(prior.utilities[:, texts], round_, self.rejections)
            now = prior.log_all_accept(prior.acceptance(bound, self.interval), self.weights())
            return int(texts[np.lexsort((-final[texts], -now))[0]])
        cumulative = np.cumsum(self.weights(), axis=1)
        drawn = np.minimum((cumulative < rng.random(len(cumulative))[:, None]).sum(axis=1), cumulative.shape[1] - 1)
        interval = self.interval[self.parties, drawn]
        low, high = interval[:, 0], interval[:, 1]
        reservation = low + (high - low) * rng.random(len(drawn))
        particle = (self.final_bound[self.parties, drawn] >= reservation[:, None]).all(axis=0)
        new = particle & self.fresh
        if new.any():
            particle = new
        choice = int(np.argmax(np.where(particle, final, -np.inf) if particle.any() else final))
        self.fresh[choice] = False
        return choice

    def observe(self, round_: int, text: int, replies: list[Reply | None]) -> None:
        """Update from each veto party's reply to shortlist package ``text`` (None: not asked).

        Vectorised over parties and samples: an acceptance says ``r0 <= bound``, a rejection ``r0 > bound``.
        """
        prior = self.prior
        bound = prior.bound(prior.utilities[:, text : text + 1], round_, self.rejections)[:, 0]
        asked, accepted = prior.answered(tuple(None if reply is None else reply.accepted for reply in replies))
        low, high = self.interval[..., 0], self.interval[..., 1]
        if self.points:  # what the general case computes when every interval is a point: kept 1, nothing narrows
            self.log_weights += np.where(np.where(accepted, bound >= low, low > bound) | ~asked, 0.0, LOG_EPS_REPLY)
            narrowed = None
        else:
            new_low = np.where(accepted, low, np.maximum(low, bound))
            new_high = np.where(accepted, np.minimum(high, bound), high)
            point = low == high
            possible = np.where(accepted, new_high >= low, (new_low < high) | (point & (low > bound))) | ~asked
            with np.errstate(divide="ignore", invalid="ignore"):
                kept = np.where(point | ~asked, 1.0, (new_high - new_low) / (high - low))
            self.log_weights += np.where(possible, np.log(np.maximum(kept, TINY)), LOG_EPS_REPLY)
            narrowed = possible & (kept < 1.0)
            self.interval[..., 0] = np.where(narrowed, new_low, low)
            self.interval[..., 1] = np.where(narrowed, new_high, high)
        pressed = []
        for p, reply in enumerate(replies):
            if reply is None:
                continue
            if not reply.accepted and (p, text) not in self.objected:
                self.objected.add((p, text))
                self.log_weights[p] += prior.objection_penalty(p, text, reply.issue)
            if not reply.accepted and prior.pressed[p]:
                self.rejections[p] += 1
                self._press(p)
                pressed.append(p)
        if (narrowed is not None and narrowed.any()) or pressed:
            if self.final_acceptance is prior.final_acceptance:
                self.final_acceptance = prior.final_acceptance.copy()
            if narrowed is not None:
                parties, samples = np.nonzero(narrowed)
                interval = self.interval[parties, samples]
                self.final_acceptance[parties, samples] = reservation_share(
                    self.final_bound[parties, samples], interval[:, 0, None], interval[:, 1, None]
                )
            if pressed:
                self.final_acceptance[pressed] = self._final_acceptance(np.array(pressed))
        self._final = None
        self._weights = None

    def _press(self, party: int) -> None:
        """A pressed party's rejection lowers its reservation in every sample by that sample's cut."""
        if self.final_bound is self.prior.final_bound:
            self.final_bound = self.prior.final_bound.copy()
        self.final_bound[party] += self.prior.cut[party][:, None]

"""Mesa agents: a party that proposes and answers, and a mediator that keeps a single negotiating text.

Agents are thin: utilities over the candidate packages are arrays computed once per run by the model, and every
choice is an array operation over those candidates (``numpy.argmax`` under a mask), never a loop over packages.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.negotiation.belief import MediatorBelief, reservation_at
from sim.negotiation.protocol import ACCEPT, Reply
from sim.negotiation.strategies import FrequencyModel, log_acceptance, next_aspiration
from sim.scenario.model import Beliefs, Concession, Party
from sim.zone.preferences import TIE_TOLERANCE, acceptance_threshold, accepts, to_units

if TYPE_CHECKING:
    from sim.negotiation.model import NegotiationModel

ACCEPTED = ACCEPT.recorded(())


class PartyAgent(mesa.Agent):
    """One veto party in one run: its sampled utility over the candidates, its aspiration and its beliefs.

    Its reservation (the value of no deal) moves: ``drift`` per round (sampled per run from the strategy's
    ``reservation_drift``) and, under a leverage party's pressure, ``cut`` per rejection of the mediator's text.
    """

    def __init__(self, model: NegotiationModel, party: Party, index: int, local: int) -> None:
        super().__init__(model)
        self.party = party
        self.index = index
        self.utility = model.utilities[:, index]
        self.losses = model.losses[index]
        self.initial_reservation = float(model.reservation[index])
        self.drift = float(model.drift[local])
        self.cut = float(model.cut[local])
        self.rejections = 0
        self.reservation = self.initial_reservation
        self.best = float(self.utility.max())
        self.aspiration = self.best
        self.reply = ""
        self.offer_utility = float("nan")
        self.others = [q for q in model.setup.veto if q != index]
        self.opponents = (
            {q: FrequencyModel(model.setup.space.radices) for q in self.others}
            if party.strategy.beliefs is Beliefs.frequency
            else {}
        )
        self.reciprocal = party.strategy.concession is Concession.reciprocal
        self.seen: dict[int, list[float]] = {}
        self.body = next((body for body in model.preferences.electorates if body.party == index), None)
        self._ranked: Ranking | None = None
        self._objections: dict[int, tuple[Reply, str]] = {}  # the reply to a candidate, and as recorded
        self._threshold_at = (self.reservation, acceptance_threshold(self.reservation))

    def reservation_in(self, round_: int) -> float:
        """Its reservation in ``round_`` given its rejections so far."""
        if self.drift or self.rejections:
            return float(reservation_at(self.initial_reservation, self.drift, round_, self.cut * self.rejections))
        return self.initial_reservation

    def update_aspiration(self) -> None:
        round_ = self.model.steps
        self.reservation = self.reservation_in(round_)
        conceded = (
            [history[-1] - history[-2] for history in self.seen.values() if len(history) >= 2]
            if self.reciprocal
            else []
        )
        self.aspiration = next_aspiration(
            self.party.strategy,
            round_,
            self.model.deadline,
            self.best,
            self.reservation,
            self.aspiration,
            sum(conceded) / len(conceded) if conceded else None,
        )

    def believed_acceptance(self) -> np.ndarray:
        """Log of the believed chance that every other veto party accepts each candidate."""
        setup = self.model.setup
        if not self.opponents:
            return setup.log_acceptance_excluding[self.index]
        total = np.zeros(len(setup.candidates))
        for q, opponent in self.opponents.items():
            estimate = opponent.estimated_utility(setup.published_weights[q], setup.candidates)
            total += log_acceptance(estimate, setup.published_reservation[q])
        return total

    def propose(self) -> int:
        """Among candidates at or above its aspiration, the one it believes most acceptable to the others (ties: the
        one worth most to it, then the first); none: the one worth most to it."""
        if not self.opponents:  # published beliefs: one ranking per run, then each round is a scan
            if self._ranked is None:
                self._ranked = Ranking.of(self.utility, self.believed_acceptance())
            if self._ranked.exact:
                return self._ranked.first_at(self.aspiration)
        score = np.where(self.utility >= self.aspiration, self.believed_acceptance(), -np.inf)
        top = score.max()
        if not np.isfinite(top):
            return int(np.argmax(self.utility))
        tied = np.flatnonzero(score == top)
        return int(tied[np.argmax(self.utility[tied])])

    def accepts(self, candidate: int) -> bool:
        """At or above its aspiration, never below its reservation; never a package worth ``-inf`` to it (one holding
        a red line of its that holds in this run).

        A ratifier that votes as a body (``electorate:``) passes a package when its voters' or members' accepting
        share meets the rule, exactly as in the zone (``Preferences.accepts_at``): a referendum is a population, not
        one respondent (issue 19). Its voters hold the run's draw; they do not bargain, so no aspiration applies.
        """
        if self.body is not None:
            codes = self.model.setup.candidates[candidate][None, :]
            sample = np.array([self.model.sample], dtype=np.int64)
            return bool(self.model.preferences.accepts_at(codes, sample, [self.index])[0, 0])
        utility = float(self.utility[candidate])
        if utility == -np.inf:
            return False
        at_reservation = bool(accepts(to_units(utility), self._threshold()))  # the one tie rule
        return at_reservation and utility >= self.aspiration - TIE_TOLERANCE

    def respond(self, candidate: int) -> Reply:
        """Accept, or name the issue it objects to most and the option it wants there."""
        self.offer_utility = float(self.utility[candidate])
        if self.accepts(candidate):
            self.reply = ACCEPTED
            return ACCEPT
        objection = self._objections.get(candidate)
        if objection is None:
            issue = self._objects_to[candidate]
            reply = Reply(False, issue, self._wants[issue])
            objection = self._objections[candidate] = (reply, reply.recorded(self.model.setup.space.issue_ids))
        self.reply = objection[1]
        return objection[0]

    @cached_property
    def _objects_to(self) -> list[int]:
        """Per candidate, the issue where it loses most against its best option there (the first such issue). Its
        losses are fixed within a run, so every candidate's is worked out at once, when it first objects."""
        return self.losses.reshape(-1)[self.model.setup.flat_codes].argmax(axis=0).tolist()

    @cached_property
    def _wants(self) -> list[int]:
        """Per issue, the option it wants there: its best (the first such option)."""
        return self.losses.argmin(axis=1).tolist()

    def _threshold(self) -> np.ndarray:
        """``acceptance_threshold`` of its current reservation (which changes only between rounds, if at all)."""
        if self._threshold_at[0] != self.reservation:
            self._threshold_at = (self.reservation, acceptance_threshold(self.reservation))
        return self._threshold_at[1]

    def observe(self, proposer: int, candidate: int) -> None:
        """Learn from another party's offer: its options (frequency model) and how far it moved towards us."""
        if proposer in self.opponents:
            self.opponents[proposer].observe(self.model.setup.candidates[candidate])
        self.seen.setdefault(proposer, []).append(float(self.utility[candidate]))


@dataclass(frozen=True, eq=False)
class Ranking:
    """A party's candidates in the order it would offer them, for beliefs that do not change within a run: believed
    acceptance down, then its own utility down, then candidate order (``numpy.lexsort`` is stable). Its offer in a
    round is the first candidate at or above its aspiration - what the masked argmax of ``propose`` picks. The
    running maximum of its utility along that order first reaches an aspiration at that very candidate, so a binary
    search over it finds the offer (Python floats: the same comparisons as the array's). ``exact`` is False when a
    believed acceptance is NaN (the argmax path then decides, as it always did)."""

    order: list[int]
    reach: list[float]
    finite: list[bool]
    best: int
    exact: bool

    @classmethod
    def of(cls, utility: np.ndarray, acceptance: np.ndarray) -> Ranking:
        order = np.lexsort((-utility, -acceptance))
        return cls(
            order.tolist(),
            np.maximum.accumulate(utility[order]).tolist(),
            np.isfinite(acceptance[order]).tolist(),
            int(np.argmax(utility)),
            not np.isnan(acceptance).any(),
        )

    def first_at(self, aspiration: float) -> int:
        """The offer at ``aspiration``; when no candidate reaching it is believed acceptable at all, the best one."""
        k = bisect_left(self.reach, aspiration) if aspiration == aspiration else len(self.reach)  # NaN reaches none
        if k < len(self.reach) and self.finite[k]:
            return self.order[k]
        return self.best


class MediatorAgent(mesa.Agent):
    """Keeps one negotiating text (Raiffa's single-text procedure) and redrafts it from the parties' replies.

    The text is the package its belief (``sim.negotiation.belief``: preference samples from the published ranges,
    re-weighted by every reply, as in a particle filter) gives the highest chance that every veto party accepts.
    """

    def __init__(self, model: NegotiationModel, name: str) -> None:
        super().__init__(model)
        self.name = name
        self.belief = MediatorBelief(model.setup.mediator_prior(model.belief_seed))
        self.text = -1

    def propose(self) -> int:
        """The candidate index of the new text."""
        self.text = self.belief.choose(self.model.steps, self.model.rng)
        return int(self.belief.prior.shortlist[self.text])

    def revise(self, replies: list[Reply | None]) -> None:
        """Learn from each veto party's reply (None: not asked), in veto order."""
        self.belief.observe(self.model.steps, self.text, replies)

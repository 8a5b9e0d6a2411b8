"""Mesa agents: a party that proposes and answers, and a mediator that keeps a single negotiating text.

Agents are thin: utilities over the candidate packages are arrays computed once per run by the model, and every
choice is an array operation over those candidates (``numpy.argmax`` under a mask), never a loop over packages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.negotiation.strategies import FrequencyModel, log_acceptance, next_aspiration
from sim.scenario.model import Beliefs, Party

if TYPE_CHECKING:
    from sim.negotiation.model import NegotiationModel


class PartyAgent(mesa.Agent):
    """One veto party in one run: its sampled utility over the candidates, its aspiration and its beliefs."""

    def __init__(self, model: NegotiationModel, party: Party, index: int) -> None:
        super().__init__(model)
        self.party = party
        self.index = index
        self.utility = model.utilities[:, index]
        self.contributions = model.contributions[index]
        self.reservation = float(model.reservation[index])
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
        self.seen: dict[int, list[float]] = {}

    def update_aspiration(self) -> None:
        conceded = [history[-1] - history[-2] for history in self.seen.values() if len(history) >= 2]
        self.aspiration = next_aspiration(
            self.party.strategy,
            self.model.steps,
            self.model.deadline,
            self.best,
            self.reservation,
            self.aspiration,
            float(np.mean(conceded)) if conceded else None,
        )

    def believed_acceptance(self) -> np.ndarray:
        """Log of the believed chance that every other veto party accepts each candidate."""
        setup = self.model.setup
        if not self.opponents:
            return setup.log_acceptance_excluding(self.index)
        total = np.zeros(len(setup.candidates))
        for q, opponent in self.opponents.items():
            estimate = opponent.estimated_utility(setup.published_weights[q], setup.candidates)
            total += log_acceptance(estimate, setup.published_reservation[q])
        return total

    def propose(self) -> int:
        """Among candidates at or above its aspiration, the one it believes most acceptable to the others."""
        score = np.where(self.utility >= self.aspiration, self.believed_acceptance(), -np.inf)
        if not np.isfinite(score.max()):
            return int(np.argmax(self.utility))
        tied = np.flatnonzero(score == score.max())
        return int(tied[np.argmax(self.utility[tied])])

    def accepts(self, candidate: int) -> bool:
        """At or above its aspiration (never below its reservation; candidates hold no red line)."""
        utility = float(self.utility[candidate])
        return utility >= self.aspiration and utility >= self.reservation

    def respond(self, candidate: int) -> tuple[bool, tuple[int, int, int] | None]:
        """Accept, or name the issue it objects to most and the option it wants there."""
        self.offer_utility = float(self.utility[candidate])
        if self.accepts(candidate):
            self.reply = "accept"
            return True, None
        codes = self.model.setup.candidates[candidate]
        losses = [self.contributions[i].max() - self.contributions[i][o] for i, o in enumerate(codes)]
        issue = int(np.argmax(losses))
        self.reply = f"object:{self.model.setup.space.issue_ids[issue]}"
        return False, (self.index, issue, int(np.argmax(self.contributions[issue])))

    def observe(self, proposer: int, candidate: int) -> None:
        """Learn from another party's offer: its options (frequency model) and how far it moved towards us."""
        if proposer in self.opponents:
            self.opponents[proposer].observe(self.model.setup.candidates[candidate])
        self.seen.setdefault(proposer, []).append(float(self.utility[candidate]))


class MediatorAgent(mesa.Agent):
    """Keeps one negotiating text (Raiffa's single-text procedure) and revises it from the parties' replies.

    The text maximises the believed chance that every veto party accepts, each party's log-acceptance (from its
    published position) weighted by the mediator's attention to it. Every rejection raises the attention paid
    to the party that rejected, so the text drifts towards the holdouts until their aspirations meet it; while
    everyone rejects, attention rises evenly and the text stays put (a subgradient step on "all accept").
    """

    ATTENTION_STEP = 0.25

    def __init__(self, model: NegotiationModel, name: str) -> None:
        super().__init__(model)
        self.name = name
        self.attention = dict.fromkeys(model.setup.veto, 1.0)
        self.text = -1

    def propose(self) -> int:
        setup = self.model.setup
        score = sum(weight * setup.log_accept[:, party] for party, weight in self.attention.items())
        self.text = int(np.argmax(score))
        return self.text

    def revise(self, objections: list[tuple[int, int, int]]) -> None:
        for party, _, _ in objections:
            self.attention[party] += self.ATTENTION_STEP

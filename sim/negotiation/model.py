"""The Mesa negotiation model: rounds of offers and replies until every veto party accepts, or the deadline.

``NegotiationSetup`` holds what is the same in every run of a scenario (candidate packages, published
positions); ``NegotiationModel`` is one run: Mesa's own seeded generator draws that run's preferences (the same
sampling as the zone), then agents bargain. Protocols:

* ``alternating`` — the proposer rotates among veto parties; every other veto party must accept the same package;
* ``mediated`` — a mediator proposes a single text; parties accept or name the issue they object to most.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import mesa
import numpy as np

from sim.negotiation.agents import MediatorAgent, PartyAgent
from sim.negotiation.strategies import log_acceptance
from sim.scenario.model import Role, Scenario
from sim.zone.preferences import gather_sums, point_preferences, sample_preferences
from sim.zone.space import PackageSpace

CANDIDATE_CHUNK = 2**18


class Protocol(StrEnum):
    alternating = "alternating"
    mediated = "mediated"


@dataclass(eq=False)
class NegotiationSetup:
    """Per-scenario constants: candidate packages (feasible, no veto party's red line) and published beliefs."""

    scenario: Scenario
    space: PackageSpace
    candidates: np.ndarray
    packages: np.ndarray
    veto: list[int]
    published_weights: np.ndarray
    published_values: np.ndarray
    published_reservation: np.ndarray
    log_accept: np.ndarray

    @classmethod
    def build(cls, scenario: Scenario) -> NegotiationSetup:
        space = PackageSpace.from_scenario(scenario)
        published = point_preferences(scenario)
        veto = [p for p, party in enumerate(scenario.parties) if party.has_veto]
        kept = []
        for start in range(0, space.size, CANDIDATE_CHUNK):
            codes = space.codes(np.arange(start, min(start + CANDIDATE_CHUNK, space.size)))
            ok = space.feasible(codes)
            for p in veto:
                ok &= ~space.holds_any(codes, list(published.red_lines[p]))
            kept.append(start + np.flatnonzero(ok))
        packages = np.concatenate(kept)
        candidates = space.codes(packages)
        utilities = gather_sums(published.by_issue, candidates, len(scenario.parties), 1)[:, :, 0]
        reservation = published.reservation[:, 0].astype(np.float64)
        log_accept = np.stack(
            [log_acceptance(utilities[:, p], reservation[p]) for p in range(len(scenario.parties))], axis=1
        )
        return cls(
            scenario,
            space,
            candidates,
            packages,
            veto,
            published.weights[0],
            published.values[0],
            reservation,
            log_accept,
        )

    @property
    def joint_log_acceptance(self) -> np.ndarray:
        return self.log_accept[:, self.veto].sum(axis=1)

    def log_acceptance_excluding(self, party: int) -> np.ndarray:
        return self.joint_log_acceptance - self.log_accept[:, party]


class NegotiationModel(mesa.Model):
    """One negotiation run. ``run_model()`` plays rounds until agreement or ``scenario.run.rounds``."""

    def __init__(self, setup: NegotiationSetup, protocol: Protocol, seed: int, trace: bool = False) -> None:
        super().__init__(rng=seed)
        self.setup = setup
        self.protocol = protocol
        self.deadline = setup.scenario.run.rounds
        self.trace = trace
        preferences = sample_preferences(setup.scenario, 1, self.rng)
        n_parties = len(setup.scenario.parties)
        self.utilities = gather_sums(preferences.by_issue, setup.candidates, n_parties, 1)[:, :, 0].astype(np.float64)
        self.contributions = [
            [table[:, p, 0].astype(np.float64) for table in preferences.by_issue] for p in range(n_parties)
        ]
        self.reservation = preferences.reservation[:, 0].astype(np.float64)
        self.agreement: int | None = None
        self.offer = -1
        self.proposer = ""
        self.parties = (
            [PartyAgent(self, setup.scenario.parties[p], p) for p in setup.veto] if len(setup.candidates) else []
        )
        mediator = next((p.name for p in setup.scenario.parties if p.role is Role.mediator), "Mediator")
        self.mediator = MediatorAgent(self, mediator) if protocol is Protocol.mediated and self.parties else None
        self.running = bool(self.parties)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "proposer": "proposer",
                "offer": lambda m: int(m.setup.packages[m.offer]) if m.offer >= 0 else -1,
            },
            agent_reporters={
                "aspiration": lambda a: getattr(a, "aspiration", None),
                "reply": lambda a: getattr(a, "reply", None),
                "offer_utility": lambda a: getattr(a, "offer_utility", None),
            },
        )

    def step(self) -> None:
        self.agents.select(agent_type=PartyAgent).do("update_aspiration")
        if self.protocol is Protocol.alternating:
            self._alternating_round()
        else:
            self._mediated_round()
        if self.trace:
            self.datacollector.collect(self)
        if self.agreement is not None or self.steps >= self.deadline:
            self.running = False

    def _alternating_round(self) -> None:
        proposer = self.parties[(self.steps - 1) % len(self.parties)]
        self.offer = proposer.propose()
        self.proposer = proposer.party.id
        proposer.reply, proposer.offer_utility = "propose", float(proposer.utility[self.offer])
        verdicts = [agent.respond(self.offer)[0] for agent in self.parties if agent is not proposer]
        for agent in self.parties:
            if agent is not proposer:
                agent.observe(proposer.index, self.offer)
        if all(verdicts) and proposer.accepts(self.offer):  # its fallback offer may be below its reservation
            self.agreement = self.offer

    def _mediated_round(self) -> None:
        assert self.mediator is not None
        self.offer = self.mediator.propose()
        self.proposer = self.mediator.name
        replies = [agent.respond(self.offer) for agent in self.parties]
        if all(accepted for accepted, _ in replies):
            self.agreement = self.offer
        else:
            self.mediator.revise([objection for _, objection in replies if objection is not None])

    def outcome(self) -> dict[str, Any]:
        """One row of negotiations.parquet (without run number and seed)."""
        agreed = self.agreement is not None
        row: dict[str, Any] = {
            "protocol": self.protocol.value,
            "agreed": agreed,
            "round": int(self.steps),
            "package": int(self.setup.packages[self.agreement]) if agreed else -1,
        }
        codes = self.setup.candidates[self.agreement] if agreed else None
        for i, issue in enumerate(self.setup.space.issue_ids):
            row[issue] = self.setup.space.option_ids[i][codes[i]] if codes is not None else None
        for p, party in enumerate(self.setup.scenario.parties):
            row[f"u_{party.id}"] = float(self.utilities[self.agreement, p]) if agreed else None
            row[f"r_{party.id}"] = float(self.reservation[p])
        return row

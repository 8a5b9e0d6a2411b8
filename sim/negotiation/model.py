"""The Mesa negotiation model: rounds of offers and replies until every veto party accepts, or the deadline.

``NegotiationSetup`` holds what is the same in every run of a scenario (candidate packages, published
positions); ``NegotiationModel`` is one run: Mesa's own seeded generator draws that run's preferences (the same
sampling as the zone), then agents bargain. Protocols:

* ``alternating`` — the proposer rotates among veto parties; every other veto party must accept the same package;
* ``mediated`` — a mediator proposes a single text; parties accept or name the issue they object to most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mesa
import numpy as np

from sim.negotiation.agents import MediatorAgent, PartyAgent
from sim.negotiation.belief import MediatorPrior
from sim.negotiation.draws import PartyDraws, draw_runs
from sim.negotiation.protocol import Protocol, Reply
from sim.negotiation.result import TalksOutcome
from sim.negotiation.strategies import log_acceptance
from sim.negotiation.table import candidate_table
from sim.negotiation.versus_zone import run_zones, take_samples
from sim.scenario.model import AfterFailedRatification, Role, Scenario
from sim.zone.preferences import Preferences, acceptance_threshold, accepts, add_link_terms, gather_sums, to_units
from sim.zone.sampling import point_preferences
from sim.zone.space import PackageSpace


@dataclass(eq=False)
class NegotiationSetup:
    """Per-scenario constants: the table of candidate packages (``sim.negotiation.table``: feasible, no veto party's
    certain red line, at most a few thousand) and the published beliefs over it."""

    scenario: Scenario
    space: PackageSpace
    candidates: np.ndarray
    packages: np.ndarray
    veto: list[int]
    published_weights: np.ndarray
    published_values: np.ndarray
    published_reservation: np.ndarray
    log_accept: np.ndarray
    flat_codes: np.ndarray
    priors: dict[int, MediatorPrior] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario) -> NegotiationSetup:
        space = PackageSpace.from_scenario(scenario)
        published = point_preferences(scenario)
        veto = [p for p, party in enumerate(scenario.parties) if party.has_veto]
        packages = candidate_table(scenario, space, veto)
        candidates = space.codes(packages)
        utilities = gather_sums(published.by_issue, candidates, len(scenario.parties), 1)[:, :, 0]
        reservation = published.reservation[:, 0].astype(np.float64)
        log_accept = np.stack(
            [log_acceptance(utilities[:, p], reservation[p]) for p in range(len(scenario.parties))], axis=1
        )
        offsets = np.arange(len(space.radices)) * max(space.radices)
        flat_codes = np.ascontiguousarray((candidates + offsets).T)
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
            flat_codes,
        )

    @cached_property
    def log_acceptance_excluding(self) -> dict[int, np.ndarray]:
        """Per veto party, the log of the believed chance that every *other* veto party accepts each candidate."""
        joint = self.log_accept[:, self.veto].sum(axis=1)
        return {p: joint - self.log_accept[:, p] for p in self.veto}

    @cached_property
    def issue_index(self) -> np.ndarray:
        return np.arange(len(self.space.radices))

    def utilities(self, preferences: Preferences) -> np.ndarray:
        """Every party's utility of every candidate in each preference sample, ``[sample, candidate, party]``.

        Gathers from one flat table of contributions, issue by issue, party-major (the sum of ``gather_sums`` at a
        fraction of its cost), plus the party's links. A red line that holds in a sample (drawn once per run, and
        known only to its party) makes the package worth ``-inf`` to that party there: it never accepts it. Each
        sample's sums are the same float operations in the same order whichever samples are computed with it.
        """
        n_parties, n_issues, n_options, n_samples = preferences.contributions.shape
        table = preferences.contributions.reshape(n_parties, n_issues * n_options, n_samples)
        total = table[:, self.flat_codes[0], :]
        for codes in self.flat_codes[1:]:
            total += table[:, codes, :]
        by_package = total.transpose(1, 0, 2)  # [candidate, party, sample], a view
        add_link_terms(by_package, preferences.links, self.candidates, units=False)
        for red in preferences.red_line_list:
            if not red.certain and red.in_sample.any():
                held = red.held_by(self.candidates)
                refused = np.where(red.in_sample[None, :], -np.inf, by_package[held, red.party, :])
                by_package[held, red.party, :] = refused
        return np.ascontiguousarray(total.transpose(2, 1, 0))

    def mediator_prior(self, seed: int) -> MediatorPrior:
        """The mediator's prior for a belief seed, built once per process."""
        if seed not in self.priors:
            self.priors.clear()
            self.priors[seed] = MediatorPrior.build(self.scenario, self.candidates, self.veto, seed)
        return self.priors[seed]


@dataclass(frozen=True, eq=False)
class RunsDrawn:
    """Runs drawn together (:func:`~sim.negotiation.draws.draw_runs`, one sample per run, each from its own
    generator) and what each run's model reads of its sample, computed for all of them at once: the candidates'
    utilities ``[run, candidate, party]`` and each party's loss on every option against its best option of that
    issue ``[run, party, issue, option]``. Every number is what the run alone would compute, bit for bit."""

    parties: PartyDraws
    utilities: np.ndarray
    losses: np.ndarray

    @classmethod
    def draw(cls, setup: NegotiationSetup, generators: list[np.random.Generator]) -> RunsDrawn:
        parties = draw_runs(setup.scenario, setup.veto, generators)
        contributions = parties.preferences.contributions.astype(np.float64)
        losses = contributions.max(axis=2, keepdims=True) - contributions
        return cls(
            parties,
            setup.utilities(parties.preferences),
            np.ascontiguousarray(losses.transpose(3, 0, 1, 2)),
        )


class NegotiationModel(mesa.Model):
    """One negotiation run. ``run_model()`` plays rounds until agreement or ``scenario.run.rounds``.

    ``settle``: skip the rounds of a run whose outcome is already known (see ``_agreement_possible``).
    ``belief_seed`` seeds the mediator's belief (the same in every run of one set of runs, so its samples are
    scored once per process); it defaults to the scenario's run seed.
    Its own generator draws its sample of the parties, alone, or with the other runs of a group (:meth:`group`: the
    same numbers, bit for bit); ``preferences`` holds the drawn runs, this one as sample ``sample``.
    """

    def __init__(
        self,
        setup: NegotiationSetup,
        protocol: Protocol,
        seed: int,
        trace: bool = False,
        belief_seed: int | None = None,
        settle: bool = True,
        *,
        seat: bool = True,
    ) -> None:
        super().__init__(rng=seed)
        self.setup = setup
        self.protocol = protocol
        self.deadline = setup.scenario.run.rounds
        self.trace = trace
        self.settle = settle
        self.belief_seed = setup.scenario.run.seed if belief_seed is None else belief_seed
        if seat:  # else the group draws from this model's generator and seats it
            self.seat(RunsDrawn.draw(setup, [self.rng]), 0)

    @classmethod
    def group(
        cls, setup: NegotiationSetup, protocol: Protocol, seeds: list[int], traced: list[bool], belief_seed: int
    ) -> list[NegotiationModel]:
        """A group of runs (one per seed) whose samples their generators draw together (:meth:`RunsDrawn.draw`)."""
        models = [
            cls(setup, protocol, seed, trace=trace, belief_seed=belief_seed, seat=False)
            for seed, trace in zip(seeds, traced, strict=True)
        ]
        drawn = RunsDrawn.draw(setup, [model.rng for model in models])
        for run, model in enumerate(models):
            model.seat(drawn, run)
        return models

    def seat(self, drawn: RunsDrawn, run: int) -> None:
        """Seat the parties with the run's sample, run ``run`` of ``drawn``, and see whether the talks can agree."""
        setup = self.setup
        self.sample = run
        self.preferences = drawn.parties.preferences
        self.drift = drawn.parties.drift[:, run]
        self.cut = drawn.parties.cut[:, run]
        self.utilities = drawn.utilities[run]
        self.losses = drawn.losses[run]
        self.reservation = self.preferences.reservation[:, run].astype(np.float64)
        self.agreement: int | None = None
        self.ended = False
        self.ratifier_replies: dict[PartyAgent, Reply] = {}
        self.ratification_failures = 0
        self.offer = -1
        self.proposer = ""
        self.parties = (
            [PartyAgent(self, setup.scenario.parties[p], p, local) for local, p in enumerate(setup.veto)]
            if len(setup.candidates)
            else []
        )
        self.settled = self.settle and not self.trace and bool(self.parties) and not self._agreement_possible()
        mediator = next((p.name for p in setup.scenario.parties if p.role is Role.mediator), "Mediator")
        with_mediator = self.protocol is Protocol.mediated and self.parties and not self.settled
        self.mediator = MediatorAgent(self, mediator) if with_mediator else None
        self.running = bool(self.parties) and not self.settled
        if self.settled:
            self.steps = self.deadline
            for agent in self.parties:
                agent.reservation = agent.reservation_in(self.deadline)
        # Only a traced run records its rounds: building Mesa's DataCollector costs more than a short run's rounds.
        self.datacollector = (
            mesa.DataCollector(
                model_reporters={
                    "proposer": "proposer",
                    "offer": lambda m: int(m.setup.packages[m.offer]) if m.offer >= 0 else -1,
                },
                agent_reporters={
                    "aspiration": lambda a: getattr(a, "aspiration", None),
                    "reply": lambda a: getattr(a, "reply", None),
                    "offer_utility": lambda a: getattr(a, "offer_utility", None),
                    "reservation": lambda a: getattr(a, "reservation", None),
                },
            )
            if self.trace
            else None
        )

    def _agreement_possible(self) -> bool:
        """Whether some table package meets every table party's lowest reservation of the talks.

        Every agreement needs each veto party at the table to accept one package, and a party never accepts below
        its reservation, which moves only by its drift (linear in the round, so lowest in round 1 or at the
        deadline) and by leverage. Without leverage, a run where no package passes that test ends at the deadline
        without agreement and without a ratification vote, whatever is proposed: its outcome is known, so its
        rounds are not played (``settle=False`` plays them; a traced run is always played). Exact: the tests
        compare both ways.
        """
        if self.cut.any():
            return True
        table = self.table
        lowest = np.array([min(a.reservation_in(1), a.reservation_in(self.deadline)) for a in table])
        utilities = self.utilities[:, [agent.index for agent in table]]
        finite = np.isfinite(utilities).all(axis=1)
        units = to_units(np.where(finite[:, None], utilities, 0.0))
        return bool((accepts(units, acceptance_threshold(lowest)[None, :]).all(axis=1) & finite).any())

    def step(self) -> None:
        """One round: each party updates its aspiration, a package goes on the table and is answered."""
        for agent in self.parties:  # AgentSet.select(...).do(...) in creation order, without its overhead
            agent.update_aspiration()
        self.play_round()
        if self.datacollector is not None:
            self.datacollector.collect(self)
        self.running = self.running and self.agreement is None and not self.ended and self.steps < self.deadline

    def play_round(self) -> None:
        """Alternating offers or the mediator's single text, as the scenario's protocol says."""
        if self.protocol is Protocol.alternating:
            self._alternating_round()
        else:
            self._mediated_round()

    @cached_property
    def table(self) -> list[PartyAgent]:
        """Veto parties at the table (ratifiers never propose or bargain; they vote on a package agreed here)."""
        return [agent for agent in self.parties if agent.party.role is not Role.ratifier] or self.parties

    def _ratify(self, offer: int) -> bool | None:
        """Ratifiers vote on a package agreed at the table: ``True`` ratified, ``None`` rejected and talks reopen.

        When the scenario says ``run.after_failed_ratification: end``, a rejection ends the talks without agreement.
        """
        voters = [agent for agent in self.parties if agent not in self.table]
        self.ratifier_replies = {agent: agent.respond(offer) for agent in voters}
        if all(reply.accepted for reply in self.ratifier_replies.values()):
            self.agreement = offer
            return True
        self.ratification_failures += 1
        if self.setup.scenario.run.after_failed_ratification is AfterFailedRatification.end:
            self.running = False
            self.ended = True
        return None

    def _alternating_round(self) -> None:
        table = self.table
        proposer = table[(self.steps - 1) % len(table)]
        self.offer = proposer.propose()
        self.proposer = proposer.party.id
        proposer.reply, proposer.offer_utility = "propose", float(proposer.utility[self.offer])
        verdicts = [agent.respond(self.offer).accepted for agent in table if agent is not proposer]
        for agent in table:
            if agent is not proposer:
                agent.observe(proposer.index, self.offer)
        if all(verdicts) and proposer.accepts(self.offer):  # its fallback offer may be below its reservation
            self._ratify(self.offer)

    def _mediated_round(self) -> None:
        assert self.mediator is not None
        self.offer = self.mediator.propose()
        self.proposer = self.mediator.name
        table = self.table
        replies: list[Reply | None] = [agent.respond(self.offer) if agent in table else None for agent in self.parties]
        if all(reply.accepted for reply in replies if reply is not None):
            if self._ratify(self.offer):
                return
            replies = [
                self.ratifier_replies.get(agent, reply) for agent, reply in zip(self.parties, replies, strict=True)
            ]
        for agent, reply in zip(self.parties, replies, strict=True):
            if reply is not None and not reply.accepted and agent.cut > 0:
                agent.rejections += 1  # the leverage party makes "no" to the mediator's text costly
        if self.running:
            self.mediator.revise(replies)

    def release(self) -> None:
        """Let this finished run be garbage-collected. Mesa 3.3.1 keeps every model it has seen as a key of the class
        attribute ``Agent._ids`` (unique-id counters), so a worker playing thousands of runs grew by ~0.4 MB per run
        (1.8 GB at 8,000 runs on 2 workers); upstream fixed it after 3.3.1 (mesa issue #3179, pull request #3180,
        January 2026). Dropping our key is what the fix amounts to; a Mesa without the attribute is left alone."""
        counters = getattr(mesa.Agent, "_ids", None)
        if isinstance(counters, dict):
            counters.pop(self, None)

    def talks_outcome(self) -> TalksOutcome:
        """How this run ended, as a value (the explorer's talks; ``outcome`` is the table's row)."""
        agreed = self.agreement is not None
        return TalksOutcome(
            self.protocol.value,
            agreed,
            int(self.steps),
            int(self.setup.packages[self.agreement]) if agreed else -1,
            self.ratification_failures,
        )

    def outcome(self, with_zone: bool = True) -> dict[str, Any]:
        """One row of negotiations.parquet (without run number and seed). ``with_zone=False`` leaves out the talks
        versus zone columns, for callers that batch runs (``versus_zone.run_zones``, then ``RunZone.row``)."""
        agreed = self.agreement is not None
        row: dict[str, Any] = {
            "protocol": self.protocol.value,
            "agreed": agreed,
            "round": int(self.steps),
            "package": int(self.setup.packages[self.agreement]) if agreed else -1,
            "ratification_failures": self.ratification_failures,
        }
        codes = self.setup.candidates[self.agreement].tolist() if agreed else None
        for i, issue in enumerate(self.setup.space.issue_ids):
            row[issue] = self.setup.space.option_ids[i][codes[i]] if codes is not None else None
        utilities = self.utilities[self.agreement].tolist() if agreed else None  # Python floats, as float() gives
        reservation = self.reservation.tolist()
        for p, party in enumerate(self.setup.scenario.parties):
            row[f"u_{party.id}"] = utilities[p] if utilities is not None else None
            row[f"r_{party.id}"] = reservation[p]
        for agent in self.parties:
            row[f"r_end_{agent.party.id}"] = agent.reservation
        if with_zone:
            own = take_samples(self.preferences, self.sample, self.sample + 1)
            row.update(run_zones(self.setup.space, own)[0].row(self.agreed_utilities))
        return row

    @property
    def agreed_utilities(self) -> np.ndarray | None:
        """Veto parties' utilities of the agreement in this run's sample (None without agreement)."""
        return self.utilities[self.agreement, self.setup.veto] if self.agreement is not None else None

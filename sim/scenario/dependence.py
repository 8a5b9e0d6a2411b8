"""What ``correlations:`` and ``follows:`` mean as numbers: the uniform draws they tie, and their copula matrix.

A quantity names uniform draws of the sampler (``sim.zone.sampling``): a party's reservation, one issue's weight,
one option's value, its resolve on one issue's red lines (one draw per party, issue and sample: its red lines on
that issue nest), or its resolve on all its red lines (``party.red_lines``: then its red lines on every issue share
one draw, so they nest across issues too, and that draw is the one correlated). The correlations form one matrix
over the quantities they name; it must be positive semi-definite (else no joint distribution has those
correlations), checked here with the factor the sampler uses, so the error and the draws come from one computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario.bodies import Member
from sim.scenario.model import Party, Role, Scenario

# ("reservation", p) | ("weight", p, i) | ("value", p, i, o) | ("red_line", p, i) | ("resolve", p, issues)
# | ("link", p, i, o) | ("member", p, m, column): a chamber member's own draw, column as in ``member_column``
Slot = tuple[Any, ...]
TOLERANCE = 1e-9


class NotPositiveSemidefinite(ValueError):
    """The correlations asked for cannot all hold at once."""


def member_party(party: Party, member: Member) -> Party:
    """A chamber member as a party: the party's numbers, replaced where the member states its own."""
    own = {key: getattr(member, key) for key in ("weights", "values", "reservation", "red_lines")}
    update = {key: value for key, value in own.items() if value is not None}
    return party.model_copy(
        update={**update, "id": f"{party.id}.{member.id}", "electorate": None, "follows": None, "role": Role.ratifier}
    )


def quantity_slots(scenario: Scenario, name: str) -> list[Slot] | str:
    """The uniform draws a quantity names, or what is wrong with the name."""
    party_id, _, rest = name.partition(".")
    ids = [party.id for party in scenario.parties]
    if party_id not in ids:
        return f"'{name}' names unknown party '{party_id}'"
    p, party = ids.index(party_id), scenario.parties[ids.index(party_id)]
    issues = [issue.id for issue in scenario.issues]
    kind, _, tail = rest.partition(".")
    if kind == "reservation" and not tail:
        return [("reservation", p)]
    if kind == "weights" and tail in party.weights and tail in issues:
        return [("weight", p, issues.index(tail))]
    if kind == "values":
        issue_id, _, option_id = tail.partition(".")
        if issue_id in issues and option_id in party.values.get(issue_id, {}) and party.weighs(issue_id):
            if option_id not in scenario.issue(issue_id).option_ids:
                return f"'{name}' names unknown option '{option_id}' of issue '{issue_id}'"
            return [("value", p, issues.index(issue_id), scenario.issue(issue_id).option_ids.index(option_id))]
    if kind == "red_lines":
        red_issues = sorted(
            {
                issues.index(red.option.partition(".")[0])
                for red in party.red_lines
                if red.option.partition(".")[0] in issues
            }
        )
        if not tail and red_issues:
            return [("resolve", p, tuple(red_issues))]
        if tail in issues and issues.index(tail) in red_issues:
            return [("red_line", p, issues.index(tail))]
    if kind == "links":
        issue_id, _, option_id = tail.partition(".")
        if any(link.option == tail for link in party.links):
            option_ids = scenario.issue(issue_id).option_ids
            return [("link", p, issues.index(issue_id), option_ids.index(option_id))]
        return f"'{name}' names no link of party '{party_id}' (links are named by the option whose value they change)"
    if kind == "members":
        return _member_slot(scenario, name, p, party, tail)
    return (
        f"'{name}' names no uncertain quantity of party '{party_id}' (use {party_id}.reservation, "
        f"{party_id}.weights.<issue>, {party_id}.values.<issue>.<option>, {party_id}.red_lines[.<issue>], "
        f"{party_id}.links.<issue>.<option>, {party_id}.members.<member>.<quantity>)"
    )


def member_column(n_issues: int, n_options: int, kind: str, issue: int = 0, option: int = 0) -> int:
    """Where a chamber member's own draw of a quantity sits in its row of ``Draws.member`` (the layout
    :func:`sim.zone.sampling.draw_uniforms` draws and :mod:`sim.zone.electorate` splits): reservation, then one
    weight per issue, then one value per issue and option, then one red-line resolve per issue."""
    if kind == "reservation":
        return 0
    if kind == "weight":
        return 1 + issue
    if kind == "value":
        return 1 + n_issues + issue * n_options + option
    return 1 + n_issues * (1 + n_options) + issue


def member_width(n_issues: int, n_options: int) -> int:
    """How many numbers a chamber member draws per sample: one past its last red-line column (``member_column``)."""
    return member_column(n_issues, n_options, "red_line", n_issues)


def _member_slot(scenario: Scenario, name: str, p: int, party: Party, tail: str) -> list[Slot] | str:
    """A chamber member's own quantity: only what the member states itself is drawn apart from the party (the rest
    is the party's draw, which the party's own name already correlates)."""
    member_id, _, rest = tail.partition(".")
    members = party.electorate.members if party.electorate is not None else None
    ids = [member.id for member in members or []]
    if member_id not in ids:
        return f"'{name}' names no member '{member_id}' of party '{party.id}' (members: {', '.join(ids) or 'none'})"
    m, member = ids.index(member_id), (members or [])[ids.index(member_id)]
    issues = [issue.id for issue in scenario.issues]
    n_options = max(len(issue.options) for issue in scenario.issues)
    kind, _, more = rest.partition(".")
    column = None
    if kind == "reservation" and not more and member.reservation is not None:
        column = member_column(len(issues), n_options, "reservation")
    elif kind == "weights" and member.weights is not None and more in member.weights and more in issues:
        column = member_column(len(issues), n_options, "weight", issues.index(more))
    elif kind == "values" and member.values is not None:
        issue_id, _, option_id = more.partition(".")
        if issue_id in issues and option_id in member.values.get(issue_id, {}):
            options = scenario.issue(issue_id).option_ids
            if option_id in options:
                column = member_column(
                    len(issues), n_options, "value", issues.index(issue_id), options.index(option_id)
                )
    elif kind == "red_lines" and member.red_lines is not None:
        mine = {red.option.partition(".")[0] for red in member.red_lines}
        if more in issues and more in mine:
            column = member_column(len(issues), n_options, "red_line", issues.index(more))
    if column is None:
        return (
            f"'{name}' names no quantity member '{member_id}' states itself (its own reservation, weights.<issue>, "
            "values.<issue>.<option> or red_lines.<issue>; what it leaves out is the party's own draw)"
        )
    return [("member", p, m, column)]


@dataclass(frozen=True)
class Dependence:
    """The correlated draws: ``slots[k]`` is row k of ``factor`` (a lower-triangular ``L`` with ``L L^T`` the
    correlation matrix): the sampler maps the slots' normals z to ``L z``."""

    slots: tuple[Slot, ...]
    factor: np.ndarray


def entries(scenario: Scenario) -> list[tuple[tuple, str, str, float]]:
    """``(path, first, second, rho)`` per pair a scenario correlates: ``follows`` first, then ``correlations``."""
    found = []
    issues = [issue.id for issue in scenario.issues]
    for p, party in enumerate(scenario.parties):
        if party.follows is None:
            continue
        path, followed = ("parties", p, "follows"), party.follows.party
        # the leader first: the first quantity of a correlated group keeps its own draws exactly
        found.append((path, f"{followed}.reservation", f"{party.id}.reservation", party.follows.rho))
        leader = next((q for q in scenario.parties if q.id == followed), None)
        mine = {red.option.partition(".")[0] for red in party.red_lines}
        theirs = {red.option.partition(".")[0] for red in leader.red_lines} if leader else set()
        for issue in sorted(mine & theirs & set(issues), key=issues.index):  # issue by issue, where both have some
            found.append((path, f"{followed}.red_lines.{issue}", f"{party.id}.red_lines.{issue}", party.follows.rho))
    for k, correlation in enumerate(scenario.correlations):
        found.append((("correlations", k), *correlation.between, correlation.rho))
    return found


def dependence(scenario: Scenario) -> tuple[Dependence | None, list[tuple[tuple, str]]]:
    """The scenario's correlated draws, and ``(path, message)`` for every entry that cannot hold (an unknown
    quantity, a quantity tied to itself or twice, the entry after which the matrix is not positive semi-definite)."""
    slots: list[Slot] = []
    rho: dict[tuple[Slot, Slot], float] = {}
    problems: list[tuple[tuple, str]] = []
    for path, first, second, value in entries(scenario):
        named = [quantity_slots(scenario, name) for name in (first, second)]
        wrong = [found for found in named if isinstance(found, str)]
        if wrong:
            if path[0] == "correlations" or first.endswith("reservation"):
                problems.extend((path, message) for message in wrong)
            continue
        pairs = [(a, b) for a in named[0] for b in named[1]]
        bad = [(a, b) for a, b in pairs if a == b or (a, b) in rho or (b, a) in rho]
        if bad:
            problems.append((path, f"'{first}' and '{second}' are already correlated (or the same quantity)"))
            continue
        trial = dict(rho)
        for a, b in pairs:
            trial[(a, b)] = value
        trial_slots = slots + [s for pair in pairs for s in pair if s not in slots]
        trial_slots = list(dict.fromkeys(trial_slots))
        try:
            semidefinite_factor(_matrix(trial_slots, trial))
        except NotPositiveSemidefinite:
            problems.append(
                (
                    path,
                    f"correlation {value} between '{first}' and '{second}' makes the correlation "
                    "matrix not positive semi-definite (no joint distribution has these correlations)",
                )
            )
            continue
        rho, slots = trial, trial_slots
    if not slots:
        return None, problems
    return Dependence(tuple(slots), semidefinite_factor(_matrix(slots, rho))), problems


def _matrix(slots: list[Slot], rho: dict[tuple[Slot, Slot], float]) -> np.ndarray:
    index = {slot: k for k, slot in enumerate(slots)}
    matrix = np.eye(len(slots))
    for (a, b), value in rho.items():
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


def semidefinite_factor(matrix: np.ndarray) -> np.ndarray:
    """``L`` lower-triangular with ``L L^T = matrix`` for a positive *semi*-definite matrix (Cholesky that leaves a
    zero column where a pivot vanishes, Higham 2002 §10.3), so a correlation of 1 copies a normal exactly; raises
    :class:`NotPositiveSemidefinite` otherwise."""
    n = len(matrix)
    factor = np.zeros((n, n))
    for j in range(n):
        pivot = matrix[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot < -TOLERANCE:
            raise NotPositiveSemidefinite
        below = matrix[j + 1 :, j] - factor[j + 1 :, :j] @ factor[j, :j]
        if pivot <= TOLERANCE:
            if np.abs(below).max(initial=0) > 1e-7:
                raise NotPositiveSemidefinite
            continue
        factor[j, j] = np.sqrt(pivot)
        factor[j + 1 :, j] = below / factor[j, j]
    return factor

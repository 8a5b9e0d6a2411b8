"""Cross-reference checks a per-field schema cannot make: ids that must exist, be unique, or be complete.

Each check returns ``(path, message)`` pairs; paths index the scenario document so the loader can turn them into
``file:line:col``. Errors stop a run; :func:`source_warnings` only flags claims that cite no source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sim.scenario.dependence import dependence, member_party
from sim.scenario.model import Constraint, Party, Role, Scenario, split_option_ref
from sim.scenario.reasons import reason_keys
from sim.scenario.references import references
from sim.scenario.values import Citation
from sim.scenario.yamlsource import DataPath

Finding = tuple[DataPath, str]


def _duplicates(ids: list[str]) -> set[str]:
    return {item for item, count in Counter(ids).items() if count > 1}


def _unique_ids(scenario: Scenario) -> Iterator[Finding]:
    for section, items in (
        ("issues", scenario.issues),
        ("parties", scenario.parties),
        ("offers", scenario.offers),
        ("judgement_calls", scenario.judgement_calls),
    ):
        repeated = _duplicates([item.id for item in items])
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in repeated and item.id in seen:
                yield (section, index, "id"), f"duplicate {section[:-1]} id '{item.id}'"
            seen.add(item.id)
    for i, issue in enumerate(scenario.issues):
        repeated = _duplicates(issue.option_ids)
        seen = set()
        for j, option in enumerate(issue.options):
            if option.id in repeated and option.id in seen:
                yield (
                    ("issues", i, "options", j, "id"),
                    f"duplicate option id '{option.id}' in issue '{issue.id}'",
                )
            seen.add(option.id)


def _option_ref(scenario: Scenario, ref: str) -> str | None:
    """None when ``issue.option`` names a real option, else what is wrong with it."""
    issue_id, option_id = split_option_ref(ref)
    issues = {issue.id: issue for issue in scenario.issues}
    if issue_id not in issues:
        return f"'{ref}' names unknown issue '{issue_id}' (expected issue.option)"
    if option_id not in issues[issue_id].option_ids:
        return (
            f"'{ref}' names unknown option '{option_id}' of issue '{issue_id}' "
            f"(options: {', '.join(issues[issue_id].option_ids)})"
        )
    return None


def _party_references(scenario: Scenario) -> Iterator[Finding]:
    for p, party in enumerate(scenario.parties):
        yield from _preference_references(scenario, party, ("parties", p))
        yield from _body_references(scenario, party, ("parties", p))


def _body_references(scenario: Scenario, party: Party, base: DataPath) -> Iterator[Finding]:
    """An electorate belongs to a ratifier; a chamber's members are checked as parties (with the party's numbers
    where they state none); ``follows`` names another party."""
    if party.follows is not None and party.follows.party == party.id:
        yield (*base, "follows"), _FOLLOWS.format(owner=party.id, name=party.id)
    if party.electorate is None:
        return
    if party.role is not Role.ratifier:
        yield (
            (*base, "electorate"),
            f"party '{party.id}' has an electorate but is a {party.role.value}: only a "
            "ratifier votes as a body (role: ratifier)",
        )
    seen: set[str] = set()
    for m, member in enumerate(party.electorate.members or []):
        where: DataPath = (*base, "electorate", "members", m)
        if member.id in seen:
            yield (*where, "id"), f"duplicate member id '{member.id}' in the electorate of '{party.id}'"
        seen.add(member.id)
        yield from _preference_references(scenario, member_party(party, member), where, member=True)


def _preference_references(scenario: Scenario, party: Party, base: DataPath, member: bool = False) -> Iterator[Finding]:
    """A party's (or chamber member's) values are complete and its red lines and links make sense; that the ids
    they name exist is checked for every place at once (:func:`_unknown_references`)."""
    issues = {issue.id: issue for issue in scenario.issues}
    for issue_id, values in party.values.items():
        if issue_id not in issues or not party.weighs(issue_id):
            continue
        for option_id in issues[issue_id].option_ids:
            if option_id not in values:
                yield (
                    (*base, "values", issue_id),
                    f"party '{party.id}' has no value for option '{option_id}' of issue '{issue_id}'",
                )
    for issue_id in issues:
        if party.weighs(issue_id) and issue_id not in party.values:
            yield (
                (*base, "values"),
                f"party '{party.id}' has no values for issue '{issue_id}', which it weighs "
                "(give values, or omit the issue from weights)",
            )
    if not any(party.weight_range(issue_id)[0] > 0 for issue_id in issues):
        yield (
            (*base, "weights"),
            f"party '{party.id}' needs a weight above 0 on at least one issue (lower end of the range)",
        )
    yield from _red_line_references(scenario, party, base)
    if member:
        return
    yield from _link_references(scenario, party, base)
    leverage = party.strategy.leverage
    if leverage is not None and leverage.target == party.id:
        yield (
            (*base, "strategy", "leverage", "target"),
            _TARGET.format(name=leverage.target),
        )
    explicable = reason_keys([issue.id for issue in scenario.issues], party)
    for key in party.reasons:
        if key not in explicable:
            yield (
                (*base, "reasons", key),
                f"reason '{key}' names nothing in party '{party.id}' (use weights[.<issue>], values[.<issue>], "
                "reservation, red_lines.<issue>.<option>, electorate, follows or strategy)",
            )


def _red_line_references(scenario: Scenario, party: Party, base: DataPath) -> Iterator[Finding]:
    seen: set[str] = set()
    for r, red_line in enumerate(party.red_lines):
        if _option_ref(scenario, red_line.option) is not None:
            continue
        if red_line.option in seen:
            yield (*base, "red_lines", r), f"party '{party.id}' lists red line '{red_line.option}' twice"
        seen.add(red_line.option)


def _link_references(scenario: Scenario, party: Party, base: DataPath) -> Iterator[Finding]:
    """Links must name real options of two issues, on an issue the party weighs, one condition issue per option."""
    condition_issue: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for k, link in enumerate(party.links):
        where: DataPath = (*base, "links", k)
        if any(_option_ref(scenario, ref) is not None for ref in (link.when, link.option)):
            continue
        when_issue, option_issue = split_option_ref(link.when)[0], split_option_ref(link.option)[0]
        if when_issue == option_issue:
            yield where, f"link from '{link.when}' to '{link.option}' must join options of two different issues"
            continue
        if not party.weighs(option_issue):
            yield (
                (*where, "option"),
                f"link on '{link.option}': party '{party.id}' gives issue '{option_issue}' no weight, "
                "so a value for it would not count",
            )
        first = condition_issue.setdefault(link.option, when_issue)
        if first != when_issue:
            yield (
                (*where, "when"),
                f"links of party '{party.id}' for '{link.option}' condition on issue '{first}' and on "
                f"'{when_issue}': all links for one option must condition on the same issue, so at most one applies",
            )
        if (link.when, link.option) in seen:
            yield where, f"party '{party.id}' links '{link.when}' -> '{link.option}' twice"
        seen.add((link.when, link.option))


def _structure_references(scenario: Scenario) -> Iterator[Finding]:
    for c, constraint in enumerate(scenario.constraints):
        yield from _constraint_references(scenario, c, constraint)
    if len(scenario.veto_parties) < 2:
        yield (
            ("parties",),
            "at least two parties must hold a veto (role negotiator or guarantor, or veto: true)",
        )
    if scenario.negsim != 1:
        yield ("negsim",), f"unsupported format version {scenario.negsim} (this negsim reads version 1)"


def _constraint_references(scenario: Scenario, c: int, constraint: Constraint) -> Iterator[Finding]:
    if any(_option_ref(scenario, ref) is not None for ref in constraint.refs):
        return
    for key in ("forbid", "requires"):
        issues_named = [split_option_ref(ref)[0] for ref in getattr(constraint, key) or []]
        if len(set(issues_named)) != len(issues_named):
            yield ("constraints", c, key), f"the options a constraint's {key} names must be of different issues"
    required = {split_option_ref(ref)[0] for ref in constraint.requires or []}
    for r, ref in enumerate(constraint.one_of or []):
        if split_option_ref(ref)[0] in required:
            yield (
                ("constraints", c, "one_of", r),
                f"one_of option '{ref}' is of an issue that requires already settles (use forbid instead)",
            )


def citations(scenario: Scenario) -> Iterator[tuple[DataPath, Citation]]:
    """Every citation of the scenario with its path, from the reference graph (so no ``sources:`` list is missed)."""
    for ref in references(scenario):
        if ref.owner == "Citation.source" and isinstance(ref.item, Citation):
            yield ref.path, ref.item


_FOLLOWS = "party '{owner}' follows '{name}', which is not another party"
_TARGET = "leverage target '{name}' must name another party"
_WORDING = {
    "Party.weights": "party '{owner}' weights {wrong}",
    "Member.weights": "party '{owner}' weights {wrong}",
    "Party.values": "party '{owner}' values {wrong}",
    "Member.values": "party '{owner}' values {wrong}",
    "RedLine.option": "red line {wrong}",
    "Link.when": "link {wrong}",
    "Link.option": "link {wrong}",
    "Constraint.forbid": "constraint {wrong}",
    "Constraint.requires": "constraint {wrong}",
    "Constraint.one_of": "constraint {wrong}",
    "Scenario.fixed": "fixed {wrong}",
    "Offer.fix": "offer '{owner}' fixes {wrong}",
    "Offer.sponsor": "offer sponsor '{name}' is not a party",
    "Follows.party": _FOLLOWS,
    "Leverage.target": _TARGET,
    "Citation.source": "cites undefined source '{name}'",
}
"""How an unknown id is reported, by the field it is written in (:attr:`Reference.owner`). Every field of the
reference graph naming an issue, option, party or source has a wording (tests/test_scenario_references.py)."""
RESOLVED_HERE = ("issue", "option", "option_ref", "party", "source")
"""The kinds of id checked here; reasons (:mod:`sim.scenario.reasons`), quantities (:mod:`sim.scenario.dependence`)
and judgement calls' edits (``negsim robustness``) are resolved by their own rules."""


def _unknown_references(scenario: Scenario) -> Iterator[Finding]:
    """Every id the scenario names that it does not define, at the place it is written, from the reference graph."""
    options = {issue.id: issue.option_ids for issue in scenario.issues}
    parties = {party.id for party in scenario.parties}
    for ref in references(scenario):
        if ref.kind == "issue" and ref.owner not in ("Offer.fix", "Scenario.fixed"):  # those name issue.option
            wrong = None if ref.name in options else f"unknown issue '{ref.name}'"
        elif ref.kind == "option" and ref.owner in ("Offer.fix", "Scenario.fixed"):
            wrong = _option_ref(scenario, f"{ref.issue}.{ref.name}")
        elif ref.kind == "option" and ref.issue in options:  # of an unknown issue: the issue is reported
            wrong = None if ref.name in options[ref.issue] else f"unknown option '{ref.name}' of issue '{ref.issue}'"
        elif ref.kind == "option_ref":
            wrong = _option_ref(scenario, ref.name)
        elif ref.kind == "party":
            wrong = None if ref.name in parties else "unknown party"
        elif ref.kind == "source":
            wrong = None if ref.name in scenario.sources else "unknown source"
        else:
            continue
        if wrong is not None:
            owner = _owner(scenario, ref.path)
            yield ref.path, _WORDING[ref.owner].format(owner=owner, name=ref.name, wrong=wrong)


def _owner(scenario: Scenario, path: DataPath) -> str:
    """The id of the party, chamber member (``party.member``) or offer a path is in, for messages."""
    if path[:1] == ("offers",):
        return scenario.offers[int(path[1])].id
    if path[:1] != ("parties",):
        return ""
    party = scenario.parties[int(path[1])]
    if path[2:4] == ("electorate", "members") and party.electorate is not None and party.electorate.members:
        return f"{party.id}.{party.electorate.members[int(path[4])].id}"
    return party.id


def reference_problems(scenario: Scenario) -> list[Finding]:
    """Every reference that does not resolve, every duplicate id, every incomplete party: errors."""
    return [
        *_unique_ids(scenario),
        *_party_references(scenario),
        *_structure_references(scenario),
        *_unknown_references(scenario),
        *dependence(scenario)[1],
    ]

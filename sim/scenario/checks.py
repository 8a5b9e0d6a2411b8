"""Cross-reference checks a per-field schema cannot make: ids that must exist, be unique, or be complete.

Each check returns ``(path, message)`` pairs; paths index the scenario document so the loader can turn them into
``file:line:col``. Errors stop a run; :func:`source_warnings` only flags claims that cite no source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sim.scenario.dependence import dependence, member_party
from sim.scenario.model import Constraint, Party, Role, Scenario, split_option_ref
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
    if party.follows is not None and (
        party.follows.party == party.id or party.follows.party not in {q.id for q in scenario.parties}
    ):
        yield (*base, "follows"), f"party '{party.id}' follows '{party.follows.party}', which is not another party"
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
    issues = {issue.id: issue for issue in scenario.issues}
    for issue_id in party.weights:
        if issue_id not in issues:
            yield (*base, "weights", issue_id), f"party '{party.id}' weights unknown issue '{issue_id}'"
    for issue_id, values in party.values.items():
        if issue_id not in issues:
            yield (*base, "values", issue_id), f"party '{party.id}' values unknown issue '{issue_id}'"
            continue
        for option_id in values:
            if option_id not in issues[issue_id].option_ids:
                yield (
                    (*base, "values", issue_id, option_id),
                    f"party '{party.id}' values unknown option '{option_id}' of issue '{issue_id}'",
                )
        if not party.weighs(issue_id):
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
    if leverage is not None and (
        leverage.target == party.id or leverage.target not in {q.id for q in scenario.parties}
    ):
        yield (
            (*base, "strategy", "leverage", "target"),
            f"leverage target '{leverage.target}' must name another party",
        )
    for key in party.reasons:
        if not _reason_key_exists(scenario, party.id, key):
            yield (
                (*base, "reasons", key),
                f"reason '{key}' names nothing in party '{party.id}' (use weights[.<issue>], values[.<issue>], "
                "reservation, red_lines.<issue>.<option>, electorate, follows or strategy)",
            )


def _red_line_references(scenario: Scenario, party: Party, base: DataPath) -> Iterator[Finding]:
    seen: set[str] = set()
    for r, red_line in enumerate(party.red_lines):
        if (wrong := _option_ref(scenario, red_line.option)) is not None:
            yield (*base, "red_lines", r), f"red line {wrong}"
        elif red_line.option in seen:
            yield (*base, "red_lines", r), f"party '{party.id}' lists red line '{red_line.option}' twice"
        seen.add(red_line.option)


def _link_references(scenario: Scenario, party: Party, base: DataPath) -> Iterator[Finding]:
    """Links must name real options of two issues, on an issue the party weighs, one condition issue per option."""
    condition_issue: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for k, link in enumerate(party.links):
        where: DataPath = (*base, "links", k)
        wrong = [(key, w) for key in ("when", "option") if (w := _option_ref(scenario, getattr(link, key)))]
        for key, message in wrong:
            yield (*where, key), f"link {message}"
        if wrong:
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


def _reason_key_exists(scenario: Scenario, party_id: str, key: str) -> bool:
    party = next(p for p in scenario.parties if p.id == party_id)
    head, _, rest = key.partition(".")
    if head in ("reservation", "strategy", "power", "role", "electorate", "follows"):
        return rest == ""
    if head in ("weights", "values"):
        return rest == "" or rest in {issue.id for issue in scenario.issues}
    if head == "red_lines":
        return rest in party.red_line_options
    return False


def _structure_references(scenario: Scenario) -> Iterator[Finding]:
    party_ids = {party.id for party in scenario.parties}
    for c, constraint in enumerate(scenario.constraints):
        yield from _constraint_references(scenario, c, constraint)
    for issue_id, option_id in scenario.fixed.items():
        if (wrong := _option_ref(scenario, f"{issue_id}.{option_id}")) is not None:
            yield ("fixed", issue_id), f"fixed {wrong}"
    for o, offer in enumerate(scenario.offers):
        for issue_id, option_id in offer.fix.items():
            if (wrong := _option_ref(scenario, f"{issue_id}.{option_id}")) is not None:
                yield ("offers", o, "fix", issue_id), f"offer '{offer.id}' fixes {wrong}"
        if offer.sponsor is not None and offer.sponsor not in party_ids:
            yield ("offers", o, "sponsor"), f"offer sponsor '{offer.sponsor}' is not a party"
    if len(scenario.veto_parties) < 2:
        yield (
            ("parties",),
            "at least two parties must hold a veto (role negotiator or guarantor, or veto: true)",
        )
    if scenario.negsim != 1:
        yield ("negsim",), f"unsupported format version {scenario.negsim} (this negsim reads version 1)"


def _constraint_references(scenario: Scenario, c: int, constraint: Constraint) -> Iterator[Finding]:
    wrong = False
    for key in ("forbid", "requires", "one_of"):
        for r, ref in enumerate(getattr(constraint, key) or []):
            if (message := _option_ref(scenario, ref)) is not None:
                wrong = True
                yield ("constraints", c, key, r), f"constraint {message}"
    if wrong:
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


def citations(scenario: Scenario) -> Iterator[tuple[DataPath, list[Citation]]]:
    """Every ``sources:`` list of the scenario with its path (one place, so no list is forgotten)."""
    for i, issue in enumerate(scenario.issues):
        yield ("issues", i, "sources"), issue.sources
        for j, option in enumerate(issue.options):
            yield ("issues", i, "options", j, "sources"), option.sources
    for p, party in enumerate(scenario.parties):
        yield ("parties", p, "sources"), party.sources
        for key, reason in party.reasons.items():
            yield ("parties", p, "reasons", key, "sources"), reason.sources
        for r, red_line in enumerate(party.red_lines):
            yield ("parties", p, "red_lines", r, "sources"), red_line.sources
        for k, link in enumerate(party.links):
            yield ("parties", p, "links", k, "sources"), link.sources
    for c, constraint in enumerate(scenario.constraints):
        yield ("constraints", c, "sources"), constraint.sources
    for o, offer in enumerate(scenario.offers):
        yield ("offers", o, "sources"), offer.sources
    for j, call in enumerate(scenario.judgement_calls):
        yield ("judgement_calls", j, "sources"), call.sources


def _source_references(scenario: Scenario) -> Iterator[Finding]:
    for path, cited in citations(scenario):
        for k, citation in enumerate(cited):
            if citation.source not in scenario.sources:
                yield (*path, k), f"cites undefined source '{citation.source}'"


def reference_problems(scenario: Scenario) -> list[Finding]:
    """Every reference that does not resolve, every duplicate id, every incomplete party: errors."""
    return [
        *_unique_ids(scenario),
        *_party_references(scenario),
        *_structure_references(scenario),
        *_source_references(scenario),
        *dependence(scenario)[1],
    ]

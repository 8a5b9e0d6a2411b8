"""Cross-reference checks a per-field schema cannot make: ids that must exist, be unique, or be complete.

Each check returns ``(path, message)`` pairs; paths index the scenario document so the loader can turn them into
``file:line:col``. Errors stop a run; :func:`source_warnings` only flags claims that cite no source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sim.scenario.model import Scenario, split_option_ref
from sim.scenario.yamlsource import DataPath

Finding = tuple[DataPath, str]


def _duplicates(ids: list[str]) -> set[str]:
    return {item for item, count in Counter(ids).items() if count > 1}


def _unique_ids(scenario: Scenario) -> Iterator[Finding]:
    for section, items in (
        ("issues", scenario.issues),
        ("parties", scenario.parties),
        ("offers", scenario.offers),
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
    issues = {issue.id: issue for issue in scenario.issues}
    for p, party in enumerate(scenario.parties):
        base: DataPath = ("parties", p)
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
            for option_id in issues[issue_id].option_ids:
                if option_id not in values:
                    yield (
                        (*base, "values", issue_id),
                        f"party '{party.id}' has no value for option '{option_id}' of issue '{issue_id}'",
                    )
        for issue_id in issues:
            if issue_id not in party.values:
                yield (*base, "values"), f"party '{party.id}' has no values for issue '{issue_id}'"
            if issue_id not in party.weights:
                yield (*base, "weights"), f"party '{party.id}' has no weight for issue '{issue_id}'"
        for r, ref in enumerate(party.red_lines):
            if (wrong := _option_ref(scenario, ref)) is not None:
                yield (*base, "red_lines", r), f"red line {wrong}"
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
                    "reservation, red_lines.<issue>.<option> or strategy)",
                )


def _reason_key_exists(scenario: Scenario, party_id: str, key: str) -> bool:
    party = next(p for p in scenario.parties if p.id == party_id)
    head, _, rest = key.partition(".")
    if head in ("reservation", "strategy", "power", "role"):
        return rest == ""
    if head in ("weights", "values"):
        return rest == "" or rest in {issue.id for issue in scenario.issues}
    if head == "red_lines":
        return rest in party.red_lines
    return False


def _structure_references(scenario: Scenario) -> Iterator[Finding]:
    party_ids = {party.id for party in scenario.parties}
    for c, constraint in enumerate(scenario.constraints):
        for r, ref in enumerate(constraint.forbid):
            if (wrong := _option_ref(scenario, ref)) is not None:
                yield ("constraints", c, "forbid", r), f"constraint {wrong}"
        issues_named = [split_option_ref(ref)[0] for ref in constraint.forbid]
        if len(set(issues_named)) != len(issues_named):
            yield ("constraints", c, "forbid"), "a constraint must name options of different issues"
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


def _citations(scenario: Scenario) -> Iterator[tuple[DataPath, list[str]]]:
    for i, issue in enumerate(scenario.issues):
        for j, option in enumerate(issue.options):
            yield ("issues", i, "options", j, "sources"), option.sources
    for p, party in enumerate(scenario.parties):
        for key, reason in party.reasons.items():
            yield ("parties", p, "reasons", key, "sources"), reason.sources
    for c, constraint in enumerate(scenario.constraints):
        yield ("constraints", c, "sources"), constraint.sources
    for o, offer in enumerate(scenario.offers):
        yield ("offers", o, "sources"), offer.sources


def _source_references(scenario: Scenario) -> Iterator[Finding]:
    for path, cited in _citations(scenario):
        for k, source_id in enumerate(cited):
            if source_id not in scenario.sources:
                yield (*path, k), f"cites undefined source '{source_id}'"


def reference_problems(scenario: Scenario) -> list[Finding]:
    """Every reference that does not resolve, every duplicate id, every incomplete party: errors."""
    return [
        *_unique_ids(scenario),
        *_party_references(scenario),
        *_structure_references(scenario),
        *_source_references(scenario),
    ]


def source_warnings(scenario: Scenario) -> list[Finding]:
    """Options, weights and red lines that cite no source: allowed, but an analyst should know."""
    findings: list[Finding] = []
    for i, issue in enumerate(scenario.issues):
        for j, option in enumerate(issue.options):
            if not option.sources:
                findings.append((("issues", i, "options", j), f"option '{issue.id}.{option.id}' cites no source"))
    for p, party in enumerate(scenario.parties):
        cited = {key for key, reason in party.reasons.items() if reason.sources}
        for issue_id in party.weights:
            if f"weights.{issue_id}" not in cited and "weights" not in cited:
                findings.append(
                    (
                        ("parties", p, "weights", issue_id),
                        f"party '{party.id}' weight on '{issue_id}' cites no source",
                    )
                )
        for r, ref in enumerate(party.red_lines):
            if f"red_lines.{ref}" not in cited:
                findings.append(
                    (("parties", p, "red_lines", r), f"party '{party.id}' red line '{ref}' cites no source")
                )
    for key, source in scenario.sources.items():
        if not source.date or not (source.url or source.file):
            findings.append((("sources", key), f"source '{key}' needs a date and a url or seed file"))
    return findings

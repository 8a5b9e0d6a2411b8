"""The scenario as a readable catalogue: issues, options, citations and every party's position with its reasons.

``docs/catalogue.md`` is generated from the scenario files by ``negsim catalogue --markdown`` (and checked by a
test), so the document an analyst reads cannot drift from what the simulator runs.
"""

from __future__ import annotations

from sim.scenario.model import Party, Scenario
from sim.scenario.values import Citation


def markdown_safe(line: str) -> str:
    """A line of generated Markdown with scenario text made inert: rendered, a label such as
    ``<img src=x onerror=...>`` or ``[x](javascript:...)`` is text, not markup (issue 24). negsim's own Markdown
    uses no raw HTML and no links, so escaping ``& < >`` and the ``](`` of an inline link loses nothing."""
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\\(")


def show_range(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def cite(citations: list[Citation]) -> str:
    """``[S1]`` per citation, followed by its quote when it has one: ``[S1: “verbatim words”]``."""
    if not citations:
        return "*(no source)*"
    return " ".join(
        f"[{c.source}]" if c.quote is None else f"[{c.source}: “{c.quote.replace('|', chr(92) + '|')}”]"
        for c in citations
    )


def _cell(party: Party, issue_id: str, option_id: str) -> str:
    """A party's value for an option, ⛔ on a certain red line, ⛔p on one that holds with probability p."""
    value = show_range(party.value_range(issue_id, option_id)) if party.weighs(issue_id) else "—"
    for red_line in party.red_lines:
        if red_line.option == f"{issue_id}.{option_id}":
            value += " ⛔" if red_line.holds == 1 else f" ⛔{red_line.holds:g}"
    return value


def option_rows(scenario: Scenario) -> list[list[str]]:
    """One row per option: issue, option, label, citations, then each party's value (red lines marked)."""
    rows = []
    for issue in scenario.issues:
        for option in issue.options:
            values = [_cell(p, issue.id, option.id) for p in scenario.parties]
            rows.append([issue.id, option.id, option.label, cite(option.sources), *values])
    return rows


def _reason(party: Party, key: str) -> str:
    reason = party.reasons.get(key)
    return f"{reason.why} {cite(reason.sources)}" if reason else ""


def _party_section(scenario: Scenario, party: Party) -> list[str]:
    veto = "holds a veto" if party.has_veto else "no veto"
    lines = [
        f"### {party.name} (`{party.id}`)",
        "",
        f"Role: {party.role.value}, {veto}; power {party.power:g}; strategy {party.strategy.concession.value}"
        f" (exponent {party.strategy.effective_exponent:g}, beliefs {party.strategy.beliefs.value}).",
        "",
        f"- **Reservation** {show_range(party.reservation)}. {_reason(party, 'reservation')}",
    ]
    if general := _reason(party, "weights"):
        lines.append(f"- **Weights overall**: {general}")
    if (body := party.electorate) is not None:
        spread = body.spread
        who = (
            f"{body.voters:,} voters (spread: reservation {spread.reservation:g}, weights {spread.weights:g}, values "
            f"{spread.values:g})"
            if body.voters
            else ", ".join(f"{m.id} {m.seats}" for m in body.members or [])
        )
        lines.append(f"- **Votes as a body**: rule {body.rule}; {who}. {_reason(party, 'electorate')}")
    if party.follows is not None:
        lines.append(
            f"- **Follows** `{party.follows.party}` (rho {party.follows.rho:g}: its reservation and red lines move "
            f"with that party's). {_reason(party, 'follows')}"
        )
    for red_line in party.red_lines:
        ref = red_line.option
        holds = "" if red_line.holds == 1 else f" (holds with probability {red_line.holds:g})"
        inline = f"{red_line.why} {cite(red_line.sources)}" if red_line.why or red_line.sources else ""
        lines.append(
            f"- **Red line** `{ref}`{holds}. {' '.join(t for t in (inline, _reason(party, f'red_lines.{ref}')) if t)}"
        )
    for link in party.links:
        inline = f"{link.why or ''} {cite(link.sources)}".strip()
        lines.append(
            f"- **Link**: `{link.option}` is worth {show_range(link.value)} when `{link.when}` is in the package."
            f" {inline}"
        )
    lines += ["", "| issue | weight (before normalising) | ideal option | why |", "|---|---|---|---|"]
    for issue in scenario.issues:
        if not party.weighs(issue.id):
            lines.append(f"| {issue.title} | 0 (not weighed) | — | {_reason(party, f'weights.{issue.id}')} |")
            continue
        values = party.values[issue.id]
        ideal = max(values, key=lambda option_id: sum(values[option_id]))
        why = "; ".join(r for r in (_reason(party, f"weights.{issue.id}"), _reason(party, f"values.{issue.id}")) if r)
        lines.append(f"| {issue.title} | {show_range(party.weights[issue.id])} | `{ideal}` | {why} |")
    return [*lines, ""]


def catalogue_markdown(scenario: Scenario) -> str:
    """The whole catalogue of one scenario as Markdown."""
    party_ids = [p.id for p in scenario.parties]
    lines = [
        f"# Catalogue: {scenario.title}",
        "",
        f"Generated by `negsim catalogue` from scenario `{scenario.id}`; do not edit by hand.",
        "",
        "Values are each party's utility for an option (1 = its ideal); a range is uniform uncertainty; "
        "⛔ marks a red line.",
        "",
        "## Sources",
        "",
        "| id | title | publisher / author | date | where |",
        "|---|---|---|---|---|",
    ]
    for key, source in scenario.sources.items():
        where = source.url or source.file or ""
        lines.append(
            f"| {key} | {source.title} | {source.publisher or source.author or ''} | {source.date or ''} | {where} |"
        )
    lines += ["", "## Issues and options", ""]
    header = ["option", "label", "sources", *party_ids]
    for issue in scenario.issues:
        lines += [f"### {issue.title} (`{issue.id}`)", ""]
        if issue.note:
            lines += [" ".join(issue.note.split()), ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in option_rows(scenario):
            if row[0] == issue.id:
                lines.append("| " + " | ".join([f"`{row[1]}`", *row[2:]]) + " |")
        if scenario.fixed.get(issue.id):
            lines.append(f"\nSettled in this scenario: `{scenario.fixed[issue.id]}`.")
        lines.append("")
    lines += ["## Parties", ""]
    for party in scenario.parties:
        lines += _party_section(scenario, party)
    if scenario.constraints:
        lines += ["## Constraints", ""]
        for constraint in scenario.constraints:
            what = (
                f"never together: {', '.join(f'`{r}`' for r in constraint.forbid)}"
                if constraint.forbid
                else f"{', '.join(f'`{r}`' for r in constraint.requires or [])} only with one of "
                f"{', '.join(f'`{r}`' for r in constraint.one_of or [])}"
            )
            lines.append(f"- {what}. {constraint.why or ''} {cite(constraint.sources)}".rstrip())
        lines.append("")
    if scenario.offers:
        lines += ["## Named offers", "", "| offer | fixes | how it was coded | sources |", "|---|---|---|---|"]
        for offer in scenario.offers:
            fixes = ", ".join(f"{i}=`{o}`" for i, o in offer.fix.items())
            lines.append(f"| {offer.label} (`{offer.id}`) | {fixes} | {offer.note or ''} | {cite(offer.sources)} |")
        lines.append("")
    if scenario.judgement_calls:
        lines += [
            "## Judgement calls",
            "",
            "Choices no source settles; `negsim robustness` shows the headline under every alternative.",
            "",
            "| call | question | default | alternatives (edits) | why no source settles it |",
            "|---|---|---|---|---|",
        ]
        for call in scenario.judgement_calls:
            alternatives = " ".join(  # numbered in one cell: the page escapes raw HTML such as a line break
                f"({k}) {a.label}: {' '.join(f'`{e}`' for e in a.edits)}"
                for k, a in enumerate(call.alternatives, start=1)
            )
            why = f"{call.why} {cite(call.sources)}".strip()
            lines.append(f"| `{call.id}` | {call.what} | {call.default} | {alternatives} | {why} |")
        lines.append("")
    return "\n".join(markdown_safe(line) for line in lines)

"""The answers a run's page gives after the zone (issue 21): "what would it take" for each named offer, and "do talks
get there?", read back from the run directory (:mod:`sim.outputs.answers`), each with the exact command that gives
the same answer (or, when the run did not compute it, the command that does).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sim.outputs.answers import TalksLine, TalksProtocol, load_talks, load_whatif
from sim.outputs.html import Raw, esc, table
from sim.scenario.model import Scenario
from sim.zone.analysis import ZoneAnalysis
from sim.zone.results import OfferResult
from sim.zone.whatif_result import SMALLEST, Change, OffersWhatIf, Shortfall, WhatIfResult

STAYS_SHOWN = 4  # what stays: the parties most often short, then "and N more"


def resolved_scenario(run_dir: Path) -> str:
    """The run's own scenario file (``--set`` edits included): what a command repeating the run must load."""
    return str(run_dir / "scenario.resolved.yaml")


def whatif_command(run_dir: Path, analysis: ZoneAnalysis, offer: str, max_changes: int) -> str:
    settings = analysis.settings
    return shlex.join(
        [
            "negsim",
            "whatif",
            resolved_scenario(run_dir),
            "--offer",
            offer,
            "--samples",
            str(settings.samples),
            "--seed",
            str(settings.seed),
            "--max-changes",
            str(max_changes),
        ]
    )


def talks_command(run_dir: Path, analysis: ZoneAnalysis, runs: int = 200, protocol: str = "mediated") -> str:
    return shlex.join(
        [
            "negsim",
            "negotiate",
            resolved_scenario(run_dir),
            "--protocol",
            protocol,
            "--runs",
            str(runs),
            "--seed",
            str(analysis.settings.seed),
        ]
    )


def stays_text(stays: tuple[Shortfall, ...]) -> str:
    """What keeps the offer out when no change set reaches the target, most often first, by name."""
    parts = []
    for row in stays[:STAYS_SHOWN]:
        if not row.party:  # not a party's: the scenario itself rules the offer out
            parts.append(row.what)
        elif row.mean_shortfall:
            parts.append(
                f"{row.name} short of its reservation in {row.below:.0%} of samples (by {row.mean_shortfall:.3f})"
            )
        else:
            parts.append(f"{row.name}: {row.what} in {row.below:.0%} of samples")
    more = len(stays) - STAYS_SHOWN
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def answer_html(scenario: Scenario, answer: WhatIfResult, offer: OfferResult | None) -> str:
    """One offer's answer: the change set (each change in words) and what it reaches, no change needed (with the
    one-text caveat), or the proof with what stays."""
    if answer.changes:
        items = "".join(f"<li>{esc(c.text)} (concession {c.concession:.4f})</li>" for c in answer.changes)
        exact = "" if answer.cost_exact else " (fewest changes proven; least concession among the sets searched)"
        count = f"{len(answer.changes)} change{'s' if len(answer.changes) != 1 else ''}"
        return (
            f"<b>{count}</b>, total concession {answer.total_concession:.4f}{esc(exact)}:"
            f"<ul>{items}</ul>the offer, changed, reaches <b>{esc(answer.reached)}</b>."
        )
    if answer.changes is not None:
        one = (
            f" A text must commit to one completion: its best, shown in the offers table, is in the zone in "
            f"{offer.completion.p_zone}."
            if offer is not None and offer.completion.kind == "best"
            else ""
        )
        return (
            f"<b>None needed</b>: some completion is in the zone in {esc(answer.baseline)} of samples, at least the "
            f"target (completion chosen per sample).{esc(one)}"
        )
    verdict = esc(answer.verdict())
    if answer.what_stays:
        verdict += f"<br><b>What stays</b>: {esc(stays_text(answer.what_stays))}."
    return verdict


def target_text(value: OffersWhatIf) -> str:
    """The target in words: as often as the best package, or (no package ever in the zone) in one sample at least,
    which is what the search asks for when the target is 0."""
    if value.target > 0:
        return f"as often as the target {value.target:.4f}"
    return "in at least one sample (no package is in the zone in any sample as it stands)"


def whatif_section(run_dir: Path, analysis: ZoneAnalysis) -> str:
    """'What would it take' for every named offer: the run's answers, and the command for each offer it left."""
    value = load_whatif(run_dir)
    scenario = analysis.scenario
    if value is None:
        command = whatif_command(run_dir, analysis, "OFFER", 2)
        return (
            '<h2 id="what-would-it-take">What would it take</h2><p>Not computed for this run '
            "(<code>--whatif none</code> or an older run). For one named offer: "
            f"<code>{esc(command)}</code> (OFFER: an offer id; "
            f"ids: {esc(', '.join(o.id for o in scenario.offers))}).</p>"
        )
    offers = {o.id: o for o in analysis.offer_results}
    answers = {a.offer: a for a in value.answers}
    rows = []
    for offer in scenario.offers:
        if offer.id not in answers:
            continue
        result = offers.get(offer.id)
        command = whatif_command(run_dir, analysis, offer.id, value.max_changes)
        answer = answer_html(scenario, answers[offer.id], result)
        rows.append(
            [
                offer.label,
                str(result.p_complete) if result is not None else "",
                Raw(f'{answer}<div class="meta">Command: <code>{esc(command)}</code></div>'),
            ]
        )
    left = ""
    if value.not_searched:
        labels = {o.id: o.label for o in scenario.offers}
        named = "; ".join(f"{esc(labels.get(i, i))} (<code>{esc(i)}</code>)" for i in value.not_searched)
        command = whatif_command(run_dir, analysis, "OFFER", value.max_changes)
        left = (
            f"<p><b>Not searched on this page</b> ({len(value.not_searched)} of {len(scenario.offers)} offers): "
            f"{named}. Why: {esc(value.why_not_searched)}. For any of them: <code>{esc(command)}</code> with OFFER "
            "its id.</p>"
        )
    cost = f"{value.seconds:.1f} s CPU" if value.seconds >= 0.1 else "under 0.1 s CPU"
    answered = (
        table(["offer", "now: P(some completion in zone) [95 %]", "what would it take (and the command)"], rows)
        if rows
        else "<p>No offer was searched on this page.</p>"
    )
    return (
        '<h2 id="what-would-it-take">What would it take</h2>'
        f"<p>For each named offer, the smallest change set that brings it into the zone {esc(target_text(value))} "
        f"({esc(value.target_reason)}), searching every set of at most "
        f"<b>{value.max_changes}</b> changes, or the proof that none does and what keeps the offer out. Same samples "
        f"and seed as this run: each command gives the same answer (and takes --max-changes, --target). These "
        f"answers took {cost}.</p><details><summary>What 'smallest' means</summary><p>{esc(SMALLEST.capitalize())}."
        "</p></details>" + answered + left
    )


def talks_section(run_dir: Path, analysis: ZoneAnalysis) -> str:
    """Whether talks get there: the run's short talks simulation, or one line with the command that answers it."""
    value = load_talks(run_dir)
    head = '<h2 id="talks">Do talks get there?</h2>'
    if value is None:
        return (
            head + "<p>Talks were not simulated for this run (<code>negsim run --talks N</code> adds a short "
            f"simulation). To answer it: <code>{esc(talks_command(run_dir, analysis))}</code> (also "
            "<code>--protocol alternating</code>); it reports how often the talks agree against how often a zone "
            "existed.</p>"
        )
    return head + talks_table(value)


def talks_sentence(protocol: TalksProtocol) -> str:
    """One protocol's answer in words: of the runs whose own sample had a zone, how many the talks closed."""
    runs = protocol.runs
    zone, missed = round(protocol.zone_exists.p * runs), round(protocol.failed_with_zone.p * runs)
    if zone == 0:
        return f"{protocol.protocol.capitalize()}: no run's sample had a zone, so the talks had nothing to find."
    runs_had = "the one run whose sample had a zone" if zone == 1 else f"the {zone} runs whose sample had a zone"
    return (
        f"{protocol.protocol.capitalize()}: of {runs_had}, the talks agreed in {zone - missed} and failed in {missed}."
    )


def talks_table(value: TalksLine) -> str:
    rows = [
        [p.protocol, p.runs, str(p.agreement), str(p.zone_exists), str(p.failed_with_zone)] for p in value.protocols
    ]
    return (
        "<p>Simulated talks (agents with the run's sampled preferences make offers round by round, "
        f"seed {value.seed}), each run against whether a zone existed in its own sample:</p>"
        + table(
            [
                "protocol",
                "runs",
                "talks agree [95 %]",
                "a zone existed [95 %]",
                "failed although a zone existed [95 %]",
            ],
            rows,
        )
        + "<p>"
        + esc(" ".join(talks_sentence(p) for p in value.protocols))
        + "</p>"
        + f"<p>Command: <code>{esc(value.command)}</code></p>"
    )


def change_brief(scenario: Scenario, change: Change) -> str:
    """One change in a few words, by name: the issue's new option, the party's cut, or its red line's new holds."""
    names = {party.id: party.name for party in scenario.parties}
    if change.kind == "issue":
        issue = scenario.issue(change.subject)
        after = next(o.label for o in issue.options if o.id == change.after)
        return f"{issue.title} -> '{after}'"
    if change.kind == "reservation":
        return f"{names[change.party]} cuts its reservation by {change.concession:.3f}"
    issue_id, _, option_id = change.subject.partition(".")
    label = next(o.label for o in scenario.issue(issue_id).options if o.id == option_id)
    return f"{names[change.party]}'s red line on '{label}' {change.after}"


def whatif_brief(run_dir: Path, analysis: ZoneAnalysis) -> str:
    """'What would it take' in one line per answered offer, for a page over several runs (the run's own page has
    the changes, what stays and the commands)."""
    value = load_whatif(run_dir)
    if value is None:
        return "<p>What would it take: not computed for this run (its report gives the command).</p>"
    labels = {o.id: o.label for o in analysis.scenario.offers}
    rows = []
    for answer in value.answers:
        if answer.changes:
            what = "; ".join(change_brief(analysis.scenario, c) for c in answer.changes)
            what += f" → reaches {answer.reached}"
        elif answer.changes is not None:
            what = f"none needed (some completion in the zone in {answer.baseline})"
        elif answer.proven == answer.max_changes:
            what = f"no set of at most {answer.max_changes} changes reaches it (proven); the most any reaches is "
            what += str(answer.best_within)
        else:
            what = f"none of at most {max(answer.proven, 0)} changes; larger sets not all searched (budget)"
        rows.append([labels.get(answer.offer, answer.offer), what])
    left = ""
    if value.not_searched:
        left = f" {len(value.not_searched)} more offers are left to their command (see the run's report)."
    return (
        f"<p>What would it take to bring each offer into the zone {esc(target_text(value))} with at most "
        f"{value.max_changes} changes:{left}</p>" + (table(["offer", "answer"], rows) if rows else "")
    )


def talks_brief(run_dir: Path) -> str:
    """Do talks get there, on a page over several runs: the run's talks when it simulated them, else nothing (its
    own report gives the command)."""
    value = load_talks(run_dir)
    return "" if value is None else "<h3>Do talks get there?</h3>" + talks_table(value)

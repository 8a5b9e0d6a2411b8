"""The ranked list of a run's page in words (issue 21): the packages most often in the zone, #2 onwards as what
differs from #1, the zone's core and what it lacks, and the list's key facts said plainly: the red lines every
listed package crosses (so the list holds only in the samples where they do not hold), whether the intervals tell the
ranks apart, and what the intervals are not (the judgement calls).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sim.outputs.html import table
from sim.scenario.model import Scenario, split_option_ref
from sim.zone.analysis import RankedPackage, ZoneAnalysis

RANKED = 15

JUDGEMENT = (
    "The intervals are Monte-Carlo only: they say how far more samples could move a number, not how far the "
    "scenario's judgement calls could. <code>negsim robustness SCENARIO</code> (for the shipped baseline, "
    "<code>docs/robustness.md</code>) shows the range across the named alternatives."
)


def option_label(scenario: Scenario, issue_id: str, option_id: str) -> str:
    issue = scenario.issue(issue_id)
    return next((o.label for o in issue.options if o.id == option_id), option_id)


@dataclass(frozen=True)
class CrossedRedLine:
    """A veto party's uncertain red line that every listed package crosses: the list is in the zone only in the
    samples where it does not hold."""

    party: str
    issue: str
    option: str
    label: str
    holds: float

    def sentence(self, listed: int) -> str:
        which = "#1" if listed == 1 else f"#1 and every one of the {listed} listed packages"
        return (
            f"{which} need {self.party}'s red line on {self.issue}: '{self.label}' not to hold; it holds in "
            f"{self.holds:.0%} of samples, so these packages can be in the zone only in the other {1 - self.holds:.0%}."
        )


def crossed_red_lines(analysis: ZoneAnalysis, ranked: list[RankedPackage]) -> list[CrossedRedLine]:
    """The veto parties' red lines that every package in ``ranked`` holds (only uncertain ones can: a certain red
    line keeps a package out of the zone in every sample)."""
    scenario = analysis.scenario
    found = []
    for party in scenario.veto_parties:
        for red in party.red_lines:
            issue, option = split_option_ref(red.option)
            if ranked and all(r.package.options.get(issue) == option for r in ranked):
                title = scenario.issue(issue).title
                found.append(
                    CrossedRedLine(party.name, title, option, option_label(scenario, issue, option), red.holds)
                )
    return found


def ranks_apart(ranked: list[RankedPackage]) -> str:
    """Whether the intervals tell the listed ranks apart: which packages' intervals overlap #1's."""
    if len(ranked) < 2:
        return ""
    first = ranked[0].p_zone
    overlapping = [r for r in ranked[1:] if r.p_zone.hi >= first.lo]
    if not overlapping:
        return "#1's interval overlaps no other listed package's: this many samples tell it apart."
    if len(overlapping) == len(ranked) - 1:
        return (
            f"All {len(ranked)} intervals overlap #1's: this many samples do not tell these ranks apart (the order "
            "among them is Monte-Carlo noise; another seed or sample count may put another package first)."
        )
    last = overlapping[-1].rank
    return (
        f"#1's interval overlaps those of {len(overlapping)} others (down to #{last}): these ranks are not told "
        "apart by this many samples."
    )


def ranked_section(analysis: ZoneAnalysis) -> str:
    """The packages most often in the zone, #2 onwards as what differs from #1; the key facts in words; the zone's
    core and what it lacks."""
    scenario = analysis.scenario
    titles = {issue.id: issue.title for issue in scenario.issues}

    def options(items: dict[str, str]) -> str:
        return "; ".join(f"{titles[i]}: {option_label(scenario, i, o)}" for i, o in items.items())

    ranked = analysis.ranked(RANKED)
    rows = [
        [
            r.rank,
            str(r.p_zone),
            "the best package (above)" if r.rank == 1 else options(r.differs) or "(as #1)",
            ", ".join(k.brief() for k in analysis.rejections(r.package.number)) or "nothing: always in the zone",
        ]
        for r in ranked
    ]
    facts = [c.sentence(len(ranked)) for c in crossed_red_lines(analysis, ranked)]
    facts = [html.escape(f) for f in [*facts, ranks_apart(ranked)] if f] + [JUDGEMENT]
    core = analysis.core()
    absent = [f"{titles[i]}: {option_label(scenario, i, o)}" for i, o in (split_option_ref(a) for a in core.absent)]
    return (
        f"<h3>The {len(ranked)} packages most often in the zone</h3>"
        + "".join(f"<p><b>{fact}</b></p>" if n == 0 else f"<p>{fact}</p>" for n, fact in enumerate(facts))
        + "<p>#2 onwards: only what differs from #1. The last column: the veto parties that reject the package in "
        "the other samples, and how often (a party's rejections overlap with the others'; 'red line': the package "
        "holds one of its red lines).</p>"
        + table(["#", "P(zone) [95 %]", "package", "rejected in the other samples by"], rows)
        + f"<p>Every one of the {core.packages:,} packages ever in the zone holds: "
        f"<b>{html.escape(options(core.shared) or 'no common option')}</b>.</p>"
        + (f"<p>No package ever in the zone holds: {html.escape('; '.join(absent))}.</p>" if absent else "")
    )


def answer_brief(analysis: ZoneAnalysis, top: int = 5) -> str:
    """A scenario's answer on a page over several runs: P(zone non-empty), the best package in one line, the key
    facts, the next packages by what differs from #1, and the zone's core."""
    scenario, head = analysis.scenario, analysis.headline
    titles = {issue.id: issue.title for issue in scenario.issues}

    def options(items: dict[str, str]) -> str:
        return "; ".join(f"{titles[i]}: {option_label(scenario, i, o)}" for i, o in items.items())

    text = f"<p>Zone not empty in <b>{head.p_nonempty}</b> of samples; zone mass {analysis.zone_mass_text()}.</p>"
    if head.best is None:
        return text + "<p><b>No package is in the zone in any sample</b>; the full report shows the closest.</p>"
    ranked = analysis.ranked(top)
    facts = [c.sentence(len(ranked)) for c in crossed_red_lines(analysis, ranked)]
    rows = [
        [r.rank, str(r.p_zone), options(r.package.options) if r.rank == 1 else options(r.differs) or "(as #1)"]
        for r in ranked
    ]
    core = analysis.core()
    return (
        text
        + "".join(f"<p><b>{html.escape(fact)}</b></p>" for fact in facts)
        + f"<p>The {len(ranked)} packages most often in the zone (#2 on: what differs from #1). "
        + html.escape(ranks_apart(ranked))
        + "</p>"
        + table(["#", "P(zone) [95 %]", "package"], rows)
        + f"<p>Every package ever in the zone holds: <b>{html.escape(options(core.shared) or 'no common option')}"
        "</b>.</p>"
    )

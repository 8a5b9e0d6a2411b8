"""The human-readable side of a run: plots in ``plots/`` and a one-page ``report.html`` with their numbers.

Everything is drawn from the run's own tables (so page, plots and tables cannot disagree). The page is plain HTML
(tables, figures, no script) so that a multi-run report can wrap it. Every probability is shown with its 95 %
Monte-Carlo interval; when nothing is in the zone the page says so and shows the closest package, never a "best".
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from sim.outputs.answer_page import talks_section, whatif_section
from sim.outputs.drawing import Drawing, PendingFigures, split_in_two, start_drawing
from sim.outputs.figure_choice import Figures
from sim.outputs.html import esc, figure, page
from sim.outputs.ranked_page import option_label, ranked_section
from sim.outputs.rundir import read_manifest
from sim.outputs.zonerun import INTERVAL, party_label
from sim.scenario.model import Scenario
from sim.zone.analysis import ZoneAnalysis
from sim.zone.blocker import constrains_nothing
from sim.zone.estimate import share_text
from sim.zone.offers import INFEASIBLE, fixed_label
from sim.zone.results import BargainingSolution, Blocker, ClosestPackage, Headline

ZONE_PLOTS = {
    "zone_by_option.png": "How often some package holding each option is in the zone. Read the whiskers: two options "
    "whose intervals overlap are not distinguished by this many samples. Pink bars are red-lined by a veto party.",
    "offers_acceptance.png": "For each named offer: how often some completion is in the zone, and each party's "
    "acceptance of its best completion (or, when none is ever in the zone, of its closest completion).",
    "convergence.png": "Running estimates against the number of samples: a flat line inside a narrow band means more "
    "samples would not change the answer.",
    "option_pairs.png": "For the two issues whose options matter most: the best zone probability of a package holding "
    "both options.",
    "blockers_by_option.png": "Who rejects each option's best (or closest) completion, and whether by red line or "
    "by falling short of its reservation.",
    "zone_histogram.png": "How many packages have each zone probability.",
    "utility_pairs.png": "Expected utilities of sampled packages, zone packages, the negotiation set (Pareto-efficient "
    "packages every veto party expects to prefer to its mean reservation) and the bargaining solutions, pair by pair "
    "of veto parties.",
}


def run_caption(run_dir: Path, analysis: ZoneAnalysis) -> str:
    settings = analysis.settings
    return f"{analysis.scenario.id} · run {run_dir.name} · {settings.samples} samples, seed {settings.seed}"


def start_zone_figures(
    run_dir: Path, analysis: ZoneAnalysis, pair: tuple[str, str] | None = None, figures: Figures = Figures.all
) -> PendingFigures:
    """Start drawing the chosen zone plots (:mod:`sim.outputs.drawing`); the page is written after ``finish``."""
    if figures is Figures.none:  # importing the figures pulls in matplotlib (~0.5 s): only when drawing
        return start_drawing([], run_dir / "plots")
    chosen = [d for d in zone_drawings(run_dir, analysis, pair) if figures.draws(d[1])]
    return start_drawing(split_in_two(chosen, FIGURE_COST.__getitem__), run_dir / "plots")


# CPU seconds to make and draw each figure of the baseline at 2,000 samples (matplotlib 3.11, measured 2026-12-04):
# what the two drawing processes split evenly. Only their order matters.
FIGURE_COST = {
    "blockers_by_option.png": 1.26,
    "zone_by_option.png": 0.82,
    "offers_acceptance.png": 0.81,
    "utility_pairs.png": 0.69,
    "option_pairs.png": 0.25,
    "convergence.png": 0.13,
    "zone_histogram.png": 0.09,
}


def zone_drawings(run_dir: Path, analysis: ZoneAnalysis, pair: tuple[str, str] | None = None) -> list[Drawing]:
    """The run's figures as (draw, file name)."""
    from sim.outputs.zonefigures import ZoneFigures

    figures = ZoneFigures(analysis, run_caption(run_dir, analysis))
    return [
        (figures.zone_by_option, "zone_by_option.png"),
        (figures.offers, "offers_acceptance.png"),
        (figures.blockers, "blockers_by_option.png"),
        (figures.histogram, "zone_histogram.png"),
        (figures.utility_pairs, "utility_pairs.png"),
        (figures.convergence, "convergence.png"),
        (lambda: figures.option_pairs(pair), "option_pairs.png"),
    ]


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.3f}"
    return "" if value is None else str(value)


def _package_table(scenario: Scenario, options: dict[str, str]) -> str:
    """Issue titles and option labels, in the scenario's issue order."""
    return _table(
        ["issue", "option"], [[i.title, option_label(scenario, i.id, options[i.id])] for i in scenario.issues]
    )


def constrains_nothing_note(analysis: ZoneAnalysis) -> str:
    """The veto parties that accept every package in every sample, said plainly (issue 21: the US accepted every
    offer, Putin's June 2024 terms included, and nothing said that its reservation moves nothing)."""
    text = constrains_nothing(analysis.accepts_everything())
    if not text:
        return ""
    head, _, rest = text.partition(" every package")
    return f'<p class="warning"><b>{html.escape(head)}</b> every package{html.escape(rest)}</p>'


def zone_section(analysis: ZoneAnalysis) -> str:
    """The headline: zone size with intervals, then the best package — or, when there is none, the closest."""
    scenario, head = analysis.scenario, analysis.headline
    text = (
        f"<p>{analysis.feasible:,} feasible packages of {analysis.space_size:,}. Expected number of "
        f"packages every veto party accepts (zone mass): <b>{analysis.zone_mass_text()}</b>. Share of samples in which "
        f"the zone is not empty: <b>{head.p_nonempty}</b>.</p>"
    )
    text += constrains_nothing_note(analysis)
    if head.best is not None:
        return (
            text + f"<h3>Best package (in the zone most often: {head.best_p_zone})</h3>"
            f"{_package_table(scenario, head.best.options)}{ranked_section(analysis)}"
        )
    closest = head.closest
    text += f'<p class="warning"><b>{html.escape(Headline.NO_ZONE.capitalize())}.</b> There is no best package.</p>'
    if closest is None:
        return text + "<p>No feasible package avoids every veto party's red lines.</p>"
    shortfalls = _table(
        ["veto party", "mean shortfall below its reservation"],
        [[party_label(analysis, p), v] for p, v in closest.shortfall.items()],
    )
    proven = "" if closest.proven else " (best among the most promising candidates; not proven minimal)"
    return (
        text + f"<h3>Closest package (not acceptable: smallest total shortfall, {closest.total_shortfall:.3f}"
        f"{proven})</h3><p>{html.escape(ClosestPackage.DEFINITION)}.</p>"
        f"{_package_table(scenario, closest.package.options)}{shortfalls}"
    )


CONTENTS = (
    '<p class="meta">On this page: <a href="#zone">zone and ranked packages</a> · <a href="#offers">named offers</a>'
    ' · <a href="#what-would-it-take">what would it take</a> · <a href="#talks">do talks get there?</a> · '
    '<a href="#solutions">bargaining solutions</a> · <a href="#options">options</a> · <a href="#plots">plots</a></p>'
)


def render_report(run_dir: Path, analysis: ZoneAnalysis) -> str:
    manifest = read_manifest(run_dir)
    scenario, settings, parties = analysis.scenario, analysis.settings, analysis.parties
    offers = analysis.offer_results
    offer_table = _table(
        [
            "offer",
            "P(some completion in zone) [95 %]",
            "completion shown",
            "its P(zone) [95 %]",
            "blocker (rejects every completion)",
            "why never in the zone",
        ],
        [
            [
                o.label,
                str(o.p_complete),
                "closest (none in zone)" if o.completion.kind == "closest" else o.completion.kind,
                str(o.completion.p_zone),
                NO_BLOCKER_INFEASIBLE if o.reason.text.startswith(INFEASIBLE) else blocker_text(scenario, o.blocker),
                o.reason.text,
            ]
            for o in offers
        ],
    )
    acceptance = _table(
        ["offer (completion shown)", *(party_label(analysis, p) for p in parties)],
        [
            [f"{o.label} ({o.completion.kind})", *(str(o.completion.p_accept[p]) for p in parties)]
            for o in offers
            if o.completion.package is not None
        ],
    )
    option_table = _table(
        ["issue", "option", "P(some package with it in zone) [95 %]", "red line of", "mean P(zone) of its packages"],
        [
            [m.issue_title, m.label, str(m.p_complete), ",".join(m.red_lined_by), _small(m.mean_p_zone)]
            for m in analysis.option_results
        ],
    )
    negotiation = analysis.negotiation_set
    named = {name: sol for name, sol in negotiation.solutions.items() if sol}
    solution_table = (
        _table(
            ["issue", *(name.replace("_", "–") for name in named)],
            [
                [issue.title, *(option_label(scenario, issue.id, s.package.options[issue.id]) for s in named.values())]
                for issue in scenario.issues
            ]
            + [["zone probability [95 %]", *(str(s.p_zone) for s in named.values())]]
            + [["what keeps it out of the zone", *(_outside(analysis, s) for s in named.values())]]
            + [
                [f"expected utility: {party_label(analysis, p)}", *(s.expected_utility[p] for s in named.values())]
                for p in parties
            ],
        )
        if named
        else "<p>No package reaches every veto party's mean reservation in expectation.</p>"
    )
    drawn = {name: text for name, text in ZONE_PLOTS.items() if (run_dir / "plots" / name).is_file()}
    images = "".join(
        figure(run_dir / "plots" / name, name.removesuffix(".png").replace("_", " "), text)
        for name, text in drawn.items()
    )
    if len(drawn) < len(ZONE_PLOTS):
        missing = ", ".join(n.removesuffix(".png").replace("_", " ") for n in ZONE_PLOTS if n not in drawn)
        images += (
            f"<p>Not drawn for this run: {esc(missing)}. Drawing costs more than scoring, so by default "
            "<code>negsim run</code> draws the four figures no table above restates, a batch the two its page shows "
            "and a sweep's points none; <code>--figures all</code> draws every one.</p>"
        )
    meta = (
        f"Scenario <code>{esc(scenario.id)}</code>, hash <code>{manifest['scenario_hash'][:12]}</code>, "
        f"seed {settings.seed}, {settings.samples} samples, "
        f"negsim {esc(manifest['versions']['negsim'])}. "
        f"Command: <code>{esc(manifest['command'])}</code>. Intervals: {esc(INTERVAL)}."
    )
    body = f"""{CONTENTS}<h2 id="zone">Zone</h2>{zone_section(analysis)}
<h2 id="offers">Named offers</h2>{offer_table}
<h3>Each party's acceptance of the completion shown</h3>{acceptance}
{whatif_section(run_dir, analysis)}
{talks_section(run_dir, analysis)}
<h2 id="solutions">Bargaining solutions</h2>
<p>Negotiation set: {len(negotiation.packages):,} packages, the Pareto-efficient packages that break no veto
party's red line and give every veto party at least its mean reservation in expected utility. Solutions are taken
among them.{_solutions_note(named)}</p>{solution_table}
<h2 id="options">Options</h2>{option_table}
<h2 id="plots">Plots</h2>{images}"""
    return page(scenario.title, body, meta=meta)  # one self-contained file: plots embedded, glossary included


def _solutions_note(named: dict[str, BargainingSolution]) -> str:
    """Said when no solution is ever in the zone: a solution reaches each mean reservation in expectation, which is
    not every veto party accepting it in one sample."""
    if not named or any(s.p_zone.p > 0 for s in named.values()):
        return ""
    return (
        " <b>None of them is ever in the zone in these samples</b>: each reaches every veto party's mean reservation "
        "in expectation, not in the same sample; the last row says who rejects it and why."
    )


def _outside(analysis: ZoneAnalysis, solution: BargainingSolution) -> str:
    """Why a bargaining solution is outside the zone where it is: never in it, or in it only sometimes, and who
    rejects it then, with its red line or shortfall. A solution is not a package in the zone unless this is empty."""
    why = analysis.why_outside(solution.package.number)
    if not why:
        return "nothing: in the zone in every sample"
    never = "never in the zone: " if solution.p_zone.p == 0 else ""
    return never + why


NO_BLOCKER_INFEASIBLE = "none: no completion of the offer is feasible in this scenario (the next column says why)"


def _small(p: float) -> str:
    """A mean zone probability as people read it: 0, below 0.0001, or four decimals."""
    return "0" if p == 0 else ("< 0.0001" if p < 1e-4 else f"{p:.4f}")


def blocker_text(scenario: Scenario, blocker: Blocker) -> str:
    """The blocker for a reader (:mod:`sim.zone.blocker`): its name, how often it rejects every completion, the red
    lines of its the offer fixes (issue and option labels, ``holds`` when uncertain), its mean shortfall."""
    if not blocker.party:
        return Blocker.NONE
    red = [
        fixed_label(scenario, ref) + ("" if holds >= 1 else f" (holds {holds:g})")
        for ref, holds in zip(blocker.red_lines, blocker.holds, strict=True)
    ]
    text = f"{blocker.name}: rejects every completion in {share_text(blocker.share)} of samples"
    if red:
        text += "; red lines it fixes: " + "; ".join(red)
    if blocker.shortfall:
        text += f"; its own best completion short of its reservation by {blocker.shortfall:.3f} on average"
    return text

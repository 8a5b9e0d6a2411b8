"""The page's results as HTML with server-drawn SVG: headline, the draft and its completion, each party, the bars,
the zone, and the differences from the scenario as loaded.

Every live number sits in an element with ``role="status"`` whose accessible name says what it is ("P(zone
non-empty)", "Russia P(accept draft)"); probabilities are printed as the CLI prints them, ``p [low, high]`` with
three decimals, so the page and ``negsim score``/``negsim run`` can be compared character for character.
"""

from __future__ import annotations

from html import escape

import numpy as np

from sim.explore.draft import estimate
from sim.explore.session import Results, WhatIf
from sim.scenario.model import Role
from sim.studies.whatif_answer import SMALLEST
from sim.zone.blocker import offer_blocker
from sim.zone.results import Blocker


def interval_text(count: int, samples: int) -> str:
    p, low, high = estimate(count, samples)
    return f"{p:.3f} [{low:.3f}, {high:.3f}]"


def status(label: str, text: str, tag: str = "span", cls: str = "") -> str:
    """A live number: role=status (polite live region) named by ``label``."""
    klass = f' class="{cls}"' if cls else ""
    slug = "s-" + "".join(c if c.isalnum() else "-" for c in label.lower())
    return f'<{tag} id="{slug}" role="status" aria-label="{escape(label)}"{klass}>{escape(text)}</{tag}>'


def package_text(results: Results, package: int) -> str:
    space = results.context.space
    options = space.describe(package)
    return "; ".join(f"{issue}={option}" for issue, option in options.items())


def short_name(name: str) -> str:
    """'European coalition (UK, France, ...)' -> 'European coalition': what fits a table's first column."""
    return name.split(" (")[0]


def headline(results: Results) -> str:
    samples = results.context.samples
    zone, draft = results.zone, results.draft
    return (
        '<div class="cards">'
        f'<div class="card"><h3>P(zone non-empty)</h3>'
        f"{status('P(zone non-empty)', interval_text(int(zone.nonempty.sum()), samples), cls='big')}</div>"
        f'<div class="card"><h3>Zone mass</h3>{status("Zone mass", f"{zone.mass:.3f}", cls="big")}'
        "<small>expected packages in the zone</small></div>"
        f'<div class="card"><h3>Draft: P(some completion in zone)</h3>'
        f"{status('Draft P(some completion in zone)', interval_text(int(draft.hits.sum()), samples), cls='big')}"
        "</div>"
        f'<div class="card how"><h3>Last change</h3>{status("How the zone was found", results.how)}</div>'
        "</div>"
    )


def completion_table(results: Results, whatif: WhatIf | None) -> str:
    """The draft, its shown completion (options it adds highlighted) and the what-would-it-take change."""
    draft, context = results.draft, results.context
    space, scenario = context.space, context.scenario
    if draft.package < 0:
        return f"<p>{status('Draft completion', 'no feasible completion')}</p>"
    codes = space.codes(np.array([draft.package]))[0]
    changes = (whatif.answer.changes if whatif else None) or ()
    moved = {c.subject: c.after for c in changes if c.kind == "issue"}
    kind = {"best": "best completion (most often in the zone)", "closest": "closest completion (never in the zone)"}
    rows = []
    for i, issue in enumerate(scenario.issues):
        option = issue.options[int(codes[i])]
        fixed = i in draft.fix
        mark = "" if fixed else ' class="added"'
        cell = escape(option.label) + ("" if fixed else " <small>(completion)</small>")
        what = ""
        if issue.id in moved:
            label = next(o.label for o in issue.options if o.id == moved[issue.id])
            what = f'<td class="whatif">→ {escape(label)}</td>'
        rows.append(f"<tr><th scope='row'>{escape(issue.title)}</th><td{mark}>{cell}</td>{what or '<td></td>'}</tr>")
    ids = {space.issue_ids[i]: space.option_ids[i][int(codes[i])] for i in range(len(codes))}
    data = escape(str(ids).replace("'", '"'))
    return (
        f"<h3>{escape(kind.get(draft.completion, draft.completion))}: "
        f"{status('Draft completion', package_text(results, draft.package), cls='mono')}</h3>"
        f'<table class="completion" data-completion="{data}"><thead><tr><th>issue</th><th>draft + completion</th>'
        f"<th>what would it take</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def party_table(results: Results) -> str:
    draft, context = results.draft, results.context
    samples = context.samples
    scores = {row.party: row for row in (draft.scores.parties if draft.scores else ())}
    rows = []
    for p, party in enumerate(context.scenario.parties):
        name = party.name
        row = scores.get(party.id)
        veto = "" if context.preferences.veto[p] else " (no veto)"
        could = status(f"{name} P(accept draft)", interval_text(int(draft.could[p].sum()), samples))
        if row is None:
            cells = "<td>—</td><td>—</td><td>—</td><td>—</td>"
        else:
            accept_text = row.accept.text(3)
            held = ", ".join(row.red_lines_held) or "-"
            cells = (
                f"<td>{status(f'{name} P(accept completion)', accept_text)}</td>"
                f"<td>{status(f'{name} expected utility', format(row.expected_utility, '.3f'))}</td>"
                f"<td>{status(f'{name} mean reservation', format(row.mean_reservation, '.3f'))}</td>"
                f"<td>{status(f'{name} red lines held', held)}</td>"
            )
        short = escape(short_name(name))
        rows.append(
            f"<tr><th scope='row' title='{escape(name)}'>{short}<small>{party.role}{veto}</small></th>"
            f"<td>{could}</td>{cells}</tr>"
        )
    return (
        '<table class="parties"><thead><tr><th>party</th><th>P(accept draft): some completion</th>'
        "<th>P(accept completion)</th><th>expected utility</th><th>mean reservation</th><th>red lines held</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def blockers(results: Results) -> str:
    """The draft's blocker by the one definition (``sim.zone.blocker``: the veto party that most often rejects every
    completion), then who rejects the shown completion in some samples, by name."""
    draft, context = results.draft, results.context
    blocker = offer_blocker(context.scenario, context.space, context.preferences, draft.fix) if draft.fix else Blocker()
    scores = draft.scores
    names = {party.id: party.name for party in context.scenario.parties}
    rejected = "; ".join(
        f"{names.get(b.party, b.party)} in {b.reject:.1%} ({b.why})" for b in (scores.blockers if scores else ())
    )
    return (
        f"<p>Blocker of the draft (rejects every completion): {status('Draft blocker', blocker.text())}</p>"
        f"<p>Shown completion rejected by: {status('Blockers', rejected or 'none')}</p>"
    )


def bars_svg(results: Results) -> str:
    """Per party, the shown completion's utility (10–90 % band, median) against its reservation (10–90 % band,
    mean); the table's parties first, the ratifiers apart below."""
    draft, context = results.draft, results.context
    parties = context.scenario.parties
    table = [p for p, party in enumerate(parties) if party.role is not Role.ratifier]
    ratifiers = [p for p, party in enumerate(parties) if party.role is Role.ratifier]
    left, width, row = 190, 420, 22
    lines, y = [], 18
    x = lambda v: left + width * min(max(float(v), 0.0), 1.0)  # noqa: E731
    for group, members in (("at the table", table), ("ratifiers", ratifiers)):
        if not members:
            continue
        lines.append(f'<text x="4" y="{y}" class="group">{group}</text>')
        y += 8
        for p in members:
            utility = draft.utility[p]
            reservation = context.preferences.reservation[p]
            u10, u50, u90 = np.quantile(utility, [0.1, 0.5, 0.9]) if draft.package >= 0 else (0, 0, 0)
            r10, r90 = np.quantile(reservation, [0.1, 0.9])
            name = escape(short_name(parties[p].name)[:28])
            lines.append(
                f"<g><title>{name}: utility of the shown completion 10–90 % {u10:.2f}–{u90:.2f}, median {u50:.2f}; "
                f"reservation 10–90 % {r10:.2f}–{r90:.2f}, mean {reservation.mean():.2f}</title>"
                f'<text x="4" y="{y + 14}">{name}</text>'
                f'<rect class="res" x="{x(r10):.1f}" y="{y + 2}" width="{max(x(r90) - x(r10), 1):.1f}" '
                f'height="{row - 4}"/>'
                f'<line class="resmean" x1="{x(reservation.mean()):.1f}" x2="{x(reservation.mean()):.1f}" '
                f'y1="{y}" y2="{y + row}"/>'
                f'<rect class="util" x="{x(u10):.1f}" y="{y + 7}" width="{max(x(u90) - x(u10), 1):.1f}" '
                f'height="{row - 14}"/>'
                f'<line class="median" x1="{x(u50):.1f}" x2="{x(u50):.1f}" y1="{y + 4}" y2="{y + row - 4}"/></g>'
            )
            y += row
        y += 14
    ticks = "".join(
        f'<line class="tick" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="10" y2="{y - 10}"/>'
        f'<text x="{x(t) - 6:.1f}" y="{y + 2}">{t:.1f}</text>'
        for t in (0, 0.25, 0.5, 0.75, 1.0)
    )
    return (
        f'<svg class="bars" viewBox="0 0 {left + width + 20} {y + 8}" role="img" '
        'aria-label="Utility of the shown completion against reservation, per party">'
        f"{ticks}{''.join(lines)}</svg>"
        '<p class="legend"><span class="k util"></span> utility of the shown completion, 10–90 % of samples '
        '(tick: median) <span class="k res"></span> reservation, 10–90 % (line: mean)</p>'
    )


def zone_section(results: Results) -> str:
    context, zone = results.context, results.zone
    samples, scenario = context.samples, context.scenario
    top = "".join(
        f"<tr><td>{rank + 1}</td><td>{status(f'Top package {rank + 1} P(zone)', interval_text(count, samples))}</td>"
        f"<td class='mono'>{escape(package_text(results, package))}</td></tr>"
        for rank, (package, count) in enumerate(zone.top)
    )
    options = []
    for i, issue in enumerate(scenario.issues):
        options.append(f"<tr class='issue'><th colspan='3'>{escape(issue.title)}</th></tr>")
        for o, option in enumerate(issue.options):
            count = int(zone.by_option[i][o])
            p, low, high = estimate(count, samples)
            label = f"Zone probability: {issue.title} — {option.label}"
            bar = (
                f'<svg class="pbar" viewBox="0 0 200 12" aria-hidden="true"><rect class="p" x="0" y="2" '
                f'width="{200 * p:.1f}" height="8"/><line class="ci" x1="{200 * low:.1f}" x2="{200 * high:.1f}" '
                'y1="6" y2="6"/></svg>'
            )
            options.append(
                f"<tr><td>{escape(option.label)}</td><td>{status(label, interval_text(count, samples))}</td>"
                f"<td>{bar}</td></tr>"
            )
    return (
        "<h2>The zone</h2><h3>Most likely packages</h3>"
        + (
            f'<table class="top"><thead><tr><th>#</th><th>P(zone)</th><th>package</th></tr></thead><tbody>{top}'
            "</tbody></table>"
            if top
            else "<p>No package is in the zone in any sample.</p>"
        )
        + "<details><summary>Zone probability by option (some package holding it is in the zone)</summary>"
        f'<table class="options"><tbody>{"".join(options)}</tbody></table></details>'
    )


def differences(results: Results) -> str:
    """Paired differences from the scenario as loaded; those within noise are folded away (still listed)."""
    if not results.differences:
        return "<p>The scenario is as loaded: no differences.</p>"
    head = (
        "<table class='diffs'><thead><tr><th>quantity</th><th>as loaded</th><th>now</th>"
        "<th>difference [95 %], paired</th></tr></thead><tbody>"
    )
    shown, folded = [], []
    for rank, d in enumerate(results.differences):
        flag = "beyond noise" if d.beyond_noise else "noise"
        text = f"{d.diff:+.3f} [{d.low:+.3f}, {d.high:+.3f}] {flag}"
        cls = " class='beyond'" if d.beyond_noise else ""
        row = (
            f"<tr{cls}><td>{escape(d.label)}</td><td>{d.loaded:.3f}</td><td>{d.now:.3f}</td>"
            f"<td>{status(f'Difference: {d.label}', text)}</td></tr>"
        )
        (shown if d.beyond_noise or rank < 2 else folded).append(row)
    html = head + "".join(shown) + "</tbody></table>"
    if folded:
        html += (
            f"<details class='noise'><summary>{len(folded)} more within Monte-Carlo noise</summary>"
            + head
            + "".join(folded)
            + "</tbody></table></details>"
        )
    return html


def whatif_text(whatif: WhatIf | None) -> str:
    """``negsim whatif``'s answer for the draft, as the command prints it: where the draft stands, the verdict (the
    smallest change set, or the proof that none of at most K changes reaches the target), each change with its
    concession or what stays, and the command line that gives the same answer."""
    if whatif is None:
        return ""
    answer = whatif.answer
    rows = ""
    if answer.changes:
        rows = "".join(
            f"<tr><td>{escape(c.text)}</td><td class='num'>{c.concession:.4f}</td></tr>" for c in answer.changes
        )
        head = "<thead><tr><th>change</th><th>concession</th></tr></thead>"
        rows = f"<table class='whatif'>{head}<tbody>{rows}</tbody></table>"
    elif answer.changes is None and answer.what_stays:
        rows = "".join(
            f"<tr><td>{escape(row.name)}</td><td>{escape(row.what)}</td><td class='num'>{row.below:.1%}</td>"
            f"<td class='num'>{f'{row.mean_shortfall:.3f}' if row.mean_shortfall else '-'}</td></tr>"
            for row in answer.what_stays
        )
        rows = (
            "<table class='whatif'><caption>What stays: the veto parties the draft, as it is, leaves short</caption>"
            "<thead><tr><th>veto party</th><th>why it stays short</th><th>in (share of samples)</th>"
            f"<th>mean shortfall</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return (
        "<div class='whatif-answer'><h3>What would it take</h3>"
        f"<p>{status('What would it take: now', answer.now_text())}</p>"
        f"<p>{status('What would it take', answer.verdict())}</p>{rows}"
        f"<p><small>({escape(SMALLEST)}.) {answer.seconds:.1f} s. Same answer: "
        f"{status('What would it take: command', whatif.command, cls='mono')}</small></p></div>"
    )


def results_html(results: Results, whatif: WhatIf | None = None) -> str:
    return (
        headline(results)
        + "<h2>The draft</h2>"
        + completion_table(results, whatif)
        + whatif_text(whatif)
        + blockers(results)
        + party_table(results)
        + bars_svg(results)
        + "<h2>Draft and zone vs the scenario as loaded</h2>"
        + differences(results)
        + zone_section(results)
    )

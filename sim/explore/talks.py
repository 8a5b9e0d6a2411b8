"""Talks: one negotiation of the page's scenario played round by round on the Mesa model (``sim.negotiation``).

The zone says which packages every veto party *could* accept; a negotiation says whether bargainers with
deadlines and concession curves *find* one. One run is drawn with its own seed (``negsim negotiate`` plays many:
the agreement rate over runs is there), and shown as the DataCollector recorded it: each round's proposer and
offer, every party's reply and aspiration, and the outcome. Aspirations are drawn as lines over the rounds (server
SVG), the offer's options listed where they change.
"""

from __future__ import annotations

from html import escape

from sim.negotiation.model import NegotiationModel, NegotiationSetup
from sim.negotiation.protocol import Protocol
from sim.negotiation.result import RoundRecord, TalksOutcome
from sim.negotiation.runs import trace_records
from sim.scenario.model import Scenario
from sim.zone.space import PackageSpace

COLOURS = ("#2f6db5", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b", "#34495e")


def play_one(scenario: Scenario, protocol: Protocol, seed: int) -> tuple[list[RoundRecord], TalksOutcome]:
    """The round-by-round records and the outcome of one negotiation run."""
    model = NegotiationModel(NegotiationSetup.build(scenario), protocol, seed, trace=True)
    try:
        model.run_model()
        return trace_records(model, 0), model.talks_outcome()
    finally:
        model.release()


def aspiration_svg(rows: list[RoundRecord], parties: list[str]) -> str:
    rounds = max((r.round for r in rows), default=1)
    width, height, left = 560, 180, 30
    x = lambda k: left + (width - left - 10) * (k - 1) / max(rounds - 1, 1)  # noqa: E731
    y = lambda u: 10 + (height - 30) * (1 - min(max(u, 0.0), 1.0))  # noqa: E731
    lines, legend = [], []
    for n, party in enumerate(parties):
        points = [
            (r.round, r.aspiration)
            for r in rows
            if r.party == party and r.aspiration == r.aspiration  # not NaN
        ]
        colour = COLOURS[n % len(COLOURS)]
        if points:
            path = " ".join(f"{x(k):.1f},{y(u):.1f}" for k, u in points)
            lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        legend.append(f'<span style="color:{colour}">■</span> {escape(party)}')
    axis = "".join(
        f'<text x="2" y="{y(u) + 4:.1f}">{u:.1f}</text><line x1="{left}" x2="{width}" y1="{y(u):.1f}" y2="{y(u):.1f}" '
        'stroke="#e4e7ec"/>'
        for u in (0, 0.5, 1)
    )
    return (
        f'<svg viewBox="0 0 {width} {height}" class="talks" role="img" aria-label="Aspirations over the rounds">'
        f'{axis}{"".join(lines)}<text x="{left}" y="{height - 4}">round 1</text>'
        f'<text x="{width - 60}" y="{height - 4}">round {rounds}</text></svg><p class="legend">{" ".join(legend)}</p>'
    )


def talks_html(scenario: Scenario, rows: list[RoundRecord], outcome: TalksOutcome, seed: int) -> str:
    space = PackageSpace.from_scenario(scenario)
    parties = list(dict.fromkeys(r.party for r in rows))
    if outcome.agreed:
        options = "; ".join(f"{i}={o}" for i, o in space.describe(outcome.package).items())
        result = f"agreed in round {outcome.round}: {options}"
    else:
        result = f"no agreement by round {outcome.round}"
    if outcome.ratification_failures:
        result += f" ({outcome.ratification_failures} package(s) agreed at the table failed ratification)"
    body, previous = [], {}
    for round_ in sorted({r.round for r in rows}):
        records = [r for r in rows if r.round == round_]
        offer = records[0].offer
        described = space.describe(offer) if offer >= 0 else {}
        changed = {i: o for i, o in described.items() if previous.get(i) != o}
        previous = described or previous
        replies = " ".join(
            f"<span title='aspiration {r.aspiration:.2f}'>{escape(r.party)}: {escape(r.reply)}</span>" for r in records
        )
        what = "; ".join(f"{i}={o}" for i, o in changed.items()) or "same offer"
        body.append(
            f"<tr><td>{round_}</td><td>{escape(records[0].proposer)}</td><td class='mono'>{escape(what)}</td>"
            f"<td class='replies'>{replies}</td></tr>"
        )
    return (
        f"<h2>Talks: one {escape(outcome.protocol)} negotiation (seed {seed})</h2>"
        f"<p>Outcome: <span id='s-talks-outcome' role='status' aria-label='Talks outcome'>{escape(result)}</span>. "
        "One run; the agreement rate over many runs: <code>negsim negotiate</code>.</p>"
        + aspiration_svg(rows, parties)
        + "<details><summary>Round by round (offer: the options that changed; replies)</summary>"
        "<table class='rounds'><thead><tr><th>round</th><th>proposer</th><th>offer</th><th>replies</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></details>"
    )

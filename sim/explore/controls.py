"""The page's frame and controls as HTML: the draft, every party's ranges, red lines and veto, "save as variant".

Every control carries an accessible name that says whose quantity it is ("Russia reservation low", "Ukraine red
line: Donetsk and Luhansk — recognised as Russian: holds", "Draft: Crimea"); those names are also how the tests and
the benchmark find them. Controls are drawn once; the server only ever replaces the results (``sim.explore.results``).
"""

from __future__ import annotations

import json
from html import escape

from sim.explore.settings import Settings
from sim.scenario.model import Scenario

NUMBER_STEP = 0.01


def control_name(*parts: str) -> str:
    """The name a control posts: ``party|quantity|...`` (``|`` never occurs in ids)."""
    return "|".join(parts)


def option_label(scenario: Scenario, ref: str) -> str:
    """'Issue title — option label' for an ``issue.option`` ref."""
    issue_id, _, option_id = ref.partition(".")
    issue = scenario.issue(issue_id)
    option = next(o for o in issue.options if o.id == option_id)
    return f"{issue.title} — {option.label}"


def _range_pair(name: str, label: str, value: float, high: float) -> str:
    """A slider and a typed field for one number (both named ``label``, the field ``..., typed``)."""
    return (
        f'<span class="pair"><input type="range" min="0" max="{high:g}" step="{NUMBER_STEP}" name="{escape(name)}" '
        f'value="{value!r}" aria-label="{escape(label)}">'
        f'<input type="text" inputmode="decimal" size="5" data-for="{escape(name)}" value="{value:g}" '
        f'aria-label="{escape(label)}, typed"></span>'
    )


def party_controls(scenario: Scenario, settings: Settings) -> str:
    rows = []
    for party in scenario.parties:
        mine = settings.parties[party.id]
        name = party.name
        lines = [f'<details class="party"><summary>{escape(name)} <small>{party.role}</small></summary>']
        checked = " checked" if mine.veto else ""
        lines.append(
            f'<label class="row"><input type="checkbox" name="{control_name(party.id, "veto")}"{checked} '
            f'aria-label="{escape(name)} veto"> veto (must accept a package for it to be in the zone)</label>'
        )
        pairs = [
            _range_pair(control_name(party.id, "reservation", end), f"{name} reservation {end}", value, 1)
            for end, value in zip(("low", "high"), mine.reservation, strict=True)
        ]
        lines.append('<table class="ranges"><thead><tr><th></th><th>low</th><th>high</th></tr></thead><tbody>')
        lines.append(f"<tr><th scope='row'>reservation</th><td>{pairs[0]}</td><td>{pairs[1]}</td></tr>")
        for issue_id, bounds in mine.weights.items():
            title = scenario.issue(issue_id).title
            high = max(1.0, bounds[1])
            pairs = [
                _range_pair(
                    control_name(party.id, "weight", issue_id, end), f"{name} weight {title} {end}", value, high
                )
                for end, value in zip(("low", "high"), bounds, strict=True)
            ]
            lines.append(f"<tr><th scope='row'>weight: {escape(title)}</th><td>{pairs[0]}</td><td>{pairs[1]}</td></tr>")
        lines.append("</tbody></table>")
        for ref, holds in mine.red_lines.items():
            label = f"{name} red line: {option_label(scenario, ref)}"
            on = " checked" if holds is not None else ""
            switch = control_name(party.id, "red_line", ref, "on")
            lines.append(
                f'<div class="row red"><label><input type="checkbox" name="{switch}"'
                f'{on} aria-label="{escape(label)}: on"> red line: {escape(option_label(scenario, ref))}</label> holds '
                f"{_range_pair(control_name(party.id, 'red_line', ref, 'holds'), f'{label}: holds', holds or 0.0, 1)}"
                "</div>"
            )
        lines.append("</details>")
        rows.append("\n".join(lines))
    return "\n".join(rows)


def draft_controls(scenario: Scenario) -> str:
    offers = "".join(
        f'<option value="{escape(o.id)}" data-fix="{escape(json.dumps(o.fix))}">{escape(o.label)}</option>'
        for o in scenario.offers
    )
    lines = [
        '<label class="row">Load an offer as the draft <select id="load-offer" aria-label="Load offer as draft">'
        f'<option value="">—</option>{offers}</select></label>',
        '<table class="draft"><tbody>',
    ]
    for issue in scenario.issues:
        options = "".join(f'<option value="{escape(o.id)}">{escape(o.label)}</option>' for o in issue.options)
        lines.append(
            f'<tr><th scope="row">{escape(issue.title)}</th><td><select name="{control_name("draft", issue.id)}" '
            f'aria-label="Draft: {escape(issue.title)}"><option value="">open (any)</option>{options}</select></td>'
            f'<td class="hint" id="hint-{escape(issue.id)}"></td></tr>'
        )
    lines.append("</tbody></table>")
    lines.append(
        '<div class="row"><button type="button" id="clear-draft">Clear the draft</button> '
        '<button type="button" id="complete-draft">Complete my draft</button></div>'
        '<div class="row">What would it take: P(draft in zone) at least '
        '<input type="text" id="whatif-target" size="5" value="0.05" aria-label="What would it take: target P(zone)"> '
        'with at most <input type="text" id="whatif-changes" size="2" value="2" '
        'aria-label="What would it take: at most changes"> changes '
        '<button type="button" id="whatif">What would it take</button> '
        '<button type="button" id="whatif-cancel" aria-label="What would it take: cancel" disabled>Cancel</button> '
        '<span id="whatif-status" role="status" aria-live="polite" aria-label="What would it take: search status">'
        "</span></div>"
    )
    return "\n".join(lines)


def save_controls(default_path: str) -> str:
    return (
        '<div class="row"><label>File <input type="text" id="variant-path" size="40" '
        f'value="{escape(default_path)}" aria-label="Variant file"></label></div>'
        '<div class="row"><label>Why (stated in the file) <input type="text" id="variant-why" size="50" '
        'aria-label="Variant why" placeholder="e.g. Russia needs less once sanctions bite"></label></div>'
        '<div class="row"><button type="button" id="save-variant">Save as variant</button></div>'
        '<pre id="save-result" role="status" aria-label="Saved variant"></pre>'
    )


STYLE_AND_SCRIPT = '<link rel="stylesheet" href="/static/explore.css"><script src="/static/explore.js" defer></script>'


def page(scenario: Scenario, settings: Settings, samples: int, seed: int, results: str, default_path: str) -> str:
    """The whole page: frame, controls, and the first results."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>negsim explore — {escape(scenario.title)}</title>
{STYLE_AND_SCRIPT}</head>
<body>
<header><h1>negsim explore — {escape(scenario.title)}</h1>
<p>{samples:,} Monte-Carlo samples, seed {seed}; every probability with its 95 % interval.
<span id="busy" aria-hidden="true"></span></p>
<div id="message" role="alert" aria-label="Message"></div></header>
<main>
<section id="draft-panel" aria-label="Draft"><h2>Draft</h2>{draft_controls(scenario)}</section>
<section id="results" aria-label="Results">{results}</section>
<section id="talks-panel" aria-label="Talks"><h2>Talks</h2>
<div class="row">Play one negotiation of the scenario as it is now:
<select id="talks-protocol" aria-label="Talks protocol"><option value="mediated">mediated</option>
<option value="alternating">alternating offers</option></select>
seed <input type="text" id="talks-seed" size="6" value="{seed}" aria-label="Talks seed">
<button type="button" id="talks-play">Play one negotiation</button></div>
<div id="talks"></div></section>
<section id="parties-panel" aria-label="Parties"><h2>Parties</h2>
<p class="note">Ranges are uniform uncertainty; a red line holds in that share of samples.
<button type="button" id="reset">Reset to the scenario as loaded</button></p>
{party_controls(scenario, settings)}
<h2>Save as variant</h2>{save_controls(default_path)}</section>
</main></body></html>"""

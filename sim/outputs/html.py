"""The shell of every negsim HTML page: one self-contained file (styles inline, images as base64 data URIs).

A report is mailed, attached to tickets and opened from a download folder, so it must not depend on files next
to it: every image is embedded (RFC 2397 ``data:`` URIs), there is no script and no external stylesheet. Pages
built here share one look, one way to print a probability with its interval, and one glossary, so a reader who
learned one negsim page can read the others.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.zone.blocker import DEFINITION as BLOCKER_DEFINITION
from sim.zone.intervals import METHOD

GLOSSARY: dict[str, str] = {
    "zone": "the packages that every veto party (negotiators, guarantors, ratifiers) would accept in one sample "
    "of the parties' uncertain preferences: utility at least its reservation and none of its red lines.",
    "P(zone non-empty)": "share of samples in which at least one package is in the zone.",
    "zone mass": "expected number of packages in the zone: the sum over packages of each one's zone probability.",
    "completion": "a full package that agrees with an offer on the issues the offer fixes; "
    "P(completion in zone) is the share of samples in which some completion of the offer is in the zone.",
    "marginal": "for one option, the share of samples in which some package holding it is in the zone.",
    "blocker": BLOCKER_DEFINITION.removeprefix("Blocker: "),
    "ratifier": "a veto player not at the table (a parliament, a referendum) that only votes on the final package.",
    "interval": f"95 % Monte-Carlo interval of a probability ({METHOD}); it shrinks as samples grow.",
    "beyond noise": "a difference whose 95 % interval excludes 0; runs with the same seed and sample count are "
    "compared sample by sample (paired), which removes most Monte-Carlo noise.",
}

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1180px;margin:1.5em auto;padding:0 1em;
color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;
vertical-align:top}th{background:#f3f3f3;text-align:left}td.num{text-align:right;white-space:nowrap}
tr.flag td{background:#fff4d6}td.nowrap{white-space:nowrap}td:first-child{min-width:14em}
details{margin:.4em 0}figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#444;max-width:900px}code{background:#f3f3f3;padding:0 3px;font-size:12px;
word-break:break-all}.meta{color:#555;font-size:13px}dl.glossary dt{font-weight:600}
dl.glossary dd{margin:0 0 .5em 1.2em;font-size:14px}.scroll{overflow-x:auto}
.warning{background:#fff3cd;padding:8px}td.num:first-child{min-width:0}
"""


@dataclass(frozen=True)
class Raw:
    """A table cell or fragment that is already HTML (escaped by whoever built it)."""

    html: str


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 3) -> str:
    """Numbers as people read them: floats to ``digits`` places, NaN as n/a, None as empty."""
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.{digits}f}"
    return "" if value is None else str(value)


def with_interval(p: float, low: float | None, high: float | None) -> str:
    """``0.412 [0.391, 0.433]``: a probability and its 95 % interval, as every page prints it."""
    if low is None or high is None or low != low:
        return fmt(p)
    return f"{fmt(p)} [{fmt(low)}, {fmt(high)}]"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, flagged: Sequence[bool] = (), nowrap: bool = False
) -> str:
    """An HTML table; numbers right-aligned, text escaped, rows marked ``flagged`` highlighted.

    ``nowrap`` keeps every cell after the first on one line (estimates with their intervals read badly broken).
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            keep = ' class="nowrap"' if nowrap and c > 0 else ""
            if isinstance(value, Raw):
                cells.append(f"<td>{value.html}</td>")
            elif isinstance(value, int | float):
                cells.append(f'<td class="num">{esc(fmt(value))}</td>')
            else:
                cells.append(f"<td{keep}>{esc(fmt(value))}</td>")
        mark = ' class="flag"' if r < len(flagged) and flagged[r] else ""
        body.append(f"<tr{mark}>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def data_uri(png: bytes | Path) -> str:
    data = png.read_bytes() if isinstance(png, Path) else png
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure(png: bytes | Path, alt: str, caption: str) -> str:
    """An embedded image with a caption that says what to read from it."""
    return (
        f'<figure><img src="{data_uri(png)}" alt="{esc(alt)}">'
        f"<figcaption><b>{esc(alt)}.</b> {esc(caption)}</figcaption></figure>"
    )


def glossary(terms: Iterable[str] | None = None) -> str:
    chosen = GLOSSARY if terms is None else {t: GLOSSARY[t] for t in terms}
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in chosen.items())
    return f'<h2 id="glossary">Glossary</h2><dl class="glossary">{items}</dl>'


def page(title: str, body: str, *, meta: str = "", with_glossary: bool = True) -> str:
    """The whole document: ``body`` is HTML built with the helpers above."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        + (f'<p class="meta">{meta}</p>' if meta else "")
        + body
        + (glossary() if with_glossary else "")
        + "</body></html>\n"
    )

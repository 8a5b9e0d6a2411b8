"""``negsim robustness``: the headline under every named judgement call's alternatives, and the range they span.

A scenario's headline — the share of samples in which some package is agreed at the table, and in which one also
survives the ratifiers — rests on choices no source settles. The scenario names them in ``judgement_calls:``
(:mod:`sim.scenario.judgement`), each alternative as the ``--set``/``--unset`` edits that make it. This study
loads every alternative (a bad edit is a one-line error before anything is computed), scores each with the
scenario's seed (common random numbers: every alternative sees the same draws, so a difference from the default
is the alternative's effect, with a paired interval) and reports, beside each, the best published (sponsored) offer. The
range spanned by the alternatives is what a reader may quote; a statement true at the default but not across
that range is a consequence of a judgement call, and the report says which (issue 20).
"""

from __future__ import annotations

import csv
import io
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.executors import Executor, collect_tasks
from sim.outputs.html import Raw, esc, figure, page, table
from sim.outputs.plots import save_figure
from sim.outputs.rundir import atomic_write_text
from sim.scenario.edits import Edit, Unset
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.studies.compare import difference_interval
from sim.studies.plots import plot_robustness
from sim.zone.intervals import proportion_interval
from sim.zone.scoring import compute_zone

DEFAULT = "default"


@dataclass(frozen=True)
class Estimate:
    """A share of samples with its 95 % Monte-Carlo interval."""

    p: float
    low: float
    high: float

    @classmethod
    def of(cls, bits: np.ndarray) -> Estimate:
        count, n = int(bits.sum()), int(bits.size)
        low, high = proportion_interval(count, n)
        return cls(count / n, float(low), float(high))

    def text(self) -> str:
        return f"{self.p:.1%} [{self.low:.1%}, {self.high:.1%}]"


@dataclass(frozen=True)
class Headline:
    """What the headline says under one set of choices, with the per-sample bits the paired differences need."""

    table_bits: np.ndarray
    zone_bits: np.ndarray
    best_offer: str
    best_offer_bits: np.ndarray

    @property
    def table(self) -> Estimate:
        return Estimate.of(self.table_bits)

    @property
    def ratified(self) -> Estimate:
        return Estimate.of(self.zone_bits)

    @property
    def best(self) -> Estimate:
        return Estimate.of(self.best_offer_bits)


@dataclass(frozen=True)
class Case:
    """One row: the default, or one alternative of one judgement call."""

    call: str
    alternative: str
    label: str
    edits: list[str]
    scenario: Scenario = field(repr=False)


@dataclass(frozen=True)
class Row:
    case: Case
    headline: Headline
    ratified_change: tuple[float, float, float]  # paired difference to the default: (d, low, high)
    table_change: tuple[float, float, float]


@dataclass(frozen=True)
class Robustness:
    scenario: Scenario
    samples: int
    seed: int
    rows: list[Row]

    @property
    def default(self) -> Row:
        return self.rows[0]

    def span(self, measure: str) -> tuple[float, float]:
        """The smallest and largest point estimate of ``table`` or ``ratified`` over the default and every
        alternative."""
        values = [getattr(row.headline, measure).p for row in self.rows]
        return min(values), max(values)


def _edits(alternative: Any) -> list[Edit]:
    return [*(Unset(path) for path in alternative.unset), *alternative.set]


def load_cases(path: Path, base_edits: list[Edit] | None = None) -> list[Case]:
    """The scenario as given, then one scenario per alternative of every judgement call (edits on top of
    ``base_edits``). A bad edit raises the loader's ScenarioError naming it, before anything is scored."""
    base_edits = list(base_edits or [])
    scenario = load_scenario(path, base_edits)
    cases = [Case(DEFAULT, DEFAULT, "as the scenario states it", [], scenario)]
    for call in scenario.judgement_calls:
        for alternative in call.alternatives:
            edited = load_scenario(path, [*base_edits, *_edits(alternative)])
            cases.append(Case(call.id, alternative.id, alternative.label, alternative.edits, edited))
    return cases


def _published(scenario: Scenario) -> list[str]:
    """Offers someone proposed (a sponsor): calibration packages and analysts' constructs have none."""
    return [offer.id for offer in scenario.offers if offer.sponsor]


def _bits(words: np.ndarray, samples: int) -> np.ndarray:
    return np.unpackbits(words)[:samples].astype(bool)


def headline(scenario: Scenario, samples: int, seed: int, workers: int = 1) -> Headline:
    """Score the whole space once; the space target's bits at the table and after ratification, and the published
    offer most often completed in the zone (ties: the first in the file)."""
    zone = compute_zone(scenario, samples, seed, workers=workers, with_options=False)
    scores = zone.targets
    index = {target.name: t for t, target in enumerate(scores.targets) if target.kind == "offer"}
    space = next(t for t, target in enumerate(scores.targets) if target.kind == "space")
    published = [name for name in _published(scenario) if name in index]
    counts = [int(scores.zone_hit_count[index[name]]) for name in published]
    best = published[int(np.argmax(counts))] if published else ""
    best_bits = _bits(scores.hits[index[best]], samples) if best else np.zeros(samples, dtype=bool)
    return Headline(_bits(scores.table_hits[space], samples), _bits(scores.hits[space], samples), best, best_bits)


def _score(task: tuple[Scenario, int, int, int]) -> Headline:
    return headline(*task)


def run_robustness(
    cases: list[Case],
    samples: int,
    seed: int,
    executor: Executor = Executor.local,
    workers: int = 2,
    address: str | None = None,
    progress: Any = None,
) -> Robustness:
    """Every case scored with the same seed; rows in case order, the default first."""
    threads = workers if executor is Executor.local else 1
    tasks = [(case.scenario, samples, seed, threads) for case in cases]
    headlines = collect_tasks(_score, tasks, executor, workers, address, progress)
    base = headlines[0]
    rows = [
        Row(
            case,
            result,
            difference_interval(base.zone_bits, result.zone_bits),
            difference_interval(base.table_bits, result.table_bits),
        )
        for case, result in zip(cases, headlines, strict=True)
    ]
    return Robustness(cases[0].scenario, samples, seed, rows)


def table_rows(result: Robustness) -> list[dict[str, Any]]:
    """One flat row per case (robustness.csv)."""
    rows = []
    for row in result.rows:
        h = row.headline
        rows.append(
            {
                "call": row.case.call,
                "alternative": row.case.alternative,
                "label": row.case.label,
                "edits": " ".join(row.case.edits),
                "p_table": h.table.p,
                "p_table_lo": h.table.low,
                "p_table_hi": h.table.high,
                "p_ratified": h.ratified.p,
                "p_ratified_lo": h.ratified.low,
                "p_ratified_hi": h.ratified.high,
                "ratified_change": row.ratified_change[0],
                "ratified_change_lo": row.ratified_change[1],
                "ratified_change_hi": row.ratified_change[2],
                "best_offer": h.best_offer,
                "best_offer_p": h.best.p,
                "best_offer_lo": h.best.low,
                "best_offer_hi": h.best.high,
            }
        )
    return rows


def csv_text(result: Robustness) -> str:
    rows = table_rows(result)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _change(change: tuple[float, float, float]) -> str:
    d, low, high = change
    mark = "" if low <= 0 <= high else " *"
    return f"{d:+.1%} [{low:+.1%}, {high:+.1%}]{mark}"


def _best(row: dict[str, Any]) -> str:
    """The best published offer's cell: 'none' when no published offer is ever completed in the zone."""
    if not row["best_offer"] or float(row["best_offer_p"]) == 0:
        return f"none (every published offer 0, below {float(row['best_offer_hi']):.1%})"
    p, low, high = (float(row[k]) for k in ("best_offer_p", "best_offer_lo", "best_offer_hi"))
    return f"`{row['best_offer']}` {p:.1%} [{low:.1%}, {high:.1%}]"


def robustness_markdown(result: Robustness, command: str) -> str:
    """The judgement-call table as Markdown (docs/robustness.md): one row per alternative, the span last."""
    return markdown_from_rows(result.scenario, table_rows(result), result.samples, result.seed, command)


def markdown_from_rows(scenario: Scenario, rows: list[dict[str, Any]], samples: int, seed: int, command: str) -> str:
    """As :func:`robustness_markdown`, from robustness.csv's rows (the same numbers, read back)."""
    lines = [
        f"# Robustness of the headline to the judgement calls ({scenario.id})",
        "",
        f"<!-- negsim robustness: scenario={scenario.id} hash={scenario.content_hash()} samples={samples} "
        f"seed={seed} -->",
        f"Generated by `{command}`; do not edit by hand.",
        "",
        f"Monte-Carlo samples: {samples:,} (seed {seed}), the same draws for every row, so a change "
        "from the default is the alternative's own effect; intervals are 95 % (Wilson score, Clopper-Pearson at 0 "
        "and n; changes: paired). *At the table*: some package every veto party at the table accepts; *ratified*: "
        "one that also survives every ratifier. A change marked * is beyond Monte-Carlo noise. *Best published "
        "offer*: the offer with a sponsor (a published plan) most often completed in the zone.",
        "",
        "| judgement call | alternative | edits | at the table | ratified | change (ratified) | best published offer |",
        "|---|---|---|---|---|---|---|",
    ]

    def estimate(row: dict[str, Any], key: str) -> str:
        return f"{float(row[key]):.1%} [{float(row[key + '_lo']):.1%}, {float(row[key + '_hi']):.1%}]"

    for row in rows:
        call = "**default**" if row["call"] == DEFAULT else f"`{row['call']}`"
        edits = "<br>".join(_edit_texts(row["edits"])) or "—"
        change = (
            "—"
            if row["call"] == DEFAULT
            else _change(tuple(float(row[k]) for k in ("ratified_change", "ratified_change_lo", "ratified_change_hi")))
        )
        lines.append(
            f"| {call} | {row['label']} | {edits} | {estimate(row, 'p_table')} | {estimate(row, 'p_ratified')} | "
            f"{change} | {_best(row)} |"
        )
    tables = [float(r["p_table"]) for r in rows]
    ratified = [float(r["p_ratified"]) for r in rows]
    lines += [
        "",
        f"**Range over the default and every alternative:** at the table {min(tables):.1%}–{max(tables):.1%}; "
        f"ratified {min(ratified):.1%}–{max(ratified):.1%}.",
        "",
        "## The judgement calls",
        "",
    ]
    for call in scenario.judgement_calls:
        lines += [f"- **`{call.id}`** — {call.what} Default: {call.default}. Why no source settles it: {call.why}"]
    return "\n".join(lines) + "\n"


def _edit_texts(edits: str) -> list[str]:
    """``--unset X --set 'Y=Z'`` back into one code span per edit."""
    words = shlex.split(edits)
    return [
        f"`{flag} '{value}'`" if flag == "--set" else f"`{flag} {value}`"
        for flag, value in zip(words[::2], words[1::2], strict=True)
    ]


def robustness_page(result: Robustness, png: Path, command: str) -> str:
    """A self-contained HTML page: the figure, then the table with every alternative's edits (rows whose change
    is beyond Monte-Carlo noise highlighted)."""
    rows = [
        [
            "default" if row.case.call == DEFAULT else row.case.call,
            row.case.label,
            Raw("<br>".join(f"<code>{esc(e)}</code>" for e in row.case.edits) or "—"),
            row.headline.table.text(),
            row.headline.ratified.text(),
            "—" if row.case.call == DEFAULT else _change(row.ratified_change),
            _best(flat).strip("`").replace("` ", " "),
        ]
        for row, flat in zip(result.rows, table_rows(result), strict=True)
    ]
    beyond = [
        row.case.call != DEFAULT and not (row.ratified_change[1] <= 0 <= row.ratified_change[2]) for row in result.rows
    ]
    low_r, high_r = result.span("ratified")
    body = (
        f"<p><code>{esc(command)}</code> — {result.samples:,} samples, seed {result.seed}, the same draws for every "
        f"row (changes are paired; highlighted rows and * are beyond Monte-Carlo noise). Ratified share across the "
        f"alternatives: {low_r:.1%}–{high_r:.1%}.</p>"
        + figure(
            png,
            "robustness forest plot",
            "Each named judgement call's alternatives: the share of samples "
            "with a package agreed at the table and one that survives ratification, with 95 % intervals; "
            "dashed lines are the scenario as stated, the shaded band the span of the ratified share.",
        )
        + table(
            [
                "judgement call",
                "alternative",
                "edits",
                "at the table",
                "ratified",
                "change (ratified)",
                "best published offer",
            ],
            rows,
            flagged=beyond,
        )
    )
    return page(f"Robustness: {result.scenario.title}", body)


def write_robustness(result: Robustness, run_dir: Path, command: str, markdown: Path | None = None) -> None:
    """robustness.csv, robustness.png, report.html in ``run_dir`` (and the Markdown table if asked)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "robustness.csv", csv_text(result))
    title = (
        f"{result.scenario.title}: headline under each judgement call ({result.samples:,} samples, seed {result.seed})"
    )
    save_figure(plot_robustness(table_rows(result), title), run_dir / "robustness.png")
    atomic_write_text(run_dir / "report.html", robustness_page(result, run_dir / "robustness.png", command))
    if markdown is not None:
        atomic_write_text(markdown, robustness_markdown(result, command))

"""What ``negsim compare`` leaves: ``compare.csv`` (long table), overlaid plots and one self-contained page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.outputs.html import Raw, esc, figure, page, table, with_interval
from sim.outputs.plots import save_figure
from sim.outputs.rundir import atomic_write_text, finish_manifest, start_manifest
from sim.outputs.tables import write_csv
from sim.studies.compare import (
    Cell,
    cells_as_rows,
    compare_runs,
    completion_changes,
    quantity_rows,
    scenario_differences,
    zone_mass_rows,
)
from sim.studies.plots import compare_dataset, plot_compare_marginals, plot_runs_heatmap
from sim.studies.rundata import RunData

PLOTS = {
    "marginals": "compare_marginals.png",
    "offers": "compare_offers.png",
}


def compare_into(runs: list[RunData], out_dir: Path, force: bool = False) -> list[Cell]:
    """The comparison directory ``out_dir``, locked and recorded like every run directory (two comparisons into one
    ``--out`` are serialised, not interleaved): :func:`write_comparison`, then the manifest says complete."""
    manifest = start_manifest(out_dir, None, "compare", {"runs": [str(run.path) for run in runs]}, None, force)
    cells = write_comparison(runs, out_dir)
    finish_manifest(out_dir, manifest, {"runs": [run.name for run in runs]})
    return cells


def write_comparison(runs: list[RunData], out_dir: Path) -> list[Cell]:
    """Compare ``runs`` (the first is the reference) into ``out_dir``: CSV, plots, ``compare.html``."""
    cells = compare_runs(runs)
    write_csv(out_dir / "compare.csv", cells_as_rows(cells))
    names = " vs ".join(run.name for run in runs)
    save_figure(
        plot_compare_marginals(*compare_dataset(cells, "option"), f"Zone probability by option: {names}"),
        out_dir / "plots" / PLOTS["marginals"],
    )
    save_figure(
        plot_runs_heatmap(*_zone_and_offers(cells), title=f"P(zone non-empty) and offers: {names}", what="probability"),
        out_dir / "plots" / PLOTS["offers"],
    )
    atomic_write_text(out_dir / "compare.html", render_comparison(runs, cells, out_dir))
    return cells


def _zone_and_offers(cells: list[Cell]) -> tuple[list[str], list[str], np.ndarray]:
    """Rows of the offers x runs heatmap: P(zone non-empty) first, then each offer's P(completion in zone)."""
    zone = compare_dataset(cells, "zone")
    offer = compare_dataset(cells, "offer")
    return zone[0] + offer[0], offer[1], np.concatenate([zone[2], offer[2]])


def comparison_table(runs: list[RunData], cells: list[Cell], kinds: tuple[str, ...]) -> tuple[str, int]:
    """A row per quantity, a column per run (estimate [interval]) and per difference from the first run.

    Rows with a difference beyond noise come first, highlighted; the others fold into a ``<details>`` list.
    """
    headers = ["quantity", *(run.name for run in runs), *(f"{run.name} − {runs[0].name}" for run in runs[1:])]
    changed, unchanged = [], []
    for quantity in quantity_rows(cells, kinds):
        per_run = quantity.cells
        estimates = [with_interval(c.p, c.low, c.high) if (c := per_run.get(run.name)) else "absent" for run in runs]
        differences = []
        for run in runs[1:]:
            c = per_run.get(run.name)
            if c is None or c.diff != c.diff:
                differences.append("n/a")
                continue
            mark = " ◆ beyond noise" if c.beyond_noise else ""
            differences.append(f"{_signed(c.diff)} [{_signed(c.diff_low)}, {_signed(c.diff_high)}]{mark}")
        row = [quantity.label, *estimates, *differences]
        (changed if quantity.beyond_noise else unchanged).append(row)
    if len(runs) == 1 or kinds == ("zone", "offer"):
        rows = changed + unchanged
        return table(headers, rows, flagged=[True] * len(changed), nowrap=True), len(changed)
    parts = [table(headers, changed, flagged=[True] * len(changed), nowrap=True)] if changed else []
    if unchanged:
        parts.append(
            f"<details><summary>{len(unchanged)} more within Monte-Carlo noise</summary>"
            f"{table(headers, unchanged, nowrap=True)}</details>"
        )
    return "".join(parts), len(changed)


def _signed(value: float) -> str:
    """``+0.012``; a difference that rounds to zero prints as ``0.000`` (never ``-0.000``)."""
    return "0.000" if abs(value) < 0.0005 else f"{value:+.3f}"


def _change(path: str, first: str, other: str) -> str:
    """For lists (red lines, ranges of ids): what was added and removed; empty for plain values."""

    try:
        a, b = json.loads(first), json.loads(other)
    except ValueError:
        return ""
    if not (isinstance(a, list) and isinstance(b, list)) or not all(isinstance(x, str) for x in [*a, *b]):
        return ""
    added = [x for x in b if x not in a]
    removed = [x for x in a if x not in b]
    return "; ".join([*(f"+ {x}" for x in added), *(f"− {x}" for x in removed)])


def render_comparison(runs: list[RunData], cells: list[Cell], out_dir: Path) -> str:
    runs_table = table(
        ["run", "scenario", "seed", "samples", "directory", "command"],
        [
            [
                run.name,
                run.scenario.title,
                run.seed,
                run.samples,
                str(run.path),
                Raw(f"<code>{esc(run.command)}</code>"),
            ]
            for run in runs
        ],
    )
    differences = []
    for run in runs[1:]:
        diff = scenario_differences(runs[0], run)
        body = (
            table(["setting (as --set spells it)", runs[0].name, run.name, "change"], [(*d, _change(*d)) for d in diff])
            if diff
            else "<p>The scenarios and settings are identical.</p>"
        )
        differences.append(f"<h3>{esc(run.name)} vs {esc(runs[0].name)}</h3>{body}")
    paired = all(run.samples == runs[0].samples for run in runs)
    same_seed = all(run.seed == runs[0].seed for run in runs)
    method = (
        "Runs share their sample count"
        + (" and seed (common random numbers)" if same_seed else "")
        + ", so differences are paired sample by sample."
        if paired
        else "Sample counts differ, so differences are compared as independent estimates (wider intervals)."
    )
    sections = [f"<h2>Runs</h2>{runs_table}", "<h2>What differs between the scenarios</h2>", *differences]
    mass = table(
        ["run", "zone mass (expected packages in the zone)"], [[r["run"], r["zone_mass"]] for r in zone_mass_rows(runs)]
    )
    sections.append(
        f"<h2>Results side by side</h2><p>Each cell: estimate [95 % interval]. The difference columns give the "
        f"change from <b>{esc(runs[0].name)}</b> with its 95 % interval; rows where a difference is beyond "
        f"Monte-Carlo noise are highlighted. {esc(method)}</p>"
    )
    for title, kinds in (
        ("Zone and offers", ("zone", "offer")),
        (
            "Each party's acceptance of each offer's completion (the first run's package, re-scored in every run)",
            ("acceptance",),
        ),
        ("Option marginals", ("option",)),
    ):
        html_table, flagged = comparison_table(runs, cells, kinds)
        sections.append(f"<h3>{esc(title)} ({flagged} beyond noise)</h3>{html_table}")
        if kinds == ("zone", "offer"):
            sections.append(
                "<p>Zone mass is an expected count, not a probability; it is shown without an interval.</p>" + mass
            )
    moved = completion_changes(runs)
    if moved:
        rows = [
            [f"{c.label} ({c.offer})", c.run, "; ".join(f"{issue}: {a} → {b}" for issue, a, b in c.changed)]
            for c in moved
        ]
        sections.append(
            "<h3>Best completions that changed</h3><p>In these runs the offer's best (or closest) completion is a "
            "different package from the first run's. That is a different pick, not a change of acceptance: the "
            "acceptance rows above measure the first run's package in every run.</p>"
            + table(["offer", "run", "what differs from the first run's completion"], rows)
        )
    sections.append("<h2>Plots</h2>")
    sections.append(
        figure(
            out_dir / "plots" / PLOTS["offers"],
            "Offers x runs",
            "Each cell is the share of samples in which some completion of the offer is in the zone, with its "
            "95 % interval; the first row is P(zone non-empty). Read across a row to see how a change moved one "
            "offer; a star marks a change beyond Monte-Carlo noise.",
        )
    )
    sections.append(
        figure(
            out_dir / "plots" / PLOTS["marginals"],
            "Option marginals of every run",
            "Each dot is one run's probability that some package holding the option is in the zone, with its 95 % "
            "interval; circled dots differ from the first run beyond noise. Options whose dots separate are the "
            "ones the change opened or closed.",
        )
    )
    title = "negsim compare: " + " vs ".join(run.name for run in runs)
    return page(title, "".join(sections), meta=f"{len(runs)} runs; first run is the reference.")

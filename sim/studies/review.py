"""``negsim report``: one self-contained page to review runs, sweeps and batches together.

The page leads with the scenarios x quantities table (P(zone non-empty), zone mass, each offer's P(completion),
with 95 % intervals), then gives each scenario its plots, each with a caption that says what to read from it,
and the command that made the run; a sweep gets its table and curves or heatmaps. Labels, not ids, name things;
ids appear once per scenario so a reader can find the file. Other run kinds (sensitivity, negotiate) are shown
with their command and plots, so any negsim directory can go into one review.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sim import __version__
from sim.outputs.answer_page import talks_brief, whatif_brief
from sim.outputs.figure_choice import KEY_FIGURES
from sim.outputs.html import esc, figure, page, table, with_interval
from sim.outputs.owned import embeddable, refuse_links
from sim.outputs.ranked_page import answer_brief
from sim.outputs.report import ZONE_PLOTS
from sim.outputs.rundir import RunDirError, atomic_write_text, read_json
from sim.outputs.runmanifest import RunManifest
from sim.outputs.zoneload import load_analysis
from sim.scenario.yamlfast import plain_yaml
from sim.studies.batch import BATCH_FILE
from sim.studies.compare import scenario_differences
from sim.studies.rundata import RunData
from sim.zone.estimate import share_text
from sim.zone.intervals import proportion_interval

CAPTIONS = {
    **ZONE_PLOTS,  # one caption per plot: the single-run report's own
    "sweep_curves.png": "How P(zone non-empty) and each offer's P(completion in zone) change as the swept value "
    "moves; bands are 95 % intervals. Every point uses the same samples, so the shape is the value's effect.",
    "talks_vs_zone.png": "Left: share of runs whose own preference sample had a zone, that reached an agreement, and "
    "that failed although a zone existed (95 % intervals). Right: share of runs agreed by each round.",
    "agreement_frequency.png": "The packages the simulated negotiations agreed on most often, as a share of runs; "
    "one tall bar means the talks converge on one package whatever the sampled preferences.",
    "rounds_histogram.png": "How many rounds the simulated negotiations took to reach agreement.",
    "aspiration_paths.png": "Each party's aspiration (the utility it still demands) round by round in traced runs; "
    "agreement becomes possible where every veto party's aspiration has fallen to what one package gives it.",
    "agreements_vs_zone.png": "For the most frequent agreements: how often the talks reached each one against its "
    "zone probability; agreements far from the diagonal are where bargaining, not acceptability, decides.",
    "tornado.png": "Change in the ranked measure (its axis says which) when each weight or reservation goes to the "
    "ends of its range, or a red line is dropped; the longest bars are the assumptions the result depends on most.",
}
GENERIC_CAPTION = "A plot of this run; see the run directory for its table."
# On a page over several runs, the first run shows every figure and the others these (the answer's two figures):
# ten scenarios' full sets made a 32 MB page; the rest are linked beside them.


def _ordered_plots(directory: Path) -> list[Path]:
    """The plots in the order a reader needs them (the captions' order), then any others by name."""
    known = [directory / name for name in CAPTIONS if (directory / name).is_file()]
    return [p for p in known + sorted(p for p in directory.glob("*.png") if p not in known) if embeddable(p)]


def _link(png: Path, page_dir: Path | None) -> str:
    """A link to a figure file: relative to the page where the page sits beside the runs, else absolute."""
    if page_dir is not None:
        try:
            return png.resolve().relative_to(page_dir.resolve()).as_posix()
        except ValueError:
            pass
    return png.resolve().as_uri()


def _kind(directory: Path) -> str:
    if (directory / BATCH_FILE).is_file():
        return "batch"
    return str(RunManifest.read(directory).kind)


def _interval(p: float, samples: int) -> str:
    low, high = proportion_interval(round(p * samples), samples)
    return with_interval(p, float(low), float(high))


def write_review(directories: list[Path], out_path: Path) -> None:
    """Read every directory and write the review page to ``out_path``."""
    runs: list[RunData] = []
    sweeps: list[Path] = []
    others: list[Path] = []
    for directory in directories:
        refuse_links(directory)
        kind = _kind(directory)
        if kind == "batch":
            record = read_json(directory / BATCH_FILE)
            runs += [RunData(directory / run["key"], name=run["key"]) for run in record["runs"]]
        elif kind == "zone":
            runs.append(RunData(directory))
        elif kind == "sweep":
            sweeps.append(directory)
        else:
            others.append(directory)
    names = [run.name for run in runs]
    for run in runs:
        if names.count(run.name) > 1:
            run.name = f"{run.name} ({run.path.parent.name}/{run.path.name})"
    contents = [(f"run-{run.name}", f"{run.scenario.title} ({run.name})") for run in runs]
    contents += [(f"sweep-{d.name}", f"Sweep {d.name}") for d in sweeps]
    sections = []
    if len(contents) > 1:
        links = "".join(f'<li><a href="#{esc(anchor)}">{esc(text)}</a></li>' for anchor, text in contents)
        sections.append(f"<ul>{links}</ul>")
    if runs:
        sections.append(overview(runs))
        sections += [run_section(run, every_figure=k == 0, page_dir=out_path.parent) for k, run in enumerate(runs)]
    sections += [sweep_section(directory) for directory in sweeps]
    sections += [other_section(directory) for directory in others]
    if not sections:
        raise RunDirError("nothing to report")
    meta = (
        f"Made {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by negsim {esc(__version__)} from "
        + ", ".join(f"<code>{esc(d)}</code>" for d in directories)
        + ". Every probability is followed by its 95 % interval in brackets."
    )
    title = "negsim report"
    if len(directories) == 1 and not runs:
        kind = "sweep" if sweeps else str(RunManifest.read(directories[0]).kind)
        title += f": {kind} of {_scenario_title(directories[0], directories[0].name)}"
    elif len(runs) == 1 and not sweeps and not others:
        title += f": {runs[0].scenario.title}"
    atomic_write_text(out_path, page(title, "".join(sections), meta=meta))


def overview(runs: list[RunData]) -> str:
    """Scenarios x quantities: P(zone non-empty), zone mass and each offer's P(completion in zone)."""
    offers: dict[str, str] = {}
    for run in runs:
        offers.update({offer.id: offer.label for offer in run.scenario.offers if offer.id not in offers})
    rows: list[list[Any]] = [
        ["P(zone non-empty)", *(_interval(run.summary.p_nonempty.p, run.samples) for run in runs)],
        ["zone mass (expected packages in the zone)", *(f"{run.summary.zone_mass:.2f}" for run in runs)],
    ]
    for offer_id, label in offers.items():
        cells = [
            _interval(run.summary.offers[offer_id].p_complete.p, run.samples)
            if offer_id in run.summary.offers
            else "not in this scenario"
            for run in runs
        ]
        rows.append([f"offer: {label}", *cells])
    scenarios = table(
        ["scenario", "title", "parties (veto)", "samples", "seed"],
        [
            [
                run.name,
                run.scenario.title,
                ", ".join(p.name + ("" if p.has_veto else " (no veto)") for p in run.scenario.parties),
                run.samples,
                run.seed,
            ]
            for run in runs
        ],
    )
    notes = "".join(f"<p class=note>{esc(note)}</p>" for note in same_zone_notes(runs))
    return (
        "<h2>Scenarios side by side</h2>"
        + scenarios
        + notes
        + "<p>Each offer row: the share of samples in which some completion of the offer is in the zone.</p>"
        + table(["quantity", *(breakable(run.name) for run in runs)], rows)
    )


def breakable(name: str) -> str:
    """A scenario key that may wrap after its underscores (zero-width spaces): ten keys side by side then fit a
    1,400 px window without a horizontal scroll (issue 21)."""
    return name.replace("_", "_\u200b")


NEGOTIATION_ONLY = ("strategy", "pressure", "reservation_drift", "leverage", "power")


def same_zone_notes(runs: list[RunData]) -> list[str]:
    """A run whose zone equals an earlier run's (same samples and seed, different scenario) says so, and names where
    its changes act: a variant that only edits negotiation settings moves nothing in the zone. Equal tables are said
    as such; an equal headline (P(zone non-empty), zone mass, every offer's P(completion)) with other tables means the
    changes moved no package in or out of the zone, only expected utilities (so the order of equally likely
    packages)."""
    notes = []
    for k, run in enumerate(runs):
        twin = next((other for other in runs[:k] if _same_headline(other, run)), None)
        if twin is None:
            continue
        changed = [path for path, _, _ in scenario_differences(twin, run) if not _metadata(path)]
        if not changed:
            continue
        only_talks = all(any(word in path.split(".") or path == word for word in NEGOTIATION_ONLY) for path in changed)
        where = (
            "they act only in `negsim negotiate` (strategies, pressure, drift, power)"
            if only_talks
            else "they change nothing the zone sees in these samples"
        )
        shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
        if _same_tables(twin, run):
            notes.append(f"{run.name}: its zone tables equal {twin.name}'s exactly; its changes ({shown}) — {where}.")
        else:
            notes.append(
                f"{run.name}: P(zone non-empty), zone mass and every offer's P(completion) equal {twin.name}'s "
                f"exactly; its changes ({shown}) move no package into or out of the zone in these samples, only "
                "expected utilities (equally likely packages may rank in another order)"
                + (f"; {where}." if only_talks else ".")
            )
    return notes


def _metadata(path: str) -> bool:
    """Paths that describe a scenario rather than change it (and the run settings, equal by construction)."""
    words = path.split(".")
    return words[0] in ("id", "title", "sources", "run", "description") or "reasons" in words or "notes" in words


def _same_headline(a: RunData, b: RunData) -> bool:
    if (a.samples, a.seed) != (b.samples, b.seed) or a.scenario.content_hash() == b.scenario.content_hash():
        return False
    return (a.summary.p_nonempty, a.summary.zone_mass, a.summary.offers) == (
        b.summary.p_nonempty,
        b.summary.zone_mass,
        b.summary.offers,
    )


def _same_tables(a: RunData, b: RunData) -> bool:
    """Cell by cell, NaN equal to NaN (Arrow's ``equals`` has NaN != NaN, and a body's vote shares are NaN where a
    package was not put to it: the inert-variant note was lost when those columns came)."""
    left, right = (pq.read_table(run.path / "zone.parquet") for run in (a, b))
    return left.schema.equals(right.schema) and left.to_pandas().equals(right.to_pandas())


def run_section(run: RunData, every_figure: bool = True, page_dir: Path | None = None) -> str:
    """One scenario: its command, its offers with blockers, its plots with captions (all of them, or the
    ``KEY_FIGURES`` with links to the others)."""
    parties = run.party_names()
    offers = table(
        ["offer", "P(completion in zone)", "best completion's P(zone)", "blocker", "rejects every completion in"],
        [
            [
                row["label"],
                _interval(row["p_complete"], run.samples),
                _interval(row.get("completion_p_zone", row.get("best_p_zone")), run.samples),
                parties.get(row["blocker"], row["blocker"]) or "none alone",
                share_text(row["blocker_share"]) + " of samples" if row["blocker"] else "",
            ]
            for row in run.offers
        ],
    )
    plots = _ordered_plots(run.path / "plots")
    embedded = [png for png in plots if every_figure or png.name in KEY_FIGURES]
    figures = "".join(
        figure(png, f"{run.scenario.title}: {png.stem.replace('_', ' ')}", CAPTIONS.get(png.name, GENERIC_CAPTION))
        for png in embedded
    )
    linked = [png for png in plots if png not in embedded]
    if linked:
        links = ", ".join(
            f'<a href="{esc(_link(png, page_dir))}">{esc(png.stem.replace("_", " "))}</a>' for png in linked
        )
        figures += f"<p>More figures of this run (files beside the page, not embedded): {links}.</p>"
    report = run.path / "report.html"
    full = (
        f'<p><a href="{esc(_link(report, page_dir))}">Full report of this scenario</a>: 15 ranked packages with who '
        "rejects them, what would it take with each change and command, do talks get there, bargaining solutions, "
        "options.</p>"
        if report.is_file()
        else ""
    )
    analysis = load_analysis(run.path)
    return (
        f'<h2 id="run-{esc(run.name)}">{esc(run.scenario.title)} <small>({esc(run.name)})</small></h2>'
        f'<p class="meta">Scenario <code>{esc(run.scenario.id)}</code> ({esc(run.name)}), {run.samples:,} samples, '
        f"seed {run.seed}, directory <code>{esc(run.path)}</code>. Made by: <code>{esc(run.command)}</code></p>"
        + full
        + "<h3>Answer</h3>"
        + answer_brief(analysis)
        + (whatif_brief(run.path, analysis) if run.scenario.offers else "")
        + talks_brief(run.path)
        + (f"<h3>Named offers</h3>{offers}" if run.offers else "<p>This scenario names no offers.</p>")
        + figures
    )


def sweep_section(directory: Path) -> str:
    """A sweep: what was varied, the points x quantities table, its curves or heatmaps."""
    manifest = RunManifest.read(directory)
    settings: Any = manifest.settings
    parameters = [v["path"] for v in settings["vary"]]
    rows = pq.read_table(directory / "sweep.parquet").to_pylist()
    labels = list(dict.fromkeys(row["label"] for row in rows))
    points: dict[int, dict[str, Any]] = {}
    for row in rows:
        point = points.setdefault(row["point"], {"values": [row[p] for p in parameters], "command": row["command"]})
        point[row["label"]] = with_interval(row["p"], row["low"], row["high"])
    columns = [" / ".join(f"{v:g}" for v in point["values"]) for point in points.values()]
    body = table(
        [" / ".join(parameters), *columns],
        [[label, *(point[label] for point in points.values())] for label in labels],
        nowrap=True,
    )
    commands = "".join(
        f"<li>{esc(column)}: <code>{esc(point['command'])}</code></li>"
        for column, point in zip(columns, points.values(), strict=True)
    )
    body += f"<details><summary>The command that re-runs each point alone</summary><ul>{commands}</ul></details>"
    figures = "".join(
        figure(
            png,
            f"Sweep of {' and '.join(parameters)}: {png.stem.replace('sweep_', '').replace('_', ' ')}",
            CAPTIONS.get(
                png.name,
                "Each cell is one point of the grid: colour is the probability, the brackets its 95 % interval. "
                "Read along a row or column to see one value's effect with the other held fixed.",
            ),
        )
        for png in _ordered_plots(directory / "plots")
    )
    return (
        f'<h2 id="sweep-{esc(directory.name)}">Sweep of {esc(" and ".join(parameters))}</h2>'
        f'<p class="meta">Base scenario <code>{esc(manifest.scenario_id or "")}</code>, '
        f"{settings['samples']:,} samples "
        f"and seed {settings['seed']} at every point, directory <code>{esc(directory)}</code>. "
        f"Made by: <code>{esc(manifest.command or '')}</code></p>" + figures + body
    )


def _scenario_title(directory: Path, fallback: str) -> str:
    resolved = directory / "scenario.resolved.yaml"
    data = plain_yaml(resolved.read_text(encoding="utf-8"), str(resolved)) if resolved.is_file() else {}
    return str(data.get("title", fallback)) if isinstance(data, dict) else fallback


def other_section(directory: Path) -> str:
    """A study negsim has no dedicated section for (sensitivity, negotiate): its summary, command and plots."""
    manifest = RunManifest.read(directory)
    summary = manifest.summary
    scalars = [
        [key.replace("_", " "), int(value) if isinstance(value, float) and value.is_integer() else value]
        for key, value in summary.items()
        if isinstance(value, int | float | str)
    ]
    title = _scenario_title(directory, str(manifest.scenario_id))
    figures = "".join(
        figure(png, f"{manifest.kind}: {png.stem.replace('_', ' ')}", CAPTIONS.get(png.name, GENERIC_CAPTION))
        for png in _ordered_plots(directory / "plots")
    )
    return (
        f"<h2>{esc((manifest.kind or 'run').capitalize())}: {esc(title)}</h2>"
        f'<p class="meta">Directory <code>{esc(directory)}</code>. Made by: <code>{esc(manifest.command)}</code>'
        "</p>" + (table(["summary", "value"], scalars) if scalars else "") + figures
    )

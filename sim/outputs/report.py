"""The human-readable side of a run: plots in ``plots/`` and a one-page ``report.html`` with their numbers.

Everything is drawn from the run's own tables (so page, plots and tables cannot disagree). The page is plain HTML
(tables, figures, no script) so that a multi-run report can wrap it. Every probability is shown with its 95 %
Monte-Carlo interval; when nothing is in the zone the page says so and shows the closest package, never a "best".
"""

from __future__ import annotations

import html
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from sim.outputs.html import esc, figure, page
from sim.outputs.plots import (
    marginal_dataset,
    offer_dataset,
    plot_offer_acceptance,
    plot_option_marginals,
    plot_zone_histogram,
    save_figure,
    zone_histogram_dataset,
)
from sim.outputs.plots_review import (
    blockers_dataset,
    choose_pair,
    convergence_dataset,
    option_pair_dataset,
    plot_blockers,
    plot_convergence,
    plot_option_pairs,
    plot_utility_pairs,
)
from sim.outputs.rundir import atomic_write_text, read_json, read_manifest
from sim.outputs.tables import read_csv, zone_mass_text
from sim.scenario.model import Scenario
from sim.zone.preferences import Preferences, expected_utility
from sim.zone.sampling import sample_preferences
from sim.zone.space import PackageSpace

Drawing = tuple[Callable[[], Figure], str]

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


def numeric(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """CSV rows with numbers parsed back (strings that are not numbers stay strings)."""

    def parse(value: str) -> Any:
        try:
            return float(value)
        except ValueError:
            return value

    return [{k: parse(v) for k, v in row.items()} for row in rows]


def run_caption(run_dir: Path, scenario: Scenario) -> str:
    settings = read_manifest(run_dir).get("settings", {})
    return f"{scenario.id} · run {run_dir.name} · {settings.get('samples')} samples, seed {settings.get('seed')}"


def write_zone_report(
    run_dir: Path,
    scenario: Scenario,
    summary: dict[str, Any],
    pair: tuple[str, str] | None = None,
    preferences: Preferences | None = None,
) -> None:
    """Draw the zone plots and write report.html from the run's own tables; ``pair`` names the two issues of the
    option-pair heatmap (default: the two whose option marginals spread most). ``preferences``: the run's samples
    when the caller has them (else they are drawn again from the run's seed)."""
    offers = pq.read_table(run_dir / "offers.parquet").to_pylist() if scenario.offers else []
    marginals = numeric(read_csv(run_dir / "marginals.csv"))
    first, second = zone_drawings(run_dir, scenario, summary, pair, preferences)
    draw_in_two(first, second, run_dir / "plots")
    atomic_write_text(run_dir / "report.html", render_report(run_dir, scenario, summary, offers, marginals))


def zone_drawings(
    run_dir: Path,
    scenario: Scenario,
    summary: dict[str, Any],
    pair: tuple[str, str] | None = None,
    preferences: Preferences | None = None,
) -> tuple[list[Drawing], list[Drawing]]:
    """The run's figures as (draw, file name), in two lists of about equal drawing time (see ``draw_in_two``)."""
    offers = pq.read_table(run_dir / "offers.parquet").to_pylist() if scenario.offers else []
    marginals = numeric(read_csv(run_dir / "marginals.csv"))
    caption = run_caption(run_dir, scenario)
    titles = {issue.id: issue.title for issue in scenario.issues}
    names = {party.id: party.name for party in scenario.parties}
    labels = [_party_label(scenario, p, summary) for p in summary["parties"]]
    blockers = blockers_dataset(marginals, summary["veto_parties"], names, titles)

    def convergence() -> Figure:
        hits = pq.read_table(run_dir / "sample_hits.parquet").to_pydict()
        series = {"P(zone non-empty)": np.asarray(hits["zone_nonempty"])}
        series.update({f"offer: {o['label']}": np.asarray(hits[f"offer_{o['target']}"]) for o in offers})
        return plot_convergence(convergence_dataset(series), caption=caption)

    return (
        [
            (
                lambda: plot_option_marginals(marginal_dataset(marginals, titles, names), caption=caption),
                "zone_by_option.png",
            ),
            (
                lambda: plot_offer_acceptance(*offer_dataset(offers, summary["parties"], labels), caption=caption),
                "offers_acceptance.png",
            ),
            (lambda: plot_blockers(blockers, caption=caption), "blockers_by_option.png"),
            (lambda: plot_zone_histogram(histogram_dataset(run_dir, summary), caption=caption), "zone_histogram.png"),
        ],
        [
            (
                lambda: plot_utility_pairs(
                    utility_pairs_dataset(run_dir, scenario, summary, preferences), caption=caption
                ),
                "utility_pairs.png",
            ),
            (convergence, "convergence.png"),
            (
                lambda: plot_option_pairs(pair_dataset(run_dir, scenario, marginals, pair), caption=caption),
                "option_pairs.png",
            ),
        ],
    )


def _draw(drawings: list[Drawing], folder: Path) -> None:
    for make, name in drawings:
        save_figure(make(), folder / name)


def _draw_in_child(drawings: list[Drawing], folder: Path) -> None:
    """The child's half: a failure (a full disk) ends it with status 1 and no traceback of its own; the parent
    then draws the same figures and reports the error once, in one line."""
    try:
        _draw(drawings, folder)
    except BaseException:  # noqa: BLE001 - surfaced by the parent's redraw
        sys.exit(1)


def draw_in_two(first: list[Drawing], second: list[Drawing], folder: Path) -> None:
    """Draw two lists of figures at once, ``second`` in a forked process: matplotlib draws on one core, and its
    drawing (text, ticks, rasterising) is most of a run's time after scoring. Each figure is written atomically by
    whichever process draws it; if the child fails, its figures are drawn again here, so its error surfaces with a
    traceback. Serial where there is one core or no ``fork``, and inside a worker process (a batch or sweep already
    keeps every core busy, and a daemonic pool worker may not have children)."""
    worker = multiprocessing.parent_process() is not None or multiprocessing.current_process().daemon
    if worker or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        _draw(first + second, folder)
        return
    child = multiprocessing.get_context("fork").Process(target=_draw_in_child, args=(second, folder))
    child.start()
    try:
        _draw(first, folder)
    finally:
        child.join()
    if child.exitcode != 0:
        _draw(second, folder)


def histogram_dataset(run_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    p_zone = pq.read_table(run_dir / "zone.parquet", columns=["p_zone"]).column("p_zone").to_numpy()
    samples = read_manifest(run_dir)["settings"]["samples"]
    return zone_histogram_dataset(p_zone, samples, summary["p_zone_histogram"]["zero"])


def pair_dataset(
    run_dir: Path, scenario: Scenario, marginals: list[dict[str, Any]], pair: tuple[str, str] | None = None
) -> dict[str, Any]:
    first, second = pair or choose_pair(marginals)
    zone = pq.read_table(run_dir / "zone.parquet", columns=["p_zone", first, second]).to_pydict()

    def issue(issue_id: str) -> dict[str, Any]:
        found = scenario.issue(issue_id)
        return {"title": found.title, "ids": found.option_ids, "labels": [o.label for o in found.options]}

    return option_pair_dataset(np.asarray(zone["p_zone"]), zone[first], zone[second], issue(first), issue(second))


def _party_label(scenario: Scenario, party_id: str, summary: dict[str, Any]) -> str:
    party = next(p for p in scenario.parties if p.id == party_id)
    return party.name if party_id in summary["veto_parties"] else f"{party.name} ({party.role}, no veto)"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.3f}"
    return "" if value is None else str(value)


def interval(row: dict[str, Any], name: str) -> str:
    """``0.553 [0.531, 0.575]``: an estimate with its 95 % interval."""
    return f"{row[name]:.3f} [{row[name + '_lo']:.3f}, {row[name + '_hi']:.3f}]"


def option_label(scenario: Scenario, issue_id: str, option_id: str) -> str:
    issue = scenario.issue(issue_id)
    return next((o.label for o in issue.options if o.id == option_id), option_id)


def _package_table(scenario: Scenario, options: dict[str, str]) -> str:
    """Issue titles and option labels, in the scenario's issue order (the manifest stores keys sorted)."""
    return _table(
        ["issue", "option"], [[i.title, option_label(scenario, i.id, options[i.id])] for i in scenario.issues]
    )


def zone_section(scenario: Scenario, summary: dict[str, Any]) -> str:
    """The headline: zone size with intervals, then the best package — or, when there is none, the closest."""
    text = (
        f"<p>{summary['feasible_packages']:,} feasible packages of {summary['space_size']:,}. Expected number of "
        f"packages every veto party accepts (zone mass): <b>{zone_mass_text(summary)}</b>. Share of samples in which "
        f"the zone is not empty: <b>{interval(summary, 'p_zone_nonempty')}</b>.</p>"
    )
    if summary.get("best_package"):
        return (
            text + f"<h3>Best package (in the zone most often: {interval(summary, 'best_p_zone')})</h3>"
            f"{_package_table(scenario, summary['best_package'])}"
        )
    closest = summary.get("closest_package")
    text += f'<p class="warning"><b>{html.escape(summary["no_zone"].capitalize())}.</b> There is no best package.</p>'
    if not closest:
        return text + "<p>No feasible package avoids every veto party's red lines.</p>"
    shortfalls = _table(
        ["veto party", "mean shortfall below its reservation"],
        [[_party_label(scenario, p, summary), v] for p, v in closest["shortfall"].items()],
    )
    proven = "" if closest["proven"] else " (best among the most promising candidates; not proven minimal)"
    return (
        text + f"<h3>Closest package (not acceptable: smallest total shortfall, {closest['total_shortfall']:.3f}"
        f"{proven})</h3><p>{html.escape(closest['definition'])}.</p>"
        f"{_package_table(scenario, closest['options'])}{shortfalls}"
    )


def render_report(
    run_dir: Path,
    scenario: Scenario,
    summary: dict[str, Any],
    offers: list[dict[str, Any]],
    marginals: list[dict[str, Any]],
) -> str:
    manifest = read_manifest(run_dir)
    settings = manifest.get("settings", {})
    parties = summary["parties"]
    names = {party.id: party.name for party in scenario.parties}
    offer_table = _table(
        ["offer", "P(some completion in zone) [95 %]", "completion shown", "its P(zone) [95 %]", "blocker", "why"],
        [
            [
                o["label"],
                interval(o, "p_complete"),
                "closest (none in zone)" if o["completion"] == "closest" else o["completion"],
                interval(o, "completion_p_zone"),
                names.get(o["blocker"], "none"),
                o["reason"] or _blocker_text(scenario, o),
            ]
            for o in offers
        ],
    )
    acceptance = _table(
        ["offer (completion shown)", *(_party_label(scenario, p, summary) for p in parties)],
        [
            [f"{o['label']} ({o['completion']})", *(interval(o, f"p_accept_{p}") for p in parties)]
            for o in offers
            if o["completion_package"] >= 0
        ],
    )
    option_table = _table(
        ["issue", "option", "P(some package with it in zone) [95 %]", "red line of", "mean P(zone) of its packages"],
        [
            [
                scenario.issue(str(m["target"]).split(".")[0]).title,
                m["label"],
                interval(m, "p_complete"),
                m.get("red_lined_by") or "",
                "0"
                if m["mean_p_zone"] == 0
                else ("< 0.0001" if m["mean_p_zone"] < 1e-4 else f"{m['mean_p_zone']:.4f}"),
            ]
            for m in marginals
        ],
    )
    solutions = read_json(run_dir / "solutions.json")
    named = {name: sol for name, sol in solutions["solutions"].items() if sol}
    solution_table = (
        _table(
            ["issue", *(name.replace("_", "–") for name in named)],
            [
                [issue.title, *(option_label(scenario, issue.id, sol["options"][issue.id]) for sol in named.values())]
                for issue in scenario.issues
            ]
            + [["zone probability [95 %]", *(interval(sol, "p_zone") for sol in named.values())]]
            + [
                [
                    f"expected utility: {_party_label(scenario, p, summary)}",
                    *(x["expected_utility"][p] for x in named.values()),
                ]
                for p in parties
            ],
        )
        if named
        else "<p>No package reaches every veto party's mean reservation in expectation.</p>"
    )
    images = "".join(
        figure(run_dir / "plots" / name, name.removesuffix(".png").replace("_", " "), text)
        for name, text in ZONE_PLOTS.items()
    )
    meta = (
        f"Scenario <code>{esc(scenario.id)}</code>, hash <code>{manifest['scenario_hash'][:12]}</code>, "
        f"seed {settings.get('seed')}, {settings.get('samples')} samples, "
        f"negsim {esc(manifest['versions']['negsim'])}. "
        f"Command: <code>{esc(manifest['command'])}</code>. Intervals: {esc(summary.get('interval', ''))}."
    )
    body = f"""<h2>Zone</h2>{zone_section(scenario, summary)}
<h2>Bargaining solutions</h2>
<p>Negotiation set: {solutions["frontier_size"]:,} packages, the Pareto-efficient packages that break no veto
party's red line and give every veto party at least its mean reservation in expected utility. Solutions are taken
among them.</p>{solution_table}
<h2>Named offers</h2>{offer_table}
<h3>Each party's acceptance of the completion shown</h3>{acceptance}
<h2>Options</h2>{option_table}
<h2>Plots</h2>{images}"""
    return page(scenario.title, body, meta=meta)  # one self-contained file: plots embedded, glossary included


def _blocker_text(scenario: Scenario, offer: dict[str, Any]) -> str:
    if not offer["blocker"]:
        return ""
    text = f"rejects the best completion in {offer['blocker_reject']:.1%} of samples"
    if offer["blocker_issue"]:
        title = scenario.issue(offer["blocker_issue"]).title
        text += f"; among the fixed issues it loses most on {title} ({offer['blocker_issue_loss']:.3f})"
    return text


BACKGROUND_PACKAGES = 4_000
ZONE_POINTS = 5_000


def utility_pairs_dataset(
    run_dir: Path, scenario: Scenario, summary: dict[str, Any], preferences: Preferences | None = None
) -> dict[str, Any]:
    """Expected utilities of veto parties for a seeded sample of packages, the zone, the frontier, solutions."""
    settings = read_manifest(run_dir)["settings"]
    if preferences is None:
        preferences = sample_preferences(scenario, settings["samples"], np.random.default_rng(settings["seed"]))
    space = PackageSpace.from_scenario(scenario)
    veto = [p for p, party in enumerate(preferences.party_ids) if party in summary["veto_parties"]]
    rng = np.random.default_rng(settings["seed"])
    sample = rng.choice(space.size, size=min(space.size, BACKGROUND_PACKAGES), replace=False)
    codes = space.codes(np.sort(sample))
    background = expected_utility(preferences, codes[space.feasible(codes)])[veto].T
    eu_columns = [f"eu_{preferences.party_ids[p]}" for p in veto]
    zone = pq.read_table(
        run_dir / "zone.parquet", columns=["p_zone", *eu_columns], filters=[("p_zone", ">", 0.0)]
    ).to_pydict()
    order = np.argsort(zone["p_zone"])[-ZONE_POINTS:]
    frontier = pq.read_table(run_dir / "frontier.parquet", columns=eu_columns).to_pydict()
    solutions = read_json(run_dir / "solutions.json")
    return {
        "parties": [_party_label(scenario, preferences.party_ids[p], summary) for p in veto],
        "background": background,
        "zone": np.array([zone[c] for c in eu_columns]).T[order] if order.size else np.zeros((0, len(veto))),
        "zone_p": np.asarray(zone["p_zone"])[order],
        "frontier": np.array([frontier[c] for c in eu_columns]).T.reshape(-1, len(veto)),
        "solutions": {
            name: [sol["expected_utility"][preferences.party_ids[p]] for p in veto]
            for name, sol in solutions["solutions"].items()
            if sol
        },
        "reservation": [solutions["reservation"][preferences.party_ids[p]] for p in veto],
    }

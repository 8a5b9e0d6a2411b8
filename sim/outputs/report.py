"""The human-readable side of a run: plots in ``plots/`` and a one-page ``report.html`` with their numbers."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from sim.outputs.plots import (
    marginal_dataset,
    offer_dataset,
    plot_offer_acceptance,
    plot_option_marginals,
    plot_utility_pairs,
    plot_zone_histogram,
    save_figure,
)
from sim.outputs.rundir import atomic_write_text, read_json, read_manifest
from sim.outputs.tables import read_csv
from sim.scenario.model import Scenario
from sim.zone.preferences import expected_utility, sample_preferences
from sim.zone.space import PackageSpace

ZONE_PLOTS = ("zone_by_option.png", "offers_acceptance.png", "zone_histogram.png", "utility_pairs.png")


def write_zone_report(run_dir: Path, scenario: Scenario, summary: dict[str, Any]) -> None:
    """Draw the zone plots and write report.html from the run's own tables (so they cannot disagree)."""
    offers = pq.read_table(run_dir / "offers.parquet").to_pylist() if scenario.offers else []
    marginals: list[dict[str, Any]] = [
        dict(row, p_complete=float(row["p_complete"])) for row in read_csv(run_dir / "marginals.csv")
    ]
    plots = run_dir / "plots"
    titles = {issue.id: issue.title for issue in scenario.issues}
    save_figure(plot_option_marginals(marginal_dataset(marginals, titles)), plots / ZONE_PLOTS[0])
    save_figure(plot_offer_acceptance(*offer_dataset(offers, summary["parties"])), plots / ZONE_PLOTS[1])
    save_figure(plot_zone_histogram(summary["p_zone_histogram"]), plots / ZONE_PLOTS[2])
    save_figure(plot_utility_pairs(utility_pairs_dataset(run_dir, scenario, summary)), plots / ZONE_PLOTS[3])
    atomic_write_text(run_dir / "report.html", render_report(run_dir, scenario, summary, offers))


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.3f}"
    return "" if value is None else str(value)


def render_report(run_dir: Path, scenario: Scenario, summary: dict[str, Any], offers: list[dict[str, Any]]) -> str:
    manifest = read_manifest(run_dir)
    settings = manifest.get("settings", {})
    best = summary.get("best_package") or {}
    offer_table = _table(
        [
            "offer",
            "P(completion in zone)",
            "best completion's P(zone)",
            "most frequent blocker",
            "its P(reject)",
            "red line hit",
            "issue it loses most on",
            "utility lost there",
            "shortfall vs reservation",
        ],
        [
            [
                o["label"],
                o["p_complete"],
                o["best_p_zone"],
                o["blocker"] or "none",
                o["blocker_reject"],
                o.get("blocker_red_line", ""),
                o.get("blocker_issue", ""),
                o.get("blocker_issue_loss"),
                o.get("blocker_shortfall"),
            ]
            for o in offers
        ],
    )
    best_table = _table(["issue", "option"], [[scenario.issue(i).title, o] for i, o in best.items()])
    solutions = read_json(run_dir / "solutions.json")
    named = {name: sol for name, sol in solutions["solutions"].items() if sol}
    issue_ids = [issue.id for issue in scenario.issues]
    solution_table = (
        _table(
            ["issue", *(name.replace("_", "–") for name in named)],
            [[scenario.issue(i).title, *(sol["options"][i] for sol in named.values())] for i in issue_ids]
            + [["zone probability", *(sol["p_zone"] for sol in named.values())]]
            + [
                [f"expected utility: {party}", *(sol["expected_utility"][party] for sol in named.values())]
                for party in summary["parties"]
            ],
        )
        if named
        else "<p>No package reaches every veto party's mean reservation in expectation.</p>"
    )
    images = "".join(f'<figure><img src="plots/{name}" alt="{name}"></figure>' for name in ZONE_PLOTS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>negsim: {html.escape(scenario.title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;font-size:14px}}
th{{background:#f3f3f3}}img{{max-width:100%}}code{{background:#f3f3f3}}</style></head><body>
<h1>{html.escape(scenario.title)}</h1>
<p>Scenario <code>{html.escape(scenario.id)}</code>, hash <code>{manifest["scenario_hash"][:12]}</code>,
seed {settings.get("seed")}, {settings.get("samples")} samples, negsim {manifest["versions"]["negsim"]}.
Command: <code>{html.escape(manifest["command"])}</code></p>
<h2>Zone</h2>
<p>{summary["feasible_packages"]:,} feasible packages of {summary["space_size"]:,}.
Expected number of packages every veto party accepts (zone mass): <b>{summary["zone_mass"]:.2f}</b>.
Share of samples in which the zone is not empty: <b>{summary["p_zone_nonempty"]:.3f}</b>.
Best package's zone probability: <b>{summary["best_p_zone"]:.3f}</b>.</p>
<h3>Best package</h3>{best_table}
<h2>Bargaining solutions</h2>
<p>Pareto frontier: {solutions["frontier_size"]:,} packages. Solutions are taken among packages that break no veto
party's red line and give every veto party at least its mean reservation in expected utility.</p>{solution_table}
<h2>Named offers</h2>{offer_table}
<h2>Plots</h2>{images}
</body></html>
"""


BACKGROUND_PACKAGES = 20_000
ZONE_POINTS = 20_000


def utility_pairs_dataset(run_dir: Path, scenario: Scenario, summary: dict[str, Any]) -> dict[str, Any]:
    """Expected utilities of veto parties for a seeded sample of packages, the zone, the frontier, solutions."""
    settings = read_manifest(run_dir)["settings"]
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
        "parties": [preferences.party_ids[p] for p in veto],
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

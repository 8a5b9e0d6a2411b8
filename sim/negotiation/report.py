"""The negotiate report page: one simple self-contained HTML file in the run directory (``report.html``).

It states the talks-versus-zone headline first, because that is the question a reader brings ("would talks get
there?"), then the most frequent agreements with their rounds, then the plots with the numbers they show.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from sim.outputs.rundir import atomic_write_text
from sim.scenario.model import Scenario

PLOTS = ("talks_vs_zone", "agreement_frequency", "rounds_histogram", "aspiration_paths", "agreements_vs_zone")


def render_report(scenario: Scenario, settings: dict[str, Any], summary: dict[str, Any], plots: list[str]) -> str:
    versus = summary.get("talks_vs_zone") or {}
    rows = "".join(
        f"<tr><td>{item['share']:.3f}</td><td>{item['p_zone']:.3f}</td><td>{item['median_round']:g}</td>"
        f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in item['options'].items()))}</td></tr>"
        for item in summary["top_agreements"][:10]
    )
    distances = "".join(
        f"<li>{label}: mean utility distance {versus[key]:.3f}, same package in {100 * versus[share]:.0f} % of "
        "agreements</li>"
        for label, key, share in (
            ("Nash", "mean_distance_nash", "share_at_nash"),
            ("Kalai–Smorodinsky", "mean_distance_ks", "share_at_ks"),
        )
        if versus.get(key) is not None
    )
    images = "".join(f'<figure><img src="plots/{name}.png" alt="{name}"></figure>' for name in plots)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>negotiate: {html.escape(scenario.title)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;font-size:.9rem}}
img{{max-width:100%}}</style></head><body>
<h1>{html.escape(scenario.title)}</h1>
<p>Protocol <b>{html.escape(str(settings["protocol"]))}</b>, {summary["runs"]} runs, seed {settings["seed"]},
deadline {scenario.run.rounds} rounds.</p>
<h2>Would talks get there?</h2>
<p><b>{html.escape(versus.get("headline", ""))}</b> (95 % intervals; a run's zone is that of its own preference
sample). Agreement rate {summary["agreement_rate"]:.3f}; median round of agreement {summary["median_rounds"]}.</p>
<ul>{distances}</ul>
<h2>Most frequent agreements</h2>
<table><tr><th>share of runs</th><th>P(zone)</th><th>median round</th><th>package</th></tr>{rows}</table>
<h2>Plots</h2>{images}
</body></html>
"""


def write_report(run_dir: Path, scenario: Scenario, settings: dict[str, Any], summary: dict[str, Any]) -> None:
    plots = [name for name in PLOTS if (run_dir / "plots" / f"{name}.png").exists()]
    atomic_write_text(run_dir / "report.html", render_report(scenario, settings, summary, plots))

"""The figures of a sweep: curves against one swept value, or one heatmap per quantity over two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.outputs.plots import save_figure
from sim.scenario.model import Scenario
from sim.studies.plots import plot_sweep_curves, plot_sweep_heatmap, sweep_curves_dataset, sweep_grid_dataset


def sweep_plot_files(rows: list[dict[str, Any]], parameters: list[str]) -> dict[str, str]:
    """File name (under ``plots/``) -> quantity label it shows ("" for the 1-D curves of every quantity)."""
    if len(parameters) == 1:
        return {"sweep_curves.png": ""}
    return {f"sweep_{q['quantity']}.png": q["label"] for q in rows[0]["quantities"]}


def write_sweep_plots(sweep_dir: Path, rows: list[dict[str, Any]], parameters: list[str], base: Scenario) -> None:
    title = f"{base.title} ({base.id}), sweeping {' and '.join(parameters)}"
    for name, label in sweep_plot_files(rows, parameters).items():
        if label:
            figure = plot_sweep_heatmap(sweep_grid_dataset(rows, parameters, label), parameters, title)
        else:
            figure = plot_sweep_curves(sweep_curves_dataset(rows, parameters[0]), parameters[0], title)
        save_figure(figure, sweep_dir / "plots" / name)

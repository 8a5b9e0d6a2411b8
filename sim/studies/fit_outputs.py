"""What ``negsim calibrate`` leaves: an ``extends:`` variant holding only the fitted values (each with a reason naming
the data and the fit), a CSV of observed vs fitted (fit set) and predicted (held-out set) shares with intervals, a
plot of both, and a fit-quality figure (each observation's error, held-out coverage)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure

from sim.scenario.catalogue import markdown_safe
from sim.studies.calibration_guide import GUIDE
from sim.studies.fit import Posterior, ShareModel, predictive

HEADER = "# written by negsim calibrate"


@dataclass(frozen=True)
class Row:
    """One observation beside the model: fitted (fit set) or predicted (held out), with a 95 % interval."""

    id: str
    held_out: bool
    observed: float
    n: int
    modelled: float
    low: float
    high: float
    source: str

    @property
    def covered(self) -> bool:
        return self.low <= self.observed <= self.high

    @property
    def error(self) -> float:
        """Model minus observed (share): the fitted or predicted mean's miss."""
        return self.modelled - self.observed


def comparison(model: ShareModel, posterior: Posterior) -> list[Row]:
    """Fit set: the posterior of the modelled share; held out: the posterior predictive of the observed share."""
    rows = []
    held = set(model.data.holdout)
    for j, obs in enumerate(model.data.observations):
        if obs.id in held:
            mean, low, high = predictive(posterior, j, obs.n, seed=j)
        else:
            mean, low, high = posterior.interval(posterior.shares[:, j])
        rows.append(Row(obs.id, obs.id in held, obs.accept, obs.n, mean, low, high, obs.source or ""))
    return rows


def _fit_text(model: ShareModel, posterior: Posterior, data_name: str, mean: float, low: float, high: float) -> str:
    fitted = [obs.id for obs in model.data.observations if obs.id not in model.data.holdout]
    return (
        f"fitted, not judged: posterior mean {mean:.3f}, 95 % interval [{low:.3f}, {high:.3f}] from {data_name} "
        f"(fit to {', '.join(fitted)}; held out: {', '.join(model.data.holdout) or 'none'}); binomial likelihood in "
        f"each poll's n, uniform prior, importance sampling on {posterior.evaluated} scrambled Sobol points "
        f"(effective sample {posterior.effective_points:.0f}); negsim calibrate"
    )


def variant_document(model: ShareModel, posterior: Posterior, scenario_path: Path, out: Path, data_name: str) -> str:
    """The variant: ``extends:`` the scenario, and only the fitted values of the party (ranges = 95 % intervals)."""
    party: dict[str, Any] = {"id": model.party.id}
    reasons: dict[str, Any] = {}
    links = [link.model_dump(mode="json", exclude_defaults=True) for link in model.party.links]
    for k, quantity in enumerate(posterior.quantities):
        mean, low, high = posterior.interval(posterior.theta[:, k])
        why = _fit_text(model, posterior, data_name, mean, low, high)
        span = [round(low, 4), round(high, 4)]
        if quantity.kind == "reservation":
            party["reservation"] = span
            reasons["reservation"] = {"why": why}
        elif quantity.kind == "weight":
            issue = model.scenario.issues[quantity.index[0]].id
            party.setdefault("weights", {})[issue] = span
            reasons[f"weights.{issue}"] = {"why": why}
        elif quantity.kind == "value":
            issue = model.scenario.issues[quantity.index[0]]
            party.setdefault("values", {}).setdefault(issue.id, {})[issue.options[quantity.index[1]].id] = span
            reasons[f"values.{issue.id}"] = {"why": why}
        elif quantity.kind == "link":
            links[quantity.index[0]].update(value=span, why=why)
        else:
            key = ("reservation", "weights", "values")[quantity.index[0]]
            party.setdefault("electorate", {}).setdefault("spread", {})[key] = round(mean, 4)
            reasons["electorate"] = {"why": f"spread.{key}: {why}"}
    if any(q.kind == "link" for q in posterior.quantities):
        party["links"] = links
    party["reasons"] = reasons
    scenario = model.scenario
    document = {
        "negsim": 1,
        "extends": os.path.relpath(scenario_path.resolve(), out.resolve().parent),
        "id": f"{scenario.id}-calibrated"[:64],
        "title": f"{scenario.title}: {model.party.id} calibrated to {data_name}",
        "parties": [party],
    }
    return f"{HEADER} from {data_name}\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def write_rows(path: Path, rows: list[Row]) -> None:
    lines = ["id,set,observed,n,modelled,low,high,covered,source"]
    for row in rows:
        source = row.source.replace('"', "'")
        lines.append(
            f"{row.id},{'held_out' if row.held_out else 'fit'},{row.observed},{row.n},{row.modelled:.4f},"
            f'{row.low:.4f},{row.high:.4f},{row.covered},"{source}"'
        )
    path.write_text("\n".join(lines) + "\n")


def plot_comparison(rows: list[Row]) -> Figure:
    """Left: observed vs fitted shares (fit set); right: predicted (with 95 % predictive intervals) vs observed."""
    figure = Figure(figsize=(10, 4.6))
    for ax, held, title in zip(
        figure.subplots(1, 2),
        (False, True),
        ("Fit set: observed vs fitted", "Held out: predicted vs observed"),
        strict=True,
    ):
        chosen = [row for row in rows if row.held_out == held]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="observed = model")
        if chosen:
            x = np.array([row.observed for row in chosen])
            y = np.array([row.modelled for row in chosen])
            err = np.array([[row.modelled - row.low for row in chosen], [row.high - row.modelled for row in chosen]])
            ax.errorbar(
                x,
                y,
                yerr=np.maximum(err, 0),
                fmt="o",
                color="C3" if held else "C0",
                capsize=3,
                label="95 % predictive interval" if held else "95 % posterior interval",
            )
            for row in chosen:
                ax.annotate(row.id, (row.observed, row.modelled), fontsize=7, xytext=(4, 2), textcoords="offset points")
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="observed share accepting",
            title=title,
            ylabel="predicted share" if held else "fitted share",
        )
        ax.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return figure


def plot_quality(rows: list[Row]) -> Figure:
    """Each observation's error (model - observed) with its interval; held-out coverage and mean absolute error."""
    figure = Figure(figsize=(8, 0.35 * len(rows) + 1.8))
    ax = figure.subplots()
    y = np.arange(len(rows))
    for k, row in enumerate(rows):
        color = "C3" if row.held_out else "C0"
        ax.plot([row.low - row.observed, row.high - row.observed], [k, k], color=color, lw=2)
        ax.plot(row.modelled - row.observed, k, "o", color=color)
    ax.axvline(0, color="0.5", lw=1)
    ax.set_yticks(y, [f"{row.id} ({'held out' if row.held_out else 'fit'})" for row in rows], fontsize=8)
    held = [row for row in rows if row.held_out]
    summary = (
        f"held out: mean |error| {np.mean([abs(r.modelled - r.observed) for r in held]):.3f}, "
        f"{sum(r.covered for r in held)} of {len(held)} inside their 95 % interval"
        if held
        else "no held-out observations"
    )
    ax.set(xlabel="model - observed (share); bar: 95 % interval", title=f"Fit quality — {summary}")
    figure.tight_layout()
    return figure


def _summary(rows: list[Row]) -> str:
    if not rows:
        return "none"
    errors = [abs(row.error) for row in rows]
    return (
        f"mean |error| {np.mean(errors) * 100:.1f} points, largest {max(errors) * 100:.1f}; "
        f"{sum(row.covered for row in rows)} of {len(rows)} observed shares inside their 95 % interval"
    )


def calibration_markdown(model: ShareModel, posterior: Posterior, rows: list[Row], stamp: str, command: str) -> str:
    """``docs/calibration.md``: the fitted quantities, every observation beside the model with its interval and
    error (fit set and held-out set apart, each summarised), then the plain-words guide to bodies and calibration."""
    party = model.party
    lines = [
        f"# Calibration of `{party.id}` against observed acceptance shares ({model.scenario.id})",
        "",
        stamp,
        f"Generated by `{command}`; do not edit by hand (a test fails when the scenario changes).",
        "",
        f"The modelled share of a package is the share of the {model.voters:,} voters of `{party.id}`'s electorate "
        "accepting it at the party's published midpoints with the free quantities set to the fitted values (the voters "
        "a run uses). Items a question leaves out are completed by the data's `status_quo`. The likelihood is "
        "binomial in each poll's n; uniform priors; importance sampling on scrambled Sobol points "
        f"({posterior.evaluated:,} evaluated, effective sample {posterior.effective_points:.0f}). **Fit set**: the "
        "posterior of the modelled share — a fit, not a prediction. **Held out**: never fitted; the posterior "
        "predictive of the observed share (binomial noise in n) — the only test of the model here.",
        "",
        "| fitted quantity | prior | posterior mean | 95 % interval |",
        "|---|---|---|---|",
    ]
    for k, quantity in enumerate(posterior.quantities):
        mean, low, high = posterior.interval(posterior.theta[:, k])
        margin = 0.01 * (quantity.prior[1] - quantity.prior[0])
        at_edge = low - quantity.prior[0] < margin or quantity.prior[1] - high < margin
        edge = " (at the prior's edge)" if at_edge else ""
        name = quantity.name.replace("->", "` → `")  # markdown_safe would show a link's "->" as "-&gt;" in code
        lines.append(
            f"| `{name}` | [{quantity.prior[0]:g}, {quantity.prior[1]:g}] | {mean:.3f} | "
            f"[{low:.3f}, {high:.3f}]{edge} |"
        )
    for title, held in (("Fit set (fitted, not predicted)", False), ("Held out (predicted, never fitted)", True)):
        chosen = [row for row in rows if row.held_out == held]
        lines += [
            "",
            f"### {title}: {_summary(chosen)}",
            "",
            "| observation | source | n | observed | model | 95 % interval | error (points) | inside |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in chosen:
            lines.append(
                f"| `{row.id}` | {row.source} | {row.n:,} | {row.observed:.1%} | {row.modelled:.1%} | "
                f"[{row.low:.1%}, {row.high:.1%}] | {row.error * 100:+.1f} | {'yes' if row.covered else '**no**'} |"
            )
    return "\n".join(line if line == stamp else markdown_safe(line) for line in lines) + "\n" + GUIDE

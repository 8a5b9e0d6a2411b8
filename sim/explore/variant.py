""" "Save as variant": the page's changes as an ``extends:`` scenario that states only them, with the analyst's why.

Parties merge by id in an ``extends:`` child, mappings key by key, and a list replaces the inherited one
(``sim.scenario.yamlsource``): so a changed reservation or weight is written alone, a party whose red lines changed
gets its whole list back (each red line as the parent wrote it, with its sources; a changed ``holds`` carries the
why), and each changed number gets a ``reasons`` entry with the why. The draft, when there is one, becomes an offer
(``explore_draft``) so that ``negsim run`` scores it too, and ``run:`` records the page's samples and seed, so
``negsim run VARIANT`` reproduces every number on the page.

The file is checked before it exists: it is loaded (through ``extends:``) and must give back the page's settings
exactly; an existing file is never overwritten.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from sim.explore.settings import Settings
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class VariantError(ValueError):
    """Why a variant cannot be saved (one line for the page)."""


def _range(bounds: tuple[float, float]) -> float | list[float]:
    low, high = (float(b) for b in bounds)
    return low if low == high else [low, high]


def variant_document(
    scenario_as_loaded: Scenario,
    current: Scenario,
    loaded: Settings,
    settings: Settings,
    parent: str,
    name: str,
    why: str,
    draft: dict[str, str],
    samples: int,
    seed: int,
) -> dict[str, Any]:
    """The variant as data: only what ``settings`` change from ``loaded``, each with ``why``."""
    parties = []
    for party in current.parties:
        before, after = loaded.parties[party.id], settings.parties[party.id]
        if before == after:
            continue
        entry: dict[str, Any] = {"id": party.id}
        reasons: dict[str, Any] = {}
        if after.reservation != before.reservation:
            entry["reservation"] = _range(after.reservation)
            reasons["reservation"] = {"why": why}
        weights = {i: _range(b) for i, b in after.weights.items() if b != before.weights[i]}
        if weights:
            entry["weights"] = weights
            reasons.update({f"weights.{issue}": {"why": why} for issue in weights})
        if after.red_lines != before.red_lines:
            red_lines = []
            for red in party.red_lines:
                written = red.model_dump(mode="json", exclude_defaults=True)
                if after.red_lines[red.option] != before.red_lines[red.option]:
                    written = {**(written if isinstance(written, dict) else {"option": written}), "why": why}
                red_lines.append(written)
            entry["red_lines"] = red_lines
        if after.veto != before.veto:
            entry["veto"] = after.veto
        if reasons:
            entry["reasons"] = reasons
        parties.append(entry)
    document: dict[str, Any] = {
        "negsim": 1,
        "extends": parent,
        "id": name,
        "title": f"{scenario_as_loaded.title} (variant {name})",
        "description": why,
    }
    if parties:
        document["parties"] = parties
    if draft:
        document["offers"] = [
            {"id": "explore_draft", "label": f"Draft saved from negsim explore ({name})", "fix": draft}
        ]
    document["run"] = {"samples": samples, "seed": seed}
    return document


def save_variant(
    path: Path,
    scenario_path: Path,
    document_for: Any,
    settings: Settings,
) -> str:
    """Write the variant to ``path`` (never over an existing file) after checking that it loads back to
    ``settings``; ``document_for(parent_ref)`` builds the document. Returns the text written."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise VariantError(f"{path}: a scenario file name ends in .yaml")
    if path.exists():
        raise VariantError(f"{path} exists: negsim never overwrites a file; choose another name")
    if not path.parent.is_dir():
        raise VariantError(f"{path.parent} is not a folder")
    folder, scenario_folder = path.resolve().parent, scenario_path.resolve().parent
    if not scenario_folder.is_relative_to(folder):
        # `negsim run VARIANT` reads only files under the variant's folder (issue 24), so its `extends:` must too
        raise VariantError(
            f"save it in {scenario_folder} (or a folder above it): a variant extends {scenario_path.name}, and negsim"
            " reads a scenario's `extends:` only from under the variant's own folder"
        )
    parent = Path(os.path.relpath(scenario_path.resolve(), path.resolve().parent)).as_posix()
    document = document_for(parent)
    header = (
        f"# {document['id']}: a variant of {scenario_path.name} saved by `negsim explore`; it states only what the page"
        f" changed.\n# Why: {document['description']}\n# Reproduce the page: negsim run {path.as_posix()}\n"
    )
    text = header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    probe = path.with_name(f".{path.name}.check.yaml")
    try:
        with open(probe, "x", encoding="utf-8") as handle:
            handle.write(text)
        try:
            reloaded = load_scenario(probe)  # as `negsim run VARIANT` will load it
        except ScenarioError as exc:
            raise VariantError(f"the variant does not load: {str(exc).splitlines()[0]}") from None
        if Settings.of(reloaded) != settings.effective():
            raise VariantError("the variant does not reproduce the page's settings (a bug: please report it)")
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise VariantError(f"{path} exists: negsim never overwrites a file; choose another name") from None
    finally:
        if probe.exists():
            probe.unlink()
    return text


def valid_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise VariantError(f"'{name}' is not a usable id: lower-case letters, digits, '-' and '_'")
    return name

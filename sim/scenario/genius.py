"""GENIUS (ANAC) domains and linear-additive profiles to a negsim scenario.

Follows GENIUS's own convention (``EvaluatorDiscrete.normalize``): each issue's evaluations are divided by that
issue's maximum before weighting; weights are normalised to sum 1; the reservation value is kept; the discount
factor has no counterpart here (negsim has no time pressure in the zone) and is dropped with a warning.
Only discrete issues with per-item evaluations are read: anything else is an error that says so. So is every number
GENIUS would itself reject or misread: a non-numeric, NaN, infinite or negative evaluation or weight, weights that
are all zero, a reservation outside [0, 1], an issue with fewer than two items.
XML is parsed with ``defusedxml``, which refuses entity declarations and external references: a domain file is
untrusted input, and the standard library's parser leaves entity expansion to the installed libexpat's limits.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException


class GeniusError(ValueError):
    """A GENIUS file negsim cannot represent faithfully (with the file and what to do)."""


@dataclass
class GeniusIssue:
    index: str
    name: str
    values: list[str]


@dataclass
class GeniusProfile:
    name: str
    weights: dict[str, float]
    evaluations: dict[str, dict[str, float]]
    reservation: float
    warnings: list[str] = field(default_factory=list)


def _parse(path: Path) -> ElementTree.Element:
    try:
        return SafeElementTree.parse(path).getroot()
    except DefusedXmlException as exc:
        raise GeniusError(f"{path}: refused: {exc} (GENIUS files need no entities or external references)") from None
    except (ElementTree.ParseError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise GeniusError(f"{path}: cannot read GENIUS XML: {exc}") from None


def _number(element: ElementTree.Element, attribute: str, what: str, path: Path, default: str | None = None) -> float:
    """A finite, non-negative number from an attribute, or a GeniusError that names it."""
    text = element.get(attribute, default)
    if text is None:
        raise GeniusError(f"{path}: {what} has no '{attribute}'")
    try:
        value = float(text)
    except ValueError:
        raise GeniusError(f"{path}: {what} is '{text[:40]}', not a number") from None
    if not math.isfinite(value) or value < 0:
        raise GeniusError(f"{path}: {what} is {text[:40]}; it must be a finite number >= 0")
    return value


def _issues(root: ElementTree.Element, path: Path) -> list[ElementTree.Element]:
    objectives = root.findall(".//objective")
    if len(objectives) != 1:
        raise GeniusError(f"{path}: nested objectives are not supported (only a flat list of issues)")
    issues = objectives[0].findall("issue")
    for issue in issues:
        kind = issue.get("type") or issue.get("etype") or "discrete"
        if kind != "discrete":
            raise GeniusError(
                f"{path}: issue '{issue.get('name')}' is {kind}; only discrete issues are supported "
                "(discretise it into items first)"
            )
    if not issues:
        raise GeniusError(f"{path}: no issues found")
    return issues


def read_domain(path: Path) -> list[GeniusIssue]:
    root = _parse(path)
    for issue in _issues(root, path):
        if len(issue.findall("item")) < 2:
            raise GeniusError(
                f"{path}: issue '{issue.get('name')}' has fewer than two items; an issue with one outcome is not "
                "negotiated (remove it from the domain and profiles)"
            )
    return [
        GeniusIssue(
            issue.get("index", ""), issue.get("name", ""), [item.get("value", "") for item in issue.findall("item")]
        )
        for issue in _issues(root, path)
    ]


def read_profile(path: Path, domain: list[GeniusIssue]) -> GeniusProfile:
    root = _parse(path)
    issues = _issues(root, path)
    if any(issue.find("evaluator") is not None for issue in issues):
        raise GeniusError(f"{path}: evaluator functions (non-linear or continuous profiles) are not supported")
    weights_by_index = {
        w.get("index"): _number(w, "value", f"weight {w.get('index')}", path) for w in root.iter("weight")
    }
    profile = GeniusProfile(path.stem, {}, {}, 0.0)
    by_name = {issue.name: issue for issue in domain}
    for issue in issues:
        name = issue.get("name", "")
        if name not in by_name:
            raise GeniusError(f"{path}: issue '{name}' is not in the domain")
        raw = {
            item.get("value", ""): _number(item, "evaluation", f"issue '{name}' item '{item.get('value')}'", path)
            for item in issue.findall("item")
        }
        missing = [v for v in by_name[name].values if v not in raw]
        if missing:
            raise GeniusError(f"{path}: issue '{name}' has no evaluation for {', '.join(missing)}")
        top = max(raw.values())
        profile.evaluations[name] = {v: (e / top if top > 0 else 0.0) for v, e in raw.items()}
        weight = weights_by_index.get(issue.get("index"))
        if weight is None:
            raise GeniusError(f"{path}: no weight for issue '{name}' (index {issue.get('index')})")
        profile.weights[name] = weight
    total = sum(profile.weights.values())
    if total <= 0:
        raise GeniusError(f"{path}: every issue weight is 0; at least one must be positive")
    profile.weights = {k: w / total for k, w in profile.weights.items()}
    reservation = root.find("reservation")
    profile.reservation = _number(reservation, "value", "reservation", path, "0") if reservation is not None else 0.0
    if profile.reservation > 1:
        raise GeniusError(f"{path}: reservation is {profile.reservation}; it must lie in [0, 1]")
    discount = root.find("discount_factor")
    if discount is not None and _number(discount, "value", "discount factor", path, "1") not in (0.0, 1.0):
        profile.warnings.append(f"{path}: discount factor {discount.get('value')} dropped (negsim has no discounting)")
    return profile


def slug(text: str, taken: set[str]) -> str:
    """A readable id (``$3.47`` -> ``usd_3_47``, ``19'' LCD`` -> ``v19_lcd``), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", text.lower().replace("$", "usd ")).strip("_") or "value"
    if not base[0].isalpha():
        base = f"v{base}"
    base = base[:60]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def genius_scenario(domain_path: Path, profile_paths: list[Path]) -> tuple[dict[str, Any], list[str]]:
    """A scenario document (plain data, ready for YAML) and the warnings raised while reading."""
    if len(profile_paths) < 2:
        raise GeniusError("give at least two profiles: every negsim scenario needs two parties with a veto")
    domain = read_domain(domain_path)
    profiles = [read_profile(path, domain) for path in profile_paths]
    issue_ids: set[str] = set()
    issues, option_ids = [], {}
    for issue in domain:
        issue_id = slug(issue.name, issue_ids)
        taken: set[str] = set()
        option_ids[issue.name] = {value: slug(value, taken) for value in issue.values}
        issues.append(
            {
                "id": issue_id,
                "title": issue.name,
                "options": [{"id": option_ids[issue.name][v], "label": v, "sources": ["G"]} for v in issue.values],
            }
        )
    ids = {issue.name: spec["id"] for issue, spec in zip(domain, issues, strict=True)}
    party_ids: set[str] = set()
    parties = []
    for path, profile in zip(profile_paths, profiles, strict=True):
        parties.append(
            {
                "id": slug(profile.name, party_ids),
                "name": profile.name,
                "role": "negotiator",
                "weights": {ids[name]: round(w, 12) for name, w in profile.weights.items()},
                "values": {
                    ids[name]: {option_ids[name][v]: round(e, 12) for v, e in evals.items()}
                    for name, evals in profile.evaluations.items()
                },
                "reservation": profile.reservation,
                "reasons": {
                    "weights": {
                        "why": f"GENIUS profile {path.name}, evaluations divided by each issue's maximum",
                        "sources": ["G"],
                    }
                },
            }
        )
    today = datetime.now(UTC).date().isoformat()
    document = {
        "negsim": 1,
        "id": slug(domain_path.stem, set()),
        "title": f"GENIUS domain {domain_path.stem}",
        "sources": {
            "G": {
                "title": f"GENIUS domain {domain_path.name} with profiles {', '.join(p.name for p in profile_paths)}",
                "publisher": "GENIUS / ANAC",
                "date": today,
                "file": str(domain_path),
                "note": "imported by negsim import-genius",
            }
        },
        "issues": issues,
        "parties": parties,
        "run": {"samples": 1, "seed": 0},
    }
    return document, [w for profile in profiles for w in profile.warnings]

"""What ``negsim validate`` (and, for weights, every command) warns about: allowed, but an analyst should know.

Errors (a reference that does not resolve) are :mod:`sim.scenario.checks`; quotes are :mod:`sim.scenario.citations`;
this module gathers the warnings and is the one place that puts them together, so neither of those imports the other.
"""

from __future__ import annotations

from sim.scenario.checks import Finding
from sim.scenario.citations import citation_findings
from sim.scenario.errors import Problem
from sim.scenario.model import Scenario
from sim.scenario.yamlsource import Located


def source_warnings(scenario: Scenario) -> list[Finding]:
    """Options, weights and red lines that cite no source: allowed, but an analyst should know."""
    findings: list[Finding] = []
    for i, issue in enumerate(scenario.issues):
        for j, option in enumerate(issue.options):
            if not option.sources:
                findings.append((("issues", i, "options", j), f"option '{issue.id}.{option.id}' cites no source"))
    for p, party in enumerate(scenario.parties):
        cited = {key for key, reason in party.reasons.items() if reason.sources}
        for issue_id in party.weights:
            if not party.weighs(issue_id):
                continue
            if f"weights.{issue_id}" not in cited and "weights" not in cited:
                findings.append(
                    (
                        ("parties", p, "weights", issue_id),
                        f"party '{party.id}' weight on '{issue_id}' cites no source",
                    )
                )
        for r, red_line in enumerate(party.red_lines):
            ref = red_line.option
            if f"red_lines.{ref}" not in cited and not red_line.sources:
                findings.append(
                    (("parties", p, "red_lines", r), f"party '{party.id}' red line '{ref}' cites no source")
                )
    for key, source in scenario.sources.items():
        if not source.date or not (source.url or source.file):
            findings.append((("sources", key), f"source '{key}' needs a date and a url or seed file"))
    return findings


def weight_warnings(scenario: Scenario) -> list[Finding]:
    """Weights outside [0, 1], or far from summing to 1 (at their midpoints): allowed, but say that they are
    normalised, on every command (issue 21 item 8: ``--set russia.weights.alliance=1.5`` was normalised silently)."""
    findings: list[Finding] = []
    for p, party in enumerate(scenario.parties):
        for issue_id, (_, high) in party.weights.items():
            if high > 1:
                findings.append(
                    (
                        ("parties", p, "weights", issue_id),
                        f"party '{party.id}' weight on '{issue_id}' reaches {high:.3g}, above 1: weights are shares, "
                        "normalised to add up to 1 in every sample",
                    )
                )
        total = sum(low / 2 + high / 2 for low, high in party.weights.values())
        if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
            findings.append(
                (
                    ("parties", p, "weights"),
                    f"party '{party.id}' weights sum to {total:.3g} at their midpoints, not 1: they are normalised "
                    "to sum to 1 in every sample, so each counts as its share of the total",
                )
            )
    return findings


WEIGHT_SUM_TOLERANCE = 0.1


def validate_findings(scenario: Scenario, located: Located) -> tuple[list[Problem], list[Problem]]:
    """What ``negsim validate`` adds to loading: ``(errors, warnings)`` as located problems.

    Errors: quotes not found in their source files. Warnings: uncited claims, unquoted file citations, weights
    outside [0, 1] or far from summing to 1, reasons left unchanged while their value changed.
    """
    quote_errors, quote_warnings = citation_findings(scenario, located)

    def located_problems(findings: list[Finding]) -> list[Problem]:
        return [Problem(located.mark_for(path), message, ".".join(map(str, path))) for path, message in findings]

    warnings = [*source_warnings(scenario), *quote_warnings, *weight_warnings(scenario), *located.warnings]
    return located_problems(quote_errors), located_problems(warnings)


def command_warnings(scenario: Scenario, located: Located) -> list[Problem]:
    """What every command warns about before it runs: weights it will normalise."""
    return [
        Problem(located.mark_for(path), message, ".".join(map(str, path)))
        for path, message in weight_warnings(scenario)
    ]

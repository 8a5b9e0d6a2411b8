"""The format of calibration data (``negsim calibrate --data FILE``): observed acceptance shares of packages.

```yaml
negsim_data: 1
party: ukrainian_public
status_quo: {alliance: open_door, crimea: not_recognised}   # how issues a question leaves out are completed
free: [reservation, weights.donbas, values.guarantees, links, electorate.spread.reservation]
observations:
  - {id: kiis_2025_09_russian_plan, fix: {donbas: recognised_withdrawal}, accept: 0.17, n: 1000,
     date: "2025-09", source: "KIIS, Sep 2025", file: sources/kiis.txt, quote: "..."}
holdout: [kiis_2025_12_freeze]
```
Errors are located problems (``file:line:col``), like a scenario's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.model import Scenario
from sim.scenario.values import Id, IssueKey, OptionKey, PartyKey, StrictModel
from sim.scenario.yamlload import load_located

SPREAD_KEYS = ("reservation", "weights", "values")


class Observation(StrictModel):
    """One published share of people accepting one package."""

    id: Id
    fix: dict[IssueKey, OptionKey] = Field(min_length=1)
    accept: float = Field(ge=0, le=1)
    n: int = Field(ge=1)
    date: str | None = None
    source: str | None = None
    file: str | None = None
    quote: str | None = None
    note: str | None = None


class CalibrationData(StrictModel):
    """Observed acceptance shares of one party (a ratifier voting as a population), and what to fit to them."""

    negsim_data: int
    party: PartyKey
    status_quo: dict[IssueKey, OptionKey] = {}
    free: list[str] = Field(min_length=1)
    observations: list[Observation] = Field(min_length=1)
    holdout: list[str] = []


def free_problems(scenario: Scenario, data: CalibrationData) -> list[tuple[tuple, str]]:
    """``(path, message)`` for everything in ``data`` the scenario cannot give a meaning to."""
    found: list[tuple[tuple, str]] = []
    party = next((p for p in scenario.parties if p.id == data.party), None)
    if data.negsim_data != 1:
        found.append((("negsim_data",), f"unsupported data format version {data.negsim_data} (this negsim reads 1)"))
    if party is None:
        return [*found, (("party",), f"party '{data.party}' is not in the scenario")]
    if party.electorate is None or party.electorate.voters is None:
        found.append(
            (
                ("party",),
                f"party '{data.party}' has no electorate of voters: a share of people accepting "
                "needs one (electorate: {voters: 1000, spread: {...}})",
            )
        )
    issues = {issue.id: issue for issue in scenario.issues}
    for k, name in enumerate(data.free):
        head, _, rest = name.partition(".")
        issue, _, option = rest.partition(".")
        ok = (
            (name in ("reservation", "links") and (name != "links" or party.links))
            or (head == "links" and any(name == f"links.{link.when}->{link.option}" for link in party.links))
            or (head == "weights" and rest in issues and party.weighs(rest))
            or (
                head == "values"
                and issue in issues
                and party.weighs(issue)
                and (not option or option in issues[issue].option_ids)
            )
            or (head == "electorate" and rest.startswith("spread.") and rest[7:] in SPREAD_KEYS)
        )
        if not ok:
            found.append(
                (
                    ("free", k),
                    f"'{name}' is not a free quantity of '{party.id}' (reservation, weights.<issue>, "
                    "values.<issue>[.<option>], links[.<when>-><option>], "
                    "electorate.spread.<reservation|weights|values>)",
                )
            )
    ids = [obs.id for obs in data.observations]
    for where, fixes in [(("status_quo",), data.status_quo)] + [
        (("observations", k, "fix"), obs.fix) for k, obs in enumerate(data.observations)
    ]:
        for issue_id, option_id in fixes.items():
            if issue_id not in issues or option_id not in issues[issue_id].option_ids:
                found.append(((*where, issue_id), f"'{issue_id}.{option_id}' is not an option of the scenario"))
    for k, obs in enumerate(data.observations):
        open_issues = [i for i in issues if party.weighs(i) and i not in obs.fix and i not in data.status_quo]
        if open_issues:
            found.append(
                (
                    (("observations", k, "fix")),
                    f"observation '{obs.id}' leaves {', '.join(open_issues)} open and status_quo does not complete it",
                )
            )
        if ids.count(obs.id) > 1 and ids.index(obs.id) != k:
            found.append(((("observations", k, "id")), f"duplicate observation id '{obs.id}'"))
    for k, name in enumerate(data.holdout):
        if name not in ids:
            found.append((("holdout", k), f"holdout '{name}' names no observation"))
    if len(set(data.holdout)) >= len(set(ids)):
        found.append((("holdout",), "every observation is held out: nothing is left to fit"))
    return found


def load_data(path: Path, scenario: Scenario) -> CalibrationData:
    """The calibration data of ``path`` checked against ``scenario``; every problem at once as a ScenarioError."""
    located = load_located(path)
    try:
        data = CalibrationData.model_validate(located.data)
    except ValidationError as exc:
        from sim.scenario.loading import _problem_from_pydantic

        raise ScenarioError([_problem_from_pydantic(located, error) for error in exc.errors()]) from None
    problems = [
        Problem(located.mark_for(p), message, ".".join(map(str, p))) for p, message in free_problems(scenario, data)
    ]
    if problems:
        raise ScenarioError(problems)
    return data

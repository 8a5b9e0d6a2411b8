"""The YAML reader keeps to the JSON-compatible core and refuses quickly (``sim/scenario/yamlload.py``, issue 24).

Each test here failed on the code before issue 24: a tag, a timestamp, a YAML 1.1 integer, a boolean read as a
number, an escape beyond U+10FFFF, a control character in a ``--set`` value, an overlong label or rounds count, an
``extends:`` child of the wrong type, and refusals that took seconds.
"""

from __future__ import annotations

import pytest

from sim.scenario import yamlload
from sim.scenario.errors import ScenarioError
from sim.scenario.limits import MAX_LABEL, MAX_ROUNDS, MAX_VALUES
from sim.scenario.loading import load_scenario
from sim.scenario.yamlload import load_located, parse_value
from tests.conftest import DATA

GOLDEN = (DATA / "golden.yaml").read_text()


def _golden(tmp_path, old: str = "", new: str = "", extra: str = ""):
    path = tmp_path / "case.yaml"
    path.write_text(GOLDEN.replace(old, new, 1) + extra)
    return path


def _one_line(caught: pytest.ExceptionInfo[ScenarioError]) -> str:
    message = str(caught.value)
    assert len(caught.value.problems) >= 1 and all("\n" not in str(p) for p in caught.value.problems)
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    "value",
    [
        "!!binary G1szMW1oaQc=",  # ESC [31m h i BEL: once printed on the terminal and into report.html
        "!!set {a, b}",
        "!!str 4000",
        "!!python/object/apply:os.system ['echo pwned']",
        "!custom x",
        "! plain",
    ],
)
def test_explicit_tags_are_refused(tmp_path, value):
    path = _golden(tmp_path, "title: Two issues, two parties, worked by hand", f"title: {value}")
    with pytest.raises(ScenarioError, match="explicit tag") as caught:
        load_located(path)
    assert "\x1b" not in _one_line(caught) and "\x07" not in str(caught.value)


def test_tags_are_refused_in_set_values_too():
    with pytest.raises(ScenarioError, match="explicit tag"):
        parse_value("!!binary AAAA")


def test_json_compatible_core_values():
    assert parse_value("[2025-09-04, 017, 0x1F, 0o17, 1_000, '1:30', 1:30, ~, null, <<]") == [
        "2025-09-04",  # a timestamp in YAML 1.1: text here
        17,  # octal in YAML 1.1
        31,
        15,
        "1_000",
        "1:30",
        "1:30",  # sexagesimal 90 in YAML 1.1
        None,
        None,
        "<<",  # no merge key
    ]


@pytest.mark.parametrize(("old", "new"), [("samples: 4000", "samples: true"), ("seed: 3", "seed: false")])
def test_booleans_are_not_numbers_in_run(tmp_path, old, new):
    with pytest.raises(ScenarioError, match="got a boolean") as caught:
        load_scenario(_golden(tmp_path, old, new))
    assert "run." in _one_line(caught)


def test_booleans_are_not_numbers_anywhere(tmp_path, golden_path):
    for edit in ['beta.red_lines["land.a_keeps"].holds=true', "alpha.power=true", "alpha.strategy.exponent=true"]:
        with pytest.raises(ScenarioError, match="got a boolean"):
            load_scenario(golden_path, [edit])
    assert load_scenario(golden_path, ["alpha.veto=true"]).parties[0].veto is True  # a real boolean stays one


def test_escape_beyond_unicode_is_one_line(tmp_path, golden_path):
    path = _golden(tmp_path, "title: Two issues, two parties, worked by hand", 'title: "\\U00110000"')
    with pytest.raises(ScenarioError, match="beyond U\\+10FFFF") as caught:
        load_located(path)
    assert f"{path}:3:" in _one_line(caught)
    with pytest.raises(ScenarioError, match="beyond U\\+10FFFF") as caught:
        load_scenario(golden_path, ['title="\\U00110000"'])
    assert _one_line(caught).startswith("--set title=")


@pytest.mark.parametrize("escape", ["\\e[31m", "\\0", "\\a", "\\x1b"])
def test_control_characters_in_set_values_are_refused(golden_path, escape):
    with pytest.raises(ScenarioError, match="not allowed in a scenario"):
        load_scenario(golden_path, [f'title="x{escape}y"'])


def test_labels_and_texts_are_bounded(tmp_path, golden_path):
    with pytest.raises(ScenarioError, match=f"at most {MAX_LABEL} characters") as caught:
        load_scenario(golden_path, ["issues.land.options.split.label=" + "x" * 131_073])
    assert len(_one_line(caught)) < 400  # the value is not echoed back
    with pytest.raises(ScenarioError, match="at most"):
        load_scenario(golden_path, ["alpha.name=" + "n" * (MAX_LABEL + 1)])
    assert load_scenario(golden_path, ["alpha.name=" + "n" * MAX_LABEL]).parties[0].name == "n" * MAX_LABEL


def test_rounds_are_bounded_in_the_file(tmp_path):
    with pytest.raises(ScenarioError, match=f"less than or equal to {MAX_ROUNDS}"):
        load_scenario(_golden(tmp_path, "seed: 3", "seed: 3, rounds: 1e18"))


@pytest.mark.parametrize(
    "child",
    [
        "parties: true",
        "issues: 5",
        "offers: x",
        "parties: {alpha: 1}",
        "sources: []",
        # a party whose id is a list or a mapping (unhashable: a TypeError in the stale-reason check, found by
        # the issue-24 campaign's fuzz leg, seed 7)
        "parties: [{id: [[0.5]], reservation: 0.55}]",
        "parties: [{id: {alpha: 1}}]",
    ],
)
def test_extends_children_of_the_wrong_type_are_one_line(tmp_path, child):
    (tmp_path / "golden.yaml").write_text(GOLDEN)
    path = tmp_path / "child.yaml"
    path.write_text(f"negsim: 1\nextends: golden.yaml\nid: child\n{child}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"{path}:4:" in _one_line(caught)


def _no_slow_pass(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the slow pure-Python pass ran")

    monkeypatch.setattr(yamlload, "ScenarioLoader", refuse)


@pytest.mark.skipif(not yamlload.yaml.__with_libyaml__, reason="the fast pass needs libyaml")
def test_too_many_values_are_refused_before_the_slow_pass(tmp_path, monkeypatch):
    """Once 13 s of CPU for a 200,000-value file: now refused by libyaml's event count."""
    path = tmp_path / "values.yaml"
    path.write_text("negsim: 1\ndescription: [" + ", ".join(["1"] * (MAX_VALUES + 10)) + "]\n")
    _no_slow_pass(monkeypatch)
    with pytest.raises(ScenarioError, match="more than"):
        load_located(path)


@pytest.mark.skipif(not yamlload.yaml.__with_libyaml__, reason="the fast pass needs libyaml")
def test_tags_and_alias_bombs_are_refused_before_the_slow_pass(tmp_path, monkeypatch):
    _no_slow_pass(monkeypatch)
    path = tmp_path / "tag.yaml"
    path.write_text("negsim: 1\ntitle: !!binary AAAA\n")
    with pytest.raises(ScenarioError, match="explicit tag"):
        load_located(path)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    path.write_text(bomb)
    with pytest.raises(ScenarioError, match="aliases expand"):
        load_located(path)


def test_a_file_of_newlines_is_refused_before_scanning(tmp_path, monkeypatch):
    """Once 6.6 s for 3 MB of newlines."""
    path = tmp_path / "newlines.yaml"
    path.write_bytes(b"\n" * 3_000_000)
    _no_slow_pass(monkeypatch)
    with pytest.raises(ScenarioError, match="lines"):
        load_located(path)

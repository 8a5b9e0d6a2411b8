"""Any bytes in, one clear line out: the scenario loader and ``negsim validate`` on hostile files.

Properties over generated inputs (``tests/hostile.py``: byte soup and structured mutations of the shipped
scenarios) plus the reproducers of issue 14, each of which once gave a traceback, a hang or 4 GiB of memory.
The long campaign over 10,000+ inputs is ``make fuzz`` (``benchmarks/fuzz_inputs.py``).
"""

from __future__ import annotations

import random
import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import yamlfast, yamlload
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.model import Scenario
from sim.scenario.yamlload import MAX_FILE_BYTES, load_located, parse_value
from tests.conftest import NEGSIM
from tests.hostile import ALIAS_BOMB, hostile_input, write_beside_shipped

ONE_LINE = re.compile(r"^\S[^\n]*:\d+:\d+: [^\n]+$|^\S[^\n]*: [^\n]+$")
POSITIONED = re.compile(r":\d+:\d+: ")


def outcome(path: Path) -> Scenario | ScenarioError:
    """The loader's answer: a scenario or a ScenarioError; anything else escapes and fails the test."""
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        lines = str(exc).splitlines()
        assert lines and all(ONE_LINE.match(line) for line in lines), lines
        return exc


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_any_mutated_scenario_loads_or_fails_in_clear_lines(tmp_path, rng: random.Random):
    path = write_beside_shipped(tmp_path, hostile_input(rng))
    started = time.perf_counter()
    outcome(path)
    assert time.perf_counter() - started < 20


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_load_or_fail_in_clear_lines(tmp_path, content: bytes):
    path = tmp_path / "any.yaml"
    path.write_bytes(content)
    outcome(path)


REPRODUCERS = {
    "alias_bomb.yaml": ("negsim: 1\n" + ALIAS_BOMB + "\n").encode(),
    "self_alias.yaml": b"negsim: 1\ndescription: &a [*a]\n",
    "self_merge.yaml": b"negsim: 1\nrun: &a {<<: *a}\n",
    "deep_lists.yaml": b"negsim: 1\ndescription: " + b"[" * 500 + b"]" * 500 + b"\n",
    "deep_maps.yaml": b"negsim: 1\ndescription: " + b"{a: " * 300 + b"1" + b"}" * 300 + b"\n",
    "latin1.yaml": b"negsim: 1\ntitle: caf\xe9\n",
    "nul.yaml": b"negsim: 1\ntitle: a\x00b\n",
    "utf16.yaml": "negsim: 1\n".encode("utf-16"),
    "surrogate.yaml": b'negsim: 1\ntitle: "\\ud800"\n',
    "bad_date.yaml": b"negsim: 1\ntitle: 2024-13-45\n",
    "huge_int.yaml": b"negsim: 1\nrun: {samples: " + b"9" * 5000 + b"}\n",
    "python_tag.yaml": b"negsim: 1\ntitle: !!python/object/apply:os.system ['true']\n",
    "list_key.yaml": b"negsim: 1\n? [a, b]\n: 1\n",
    "extends_passwd.yaml": b"negsim: 1\nextends: /etc/passwd\n",
    "extends_proc.yaml": b"negsim: 1\nextends: /proc/self/status\n",
    "extends_dir.yaml": b"negsim: 1\nextends: .\n",
    "line100.yaml": b"\n" * 98 + b"negsim: 1\nnegsim: 2\n",
}


@pytest.mark.parametrize("name", sorted(REPRODUCERS))
def test_issue_14_reproducers_give_a_positioned_line(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(REPRODUCERS[name])
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert time.perf_counter() - started < 5
    for line in str(caught.value).splitlines():
        assert line.startswith(str(path)) and ONE_LINE.match(line), line
    assert "root:" not in str(caught.value) and "Name:" not in str(caught.value)  # nothing of /etc or /proc echoed


def test_cli_prints_every_reproducer_literally_and_exits_2(tmp_path):
    for name, content in REPRODUCERS.items():
        (tmp_path / name).write_bytes(content)
    result = subprocess.run(
        [str(NEGSIM), "validate", *sorted(str(tmp_path / n) for n in REPRODUCERS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert {Path(line.split(":")[0]).name for line in lines} == set(REPRODUCERS)
    assert all(POSITIONED.search(line) for line in lines), lines
    assert f"{tmp_path / 'line100.yaml'}:100:" in result.stderr  # once printed as "line100.yaml💯..."


def test_cli_on_generated_inputs_never_prints_a_traceback(tmp_path):
    rng = random.Random(14)
    paths = [write_beside_shipped(tmp_path, hostile_input(rng), f"m{i:02d}.yaml") for i in range(40)]
    result = subprocess.run([str(NEGSIM), "validate", *map(str, paths)], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr
    assert all(ONE_LINE.match(line) for line in result.stderr.splitlines() if "warning:" not in line)


def test_oversized_files_are_refused_before_reading(tmp_path):
    path = tmp_path / "comments.yaml"
    with path.open("wb") as file:
        file.truncate(50 * 2**20)  # 50 MB (sparse): once 17 s of scanning
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match=f"at most {MAX_FILE_BYTES:,} bytes"):
        load_located(path)
    assert time.perf_counter() - started < 1


def test_many_values_are_refused_while_composing(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlload, "MAX_VALUES", 1000)  # the same code path as 100,000, a hundred times faster
    monkeypatch.setattr(yamlfast, "MAX_VALUES", 1000)
    path = tmp_path / "ints.yaml"
    path.write_text("negsim: 1\ndescription: [" + ", ".join(["1"] * 3000) + "]\n")
    with pytest.raises(ScenarioError, match="more than 1,000 values"):
        load_located(path)


def test_yaml_12_numbers_and_booleans():
    assert parse_value("[1e-9, 2.5E3, .5, -.5, +1e+3, 1.0, 3, .inf, true, no, on]") == [
        1e-9,
        2500.0,
        0.5,
        -0.5,
        1000.0,
        1.0,
        3,
        float("inf"),
        True,
        "no",
        "on",
    ]


def test_yaml_12_numbers_in_a_scenario(tmp_path, golden_path):
    text = golden_path.read_text()
    path = tmp_path / "golden.yaml"
    path.write_text(text)
    reference = load_scenario(path)
    assert "samples:" in text
    path.write_text(re.sub(r"samples: \d+", "samples: 2.5E3", text))
    assert load_scenario(path).run.samples == 2500
    assert reference.run.samples != 2500


def test_aliases_within_limits_still_work(tmp_path, golden_path):
    text = golden_path.read_text()
    path = tmp_path / "aliases.yaml"
    path.write_text(text + "\nx_shared: &shared [1, 2]\n")
    with pytest.raises(ScenarioError, match="unknown key 'x_shared'"):  # parsed (anchor and all) then validated
        load_scenario(path)

"""``negsim new``: starting scenarios that validate, through the real entry point."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sim.scenario.loading import load_scenario
from tests.conftest import NEGSIM, ROOT


def negsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NEGSIM), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_new_writes_a_commented_scenario_that_validates(tmp_path):
    result = negsim("new", "land-deal", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "land-deal.yaml").read_text()
    assert text.count("#") > 10  # commented for a new user
    assert negsim("validate", "land-deal.yaml", cwd=tmp_path).returncode == 0
    scenario = load_scenario(tmp_path / "land-deal.yaml")
    assert scenario.id == "land-deal"
    assert any(p.role.value == "ratifier" for p in scenario.parties) and scenario.parties[0].links
    again = negsim("new", "land-deal", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr
    bad = negsim("new", "Land Deal", cwd=tmp_path)
    assert bad.returncode == 2 and "lowercase" in bad.stderr


def test_new_from_writes_a_variant_whose_examples_are_valid_uncommented(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "baseline.yaml").write_text((ROOT / "scenarios" / "baseline.yaml").read_text())
    result = negsim("new", "my-variant", "--from", "scenarios/baseline.yaml", "-o", "work/my.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--allow-root scenarios" in result.stdout  # the variant extends a file outside its own folder
    path = tmp_path / "work" / "my.yaml"
    variant = load_scenario(path, roots=[tmp_path / "scenarios"])
    parent = load_scenario(tmp_path / "scenarios" / "baseline.yaml")
    assert variant.id == "my-variant" and variant.issues == parent.issues
    uncommented = re.sub(r"^# (?=unset:|  |parties:|run:)", "", path.read_text(), flags=re.M)
    assert uncommented != path.read_text()
    path.write_text(uncommented)
    edited = load_scenario(path, roots=[tmp_path / "scenarios"])
    assert len(edited.offers) == len(parent.offers) - 1
    assert edited.parties[0].red_lines[0].holds == 0.5

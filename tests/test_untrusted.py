"""A mailed scenario reads nothing outside its own folder, and nothing that is not a regular file (issue 24).

``sim/scenario/untrusted.py`` and its use by ``extends:`` (loading) and ``sources.X.file`` (citations).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.citations import citation_findings
from sim.scenario.errors import ScenarioError
from sim.scenario.limits import MAX_FILE_BYTES
from sim.scenario.loading import load_scenario, load_scenario_located
from sim.scenario.untrusted import UnreadableFile, read_bytes
from tests.conftest import DATA, NEGSIM

SECRET = "api_token: hunter2-Secret-ID-42\nid: Secret-ID-42\n"


def _mailed(tmp_path: Path, text: str, name: str = "mailed.yaml") -> Path:
    """A scenario folder beside a private one: ``tmp/mail/<name>`` and ``tmp/private/secrets.yaml``."""
    (tmp_path / "private").mkdir(exist_ok=True)
    (tmp_path / "private" / "secrets.yaml").write_text(SECRET)
    folder = tmp_path / "mail"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_extends_outside_the_folder_is_refused_without_reading_it(tmp_path):
    path = _mailed(tmp_path, "negsim: 1\nextends: ../private/secrets.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert len(caught.value.problems) == 1
    assert "outside the scenario's folder" in message and "--allow-root" in message
    assert "api_token" not in message and "Secret-ID-42" not in message and "hunter2" not in message


def test_extends_through_a_link_out_of_the_folder_is_refused(tmp_path):
    path = _mailed(tmp_path, "negsim: 1\nextends: inside.yaml\n")
    (path.parent / "inside.yaml").symlink_to(tmp_path / "private" / "secrets.yaml")
    with pytest.raises(ScenarioError, match="outside the scenario's folder") as caught:
        load_scenario(path)
    assert "api_token" not in str(caught.value)


def test_an_allowed_root_is_read(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "golden.yaml").write_text((DATA / "golden.yaml").read_text())
    path = _mailed(tmp_path, "negsim: 1\nextends: ../shared/golden.yaml\nid: child\n")
    with pytest.raises(ScenarioError, match="outside"):
        load_scenario(path)
    assert load_scenario(path, roots=[tmp_path / "shared"]).id == "child"
    refused = subprocess.run([str(NEGSIM), "validate", str(path)], capture_output=True, text=True)
    allowed = subprocess.run(
        [str(NEGSIM), "--allow-root", str(tmp_path / "shared"), "validate", str(path)], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "--allow-root" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def _quoting(path: Path, file: str, quote: str) -> Path:
    text = (DATA / "golden.yaml").read_text()
    text = text.replace("file: tests/data/golden.yaml", f"file: {file}")
    text = text.replace(
        '{id: a_keeps, label: "A keeps the land", sources: [T]}',
        f'{{id: a_keeps, label: "A keeps the land", sources: [{{T: "{quote}"}}]}}',
    )
    path.write_text(text)
    return path


def test_a_source_file_outside_the_folder_is_no_oracle(tmp_path):
    """Exit code and message are the same whether the outside file exists and holds the quote or not."""
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "notes.txt").write_text("the password is swordfish\n")
    (tmp_path / "mail").mkdir()
    outcomes = []
    for file, quote in [
        ("../private/notes.txt", "swordfish"),
        ("../private/notes.txt", "marlin"),
        ("../private/missing.txt", "swordfish"),
    ]:
        path = _quoting(tmp_path / "mail" / "case.yaml", file, quote)
        scenario, located = load_scenario_located(path)
        errors, warnings = citation_findings(scenario, located)
        outcomes.append(
            [sorted(m.replace(file, "FILE").replace(quote, "QUOTE") for _, m in found) for found in (errors, warnings)]
        )
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert any("outside the scenario's folder" in m for m in outcomes[0][1])
    assert any("cannot check the quote" in m for m in outcomes[0][0])


def test_a_source_file_that_is_a_fifo_never_blocks(tmp_path):
    """A FIFO inside the folder: ``validate`` answers (one line, exit 2) instead of waiting for a writer."""
    os.mkfifo(tmp_path / "pipe.txt")
    path = _quoting(tmp_path / "case.yaml", "pipe.txt", "anything")
    result = subprocess.run([str(NEGSIM), "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_extends_a_fifo_never_blocks(tmp_path):
    os.mkfifo(tmp_path / "parent.yaml")
    (tmp_path / "child.yaml").write_text("negsim: 1\nextends: parent.yaml\n")
    code = f"from sim.scenario.loading import load_scenario; load_scenario({str(tmp_path / 'child.yaml')!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "ScenarioError" in result.stderr and "regular" in result.stderr


@pytest.mark.parametrize("path", ["/proc/self/mem", "/proc/self/pagemap"])
def test_proc_files_are_one_line(path):
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    try:
        read_bytes(Path(path), MAX_FILE_BYTES)
    except UnreadableFile as exc:
        assert "\n" not in str(exc)
    else:  # pagemap reads (size-capped): no traceback, no hang, and bounded
        assert path == "/proc/self/pagemap"


def test_directories_and_unreadable_files_are_one_line(tmp_path):
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_bytes(tmp_path, 100)
    with pytest.raises(UnreadableFile, match="cannot read file"):
        read_bytes(tmp_path / "missing.txt", 100)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    with pytest.raises(UnreadableFile, match="at most 100 bytes"):
        read_bytes(big, 100)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.yaml"
        locked.write_text("negsim: 1\n")
        locked.chmod(0)
        with pytest.raises(ScenarioError, match="cannot read file"):
            load_scenario(locked)

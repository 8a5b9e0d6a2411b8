"""The ledger of files negsim wrote (``sim.outputs.owned``), the memory estimate (``sim.outputs.budget``) and the
Markdown escaping of scenario text: the pure parts of issue 24, without a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.outputs.budget import assembly_too_large, run_bytes, too_large
from sim.outputs.owned import (
    LEDGER,
    OutputError,
    check_replaceable,
    claim_file,
    embeddable,
    is_ours,
    refuse_links,
    remove_ours,
)
from sim.outputs.rundir import atomic_write_text
from sim.scenario.catalogue import markdown_safe
from sim.scenario.loading import load_scenario
from tests.conftest import ROOT


def test_a_file_negsim_wrote_is_replaceable_and_a_users_or_an_edited_one_is_not(tmp_path):
    ours, mine = tmp_path / "report.html", tmp_path / "notes.txt"
    atomic_write_text(ours, "negsim's\n")
    mine.write_text("mine\n")
    assert is_ours(ours) and not is_ours(mine)
    check_replaceable(ours)
    atomic_write_text(ours, "negsim's again\n")  # its own file: replaced, and the new bytes recorded
    assert is_ours(ours)
    with pytest.raises(OutputError, match="negsim did not write it"):
        atomic_write_text(mine, "x")
    assert mine.read_text() == "mine\n"
    ours.write_text("edited by hand\n")  # negsim's file, changed since: the user's now
    with pytest.raises(OutputError, match="changed since"):
        check_replaceable(ours)
    link = tmp_path / "link.html"
    link.symlink_to(mine)
    with pytest.raises(OutputError):
        atomic_write_text(link, "x")
    assert mine.read_text() == "mine\n" and link.is_symlink()


def test_claim_file_refuses_any_existing_file_without_force_and_a_folder_or_a_file_on_the_way_always(tmp_path):
    ours = tmp_path / "a.md"
    atomic_write_text(ours, "x")
    with pytest.raises(OutputError, match="pass --force"):
        claim_file(ours, force=False)
    claim_file(ours, force=True)
    with pytest.raises(OutputError, match="is a folder"):
        claim_file(tmp_path, force=True)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        claim_file(ours / "below.md", force=True)


def test_remove_ours_removes_only_negsims_files_and_the_folders_it_empties(tmp_path):
    atomic_write_text(tmp_path / "plots" / "a.png", "png")
    atomic_write_text(tmp_path / "b.csv", "csv")
    (tmp_path / "plots" / "mine.png").write_text("mine")
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    atomic_write_text(tmp_path / "gone" / "c.txt", "c")
    kept = remove_ours(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in kept) == ["plots/mine.png"]
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == [LEDGER, "plots", f"plots/{LEDGER}", "plots/mine.png"]  # outside a run: each folder its own


def test_a_linked_or_special_file_in_a_run_directory_is_refused_and_never_embedded(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nprivate key")
    run = tmp_path / "run"
    atomic_write_text(run / "plots" / "ok.png", "\x89PNG\r\n\x1a\n")
    (run / "plots" / "x.png").symlink_to(secret)
    with pytest.raises(OutputError, match="symbolic link"):
        refuse_links(run)
    assert embeddable(run / "plots" / "ok.png") and not embeddable(run / "plots" / "x.png")
    (run / "plots" / "x.png").unlink()
    (run / "plots" / "forged.png").write_bytes(secret.read_bytes())  # in a folder with a ledger: not recorded
    assert not embeddable(run / "plots" / "forged.png")
    os.mkfifo(run / "fifo")
    with pytest.raises(OutputError, match="not a regular file"):
        refuse_links(run)


@given(st.text())
def test_markdown_safe_leaves_no_tag_and_no_inline_link(text):
    safe = markdown_safe(text)
    assert "<" not in safe and ">" not in safe and "](" not in safe


def test_the_memory_estimate_refuses_what_cannot_fit_and_names_what_would():
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    sixteen = 16 * 2**30
    assert too_large(baseline, 2000, available=sixteen) is None
    refusal = too_large(baseline, 1_000_000, available=sixteen)
    assert refusal is not None and "use at most --samples" in refusal
    fits = int(refusal.rsplit("--samples ", 1)[1])
    assert run_bytes(baseline, fits) <= sixteen < run_bytes(baseline, fits + 1)
    assert too_large(baseline, fits, available=sixteen) is None
    assert "fewer --workers" in (too_large(baseline, fits, concurrent=2, available=sixteen) or "")


def test_outputs_written_in_a_held_run_directory_are_recorded_in_its_ledger(tmp_path):
    from sim.outputs.rundir import lock_run_dir, unlock_run_dir

    run = tmp_path / "run"
    run.mkdir()
    lock_run_dir(run)
    try:
        atomic_write_text(run / "plots" / "a.txt", "a")
    finally:
        unlock_run_dir(run)
    assert (run / LEDGER).is_file() and not (run / "plots" / LEDGER).exists()
    assert is_ours(run / "plots" / "a.txt", run)
    assert Path(run / LEDGER).read_text().endswith('"plots/a.txt"\n')


def test_tables_too_large_for_memory_are_refused_after_scoring_with_a_line_that_says_so():
    assert assembly_too_large(10 * 2**20, available=2**30) is None
    refusal = assembly_too_large(2**31, available=2**30)
    assert refusal is not None and "6.0 GB" in refusal and "1.0 GB available" in refusal


def test_the_same_bytes_written_again_leave_the_ledger_as_it_was(tmp_path):
    """Re-running `make run` over the committed plots/ (identical bytes) must leave `git status` clean."""
    target = tmp_path / "plots" / "a.png"
    atomic_write_text(target, "same")
    ledger = (tmp_path / "plots" / LEDGER).read_text()
    atomic_write_text(target, "same")
    assert (tmp_path / "plots" / LEDGER).read_text() == ledger
    atomic_write_text(target, "other")  # new bytes are recorded
    assert (tmp_path / "plots" / LEDGER).read_text().count('"a.png"') == 2 and is_ours(target)

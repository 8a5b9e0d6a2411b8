"""batch: one directory per scenario even when ids repeat, same tables on any executor, concurrent batches apart."""

from __future__ import annotations

import json
import subprocess

from sim.outputs.figure_choice import KEY_FIGURES
from sim.scenario.loading import load_scenario
from sim.studies.batch import batch_entries, copy_plots
from tests.conftest import DATA, NEGSIM
from tests.loop_runs import SAMPLES, copied_scenarios
from tests.test_cli import negsim

KEYS = ["golden~copy", "golden~looser", "reciprocal_deadlock"]


def test_batch_gives_scenarios_sharing_an_id_their_own_runs_and_plots(loop_batch):
    warning = (loop_batch.parent / "stderr.txt").read_text()
    assert "2 scenarios share the id 'golden'" in warning and "as 'golden~looser'" in warning
    record = json.loads((loop_batch / "batch.json").read_text())
    assert record["status"] == "complete" and [run["key"] for run in record["runs"]] == KEYS
    p_zone = {}
    for key in KEYS:
        manifest = json.loads((loop_batch / key / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        p_zone[key] = manifest["summary"]["p_zone_nonempty"]
        assert (loop_batch.parent / "plots" / key / "zone_by_option.png").is_file()
        # a batch draws only the figures its page shows (issue 23); the run's own page says what it left out
        assert sorted(p.name for p in (loop_batch / key / "plots").iterdir()) == sorted(KEY_FIGURES)
        own_page = (loop_batch / key / "report.html").read_text()
        assert "Not drawn for this run: convergence, option pairs, blockers" in own_page
    assert p_zone["golden~copy"] < p_zone["golden~looser"]  # the copies really are two different runs
    page = (loop_batch / "report.html").read_text()
    assert "Split the land" in page and "data:image/png;base64," in page and 'src="plots/' not in page


def test_plots_dir_says_what_it_replaces(loop_batch, tmp_path):
    loaded = [(path, load_scenario(path)) for path in copied_scenarios(tmp_path / "scenarios")]
    entries, _ = batch_entries(loaded)
    assert copy_plots(entries, loop_batch, tmp_path / "plots") == []
    again = copy_plots(entries, loop_batch, tmp_path / "plots")
    assert len(again) == 3 and all(message.startswith("replaced ") for message in again)


def test_batch_tables_are_identical_on_dask_and_on_the_process_pool(loop_batch, tmp_path):
    scenarios = copied_scenarios(tmp_path / "scenarios")
    out = tmp_path / "dask"
    negsim(
        "batch", *map(str, scenarios), "--samples", SAMPLES, "--executor", "dask", "--workers", "2", "--out", str(out)
    )
    for key in KEYS:  # byte for byte (Arrow's equals has NaN != NaN)
        for table in ("zone.parquet", "offers.parquet", "marginals.csv", "sample_hits.parquet", "frontier.parquet"):
            assert (out / key / table).read_bytes() == (loop_batch / key / table).read_bytes(), (key, table)


def test_two_batches_started_at_once_never_share_a_directory(tmp_path):
    args = [str(NEGSIM), "batch", str(DATA / "golden.yaml"), "--samples", "50", "--executor", "local"]
    runs = tmp_path / "runs"
    processes = [
        subprocess.Popen([*args, "--seed", str(seed), "--out-root", str(runs)], stdout=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    for process in processes:
        process.communicate(timeout=300)
        assert process.returncode == 0
    batches = sorted(runs.iterdir())
    assert len(batches) == 2
    seeds = {json.loads((batch / "golden" / "manifest.json").read_text())["settings"]["seed"] for batch in batches}
    assert seeds == {1, 2}

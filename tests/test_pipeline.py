"""A zone run interrupted after some blocks and resumed writes the very files an uninterrupted run writes.

The resumed run reads the blocks saved before the interruption back from ``parts/`` one at a time and folds them
(``sim.zone.reduce``); each party's acceptance counts in zone.parquet are read back from the parts of both kinds. The
scenario's zone is dense, with a ratifier, over 64 blocks: the zone list is stitched from many saved and newly
scored blocks, each holding zone packages.
"""

from __future__ import annotations

import json

import pytest
import yaml

from sim.outputs.figure_choice import Figures
from sim.outputs.pipeline import ZoneSettings, run_zone
from sim.scenario.loading import load_scenario
from tests.strategies import dense_scenario_dict

TABLES = ("zone.parquet", "offers.parquet", "sample_hits.parquet", "frontier.parquet", "marginals.csv")


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("stop_after", [1, 23])
def test_a_resumed_run_writes_the_tables_of_an_uninterrupted_one(tmp_path, stop_after):
    path = tmp_path / "dense.yaml"
    path.write_text(yaml.safe_dump(dense_scenario_dict()))
    scenario = load_scenario(path)
    settings = ZoneSettings.for_scenario(scenario, samples=150, seed=7, workers=2)
    whole = run_zone(scenario, tmp_path / "whole", settings, figures=Figures.none)

    def interrupt(done: int, total: int) -> None:
        if done >= stop_after:
            raise Interrupted

    run_dir = tmp_path / "resumed"
    with pytest.raises(Interrupted):
        run_zone(scenario, run_dir, settings, figures=Figures.none, progress=interrupt)
    saved = len(list((run_dir / "parts").glob("*.npz")))
    assert stop_after <= saved
    reported: list[tuple[int, int]] = []
    resumed = run_zone(
        scenario, run_dir, settings, resume=True, figures=Figures.none, progress=lambda d, t: reported.append((d, t))
    )
    assert reported[0][0] == saved < reported[0][1]  # the saved blocks were read back, not scored again
    assert resumed == whole
    for name in (*TABLES, "solutions.json"):
        assert (run_dir / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    summaries = [json.loads((d / "manifest.json").read_text())["summary"] for d in (run_dir, tmp_path / "whole")]
    assert summaries[0] == summaries[1]

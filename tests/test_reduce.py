"""The fold of block scores (``sim.zone.reduce``) is the whole zone, whatever order and split the blocks come in.

Checked against :func:`sim.zone.scoring.compute_zone`, which keeps every listed package in memory: the reduced zone
list is exactly its packages in the zone in some sample, with the same zone counts and acceptance counts, and the
targets' hits and best completions are the same. The scenario's zone is dense over 64 blocks, with a ratifier
(packages agreed at the table but not in the zone, which the fold drops).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import yaml

from sim.scenario.loading import load_scenario
from sim.zone.analyse import ZoneJob
from sim.zone.scoring import compute_zone, score_blocks
from sim.zone.settings import RunSettings
from tests.strategies import dense_scenario_dict


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    path = tmp_path_factory.mktemp("dense") / "dense.yaml"
    path.write_text(yaml.safe_dump(dense_scenario_dict()))
    scenario = load_scenario(path)
    settings = RunSettings.for_scenario(scenario, 120, 11)
    job = ZoneJob.of(scenario, settings)
    scores = list(score_blocks(job.scorer, job.scorer.blocks))
    whole = compute_zone(scenario, preferences=job.preferences)
    return job, scores, whole


def _equal(a, b) -> None:
    assert np.array_equal(a.zone.packages, b.zone.packages) and a.zone.packages.dtype == b.zone.packages.dtype
    assert np.array_equal(a.zone.zone_count, b.zone.zone_count) and a.zone.zone_count.dtype == b.zone.zone_count.dtype
    rows = np.arange(a.zone.packages.size)
    assert np.array_equal(a.zone.accept_count.take(rows), b.zone.accept_count.take(rows))
    assert np.array_equal(a.zone_sizes, b.zone_sizes)
    for name in ("hits", "table_hits", "best_count", "best_package"):
        assert np.array_equal(getattr(a.targets, name), getattr(b.targets, name)), name


def test_the_fold_lists_the_zone_that_compute_zone_finds(scored):
    job, scores, whole = scored
    assert len(scores) > 8
    reducer = job.reducer()
    for score in scores:
        reducer.add(score)
    reduced = reducer.result()
    in_zone = whole.zone_count > 0
    assert whole.packages.size > in_zone.sum() > 0  # packages the ratifier refuses in every sample are listed
    assert np.array_equal(reduced.zone.packages, whole.packages[in_zone])
    assert np.array_equal(reduced.zone.zone_count, whole.zone_count[in_zone])
    assert np.array_equal(reduced.zone.accept_count.take(np.arange(in_zone.sum())), whole.zone_accept_count)
    assert np.array_equal(reduced.zone_sizes, whole.zone_sizes)
    for name in ("hits", "table_hits", "best_count", "best_package"):
        assert np.array_equal(getattr(reduced.targets, name), getattr(whole.targets, name)), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_and_any_split_into_merged_reducers_give_the_same_zone(scored, seed):
    job, scores, _ = scored
    in_order = job.reducer()
    for score in scores:
        in_order.add(score)
    shuffled = scores[:]
    random.Random(seed).shuffle(shuffled)
    cut = len(shuffled) // (seed + 1)
    first, second = job.reducer(), job.reducer()
    for score in shuffled[:cut]:
        first.add(score)
    for score in shuffled[cut:]:
        second.add(score)
    second.merge(first)
    _equal(second.result(), in_order.result())


def test_a_block_folded_twice_is_refused(scored):
    job, scores, _ = scored
    reducer = job.reducer()
    reducer.add(scores[0])
    with pytest.raises(ValueError, match="twice"):
        reducer.add(scores[0])
    other = job.reducer()
    other.add(scores[0])
    with pytest.raises(ValueError, match="overlapping"):
        reducer.merge(other)


def test_acceptance_counts_read_back_from_where_blocks_were_saved_are_the_kept_ones(scored):
    """``stored``: the counts are asked for block by block when the rows are taken, not held by the fold."""
    job, scores, _ = scored
    saved = {score.block.index: score.zone_accept_count for score in scores}
    asked: list[int] = []

    def stored(block):
        asked.append(block.index)
        return saved[block.index]

    kept, read_back = job.reducer(), job.reducer(stored)
    for score in scores:
        kept.add(score)
        read_back.add(score)
    assert all(part.accept_count is None for part in read_back.blocks.values())
    _equal(read_back.result(), kept.result())
    assert asked and len(asked) <= len(scores)  # each block read once when its rows are taken in order

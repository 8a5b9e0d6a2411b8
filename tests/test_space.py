from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.zone.space import PackageSpace

radices_st = st.lists(st.integers(1, 5), min_size=1, max_size=5)


def space_of(radices: list[int]) -> PackageSpace:
    return PackageSpace(
        tuple(f"i{i}" for i in range(len(radices))), tuple(tuple(f"o{o}" for o in range(r)) for r in radices)
    )


@given(radices_st, st.data())
def test_package_number_and_options_round_trip(radices, data):
    space = space_of(radices)
    packages = np.array(data.draw(st.lists(st.integers(0, space.size - 1), min_size=1, max_size=20)))
    codes = space.codes(packages)
    assert (codes < np.array(radices)).all() and (codes >= 0).all()
    assert (space.package(codes) == packages).all()
    for issue in range(len(radices)):
        assert np.array_equal(space.option_codes(packages, issue), codes[:, issue])


def test_first_issue_is_most_significant_digit():
    space = space_of([3, 2])
    assert space.codes(np.arange(6)).tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]


def test_constraints_remove_forbidden_combinations():
    space = PackageSpace(("a", "b"), (("x", "y"), ("u", "v")), violations=(((0, frozenset({1})), (1, frozenset({0}))),))
    codes = space.codes(np.arange(4))
    assert space.feasible(codes).tolist() == [True, True, False, True]
    assert space.count_feasible() == 3 and space.count_feasible({0: 1}) == 1


@given(st.lists(st.integers(2, 4), min_size=1, max_size=4), st.data())
def test_count_feasible_equals_enumeration(radices, data):
    """Inclusion–exclusion over random violations (any option sets) counts exactly what the mask keeps."""
    violations = []
    for _ in range(data.draw(st.integers(0, 4))):
        issues = data.draw(st.lists(st.integers(0, len(radices) - 1), min_size=1, max_size=3, unique=True))
        violations.append(
            tuple(
                (i, frozenset(data.draw(st.sets(st.integers(0, radices[i] - 1), min_size=1)))) for i in sorted(issues)
            )
        )
    space = PackageSpace(
        tuple(f"i{i}" for i in range(len(radices))),
        tuple(tuple(f"o{o}" for o in range(r)) for r in radices),
        tuple(violations),
    )
    feasible = space.feasible(space.codes(np.arange(space.size)))
    assert space.count_feasible() == int(feasible.sum())
    fix = {0: data.draw(st.integers(0, radices[0] - 1))}
    assert space.count_feasible(fix) == int(feasible[space.codes(np.arange(space.size))[:, 0] == fix[0]].sum())

"""Correlated draws: a Gaussian copula on the uniforms that ``correlations:`` and ``follows:`` name (issue 19).

Each named uniform u becomes a standard normal z = Phi^-1(u); the normals are mixed by the lower-triangular factor L
of the correlation matrix (z' = L z, so z' is standard normal with that correlation); u' = Phi(z') is again
uniform. So every quantity keeps its own distribution (its range, its ``holds``) and only the dependence between
them changes (Nelsen 2006, *An Introduction to Copulas*, §2.3). The factor is the one ``negsim validate`` checks
(:mod:`sim.scenario.dependence`), semi-definite: a correlation of 1 copies a normal exactly, so two identical
parties tied at 1 decide identically in every sample. The mixing is an explicit left fold over the factor's
columns, never a BLAS product, so a sample's numbers do not depend on how many samples are drawn together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.dependence import Slot, dependence

if TYPE_CHECKING:
    from sim.scenario.model import Scenario
    from sim.zone.sampling import Draws

EDGE = 2.0**-53  # uniforms are drawn in [0, 1): keep Phi^-1 finite


_ARRAY_OF = {"member": "", "resolve": "red_line"}  # which array of ``Draws`` a slot's kind writes (default: its own)


def _view(arrays: dict[str, np.ndarray], slot: Slot) -> tuple[np.ndarray, tuple[Any, ...]]:
    kind, party, *rest = slot
    if kind == "reservation":
        return arrays["reservation"], (party, slice(None))
    if kind == "weight":
        return arrays["weight"], (party, slice(None), rest[0])
    if kind == "value":
        return arrays["value"], (party, slice(None), rest[0], rest[1])
    if kind == "red_line":
        return arrays["red_line"], (party, slice(None), rest[0], 0)  # one draw per party and issue: red lines nest
    if kind == "link":
        return arrays["link"], (party, slice(None), rest[0], rest[1])
    if kind == "member":
        return arrays[f"member{party}"], (rest[0], slice(None), rest[1])
    return arrays["red_line"], (party, slice(None), rest[0][0], 0)  # a resolve: the first red-line issue's draw


def correlate(scenario: Scenario, draws: Draws) -> Draws:
    """``draws`` with the uniforms the scenario correlates replaced by their copula (unchanged without any)."""
    tied, _ = dependence(scenario)
    if tied is None:
        return draws
    from scipy.special import ndtr, ndtri  # only scenarios with correlations pay scipy's import (~0.5 s)

    touched = {_ARRAY_OF.get(slot[0], slot[0]) for slot in tied.slots}  # copied only when a slot writes to it
    arrays: dict[str, np.ndarray] = {
        name: getattr(draws, name).copy()
        for name in ("reservation", "weight", "value", "red_line", "link")
        if name in touched
    }
    for p in sorted({slot[1] for slot in tied.slots if slot[0] == "member"}):  # only chambers' members are named
        own = draws.member[p]
        assert own is not None, "a member slot names a party with members (sim.scenario.dependence)"
        arrays[f"member{p}"] = own.copy()
    views = [_view(arrays, slot) for slot in tied.slots]
    uniforms = [array[index].copy() for array, index in views]
    normals = [ndtri(np.clip(u, EDGE, 1 - EDGE)) for u in uniforms]
    for k, (array, index) in enumerate(views):
        (used,) = np.nonzero(tied.factor[k])
        if used.size == 1 and tied.factor[k, used[0]] == 1:  # its own draw, or a copy (correlation 1): exactly
            array[index] = uniforms[used[0]]
        else:
            mixed = np.zeros_like(normals[0])
            for j in range(k + 1):
                mixed = mixed + tied.factor[k, j] * normals[j]
            array[index] = ndtr(mixed)
        if tied.slots[k][0] == "resolve":  # every red line of the party shares its resolve
            for issue in tied.slots[k][2]:
                array[index[0], :, issue, 0] = array[index]
    member = tuple(arrays.pop(f"member{p}") if f"member{p}" in arrays else own for p, own in enumerate(draws.member))
    return draws.replace(**arrays, member=member)

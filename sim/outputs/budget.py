"""Memory a run will need, estimated before it starts, so that what cannot fit is refused in one line (issue 24).

A run holds every party's sampled preferences at once: the uniform draws and the utilities built from them are
arrays of parties x issues x options x samples (``sim.zone.sampling``), which dominate its memory; scoring works in
blocks sized from the sample count and adds little. Measured peak resident memory of ``negsim run`` on the
baseline (9 parties, 13 issues, up to 6 options; 1 worker; load average ~11 on 2 cores): 310 MB at 1,000 samples,
437 MB at 4,000, i.e. about 60 bytes per (party, issue, option, sample) cell over a fixed ~270 MB; sampling alone
measured 70 bytes per cell. The estimate takes 80 bytes per cell and 300 MB fixed, and compares it with the memory
the system reports available, so ``run.samples: 1000000`` on the baseline (~56 GB) is refused before it starts
instead of ending in a MemoryError.
"""

from __future__ import annotations

import os

from sim.scenario.model import Scenario

BYTES_PER_CELL = 80
FIXED_BYTES = 300 * 2**20


def cells_per_sample(scenario: Scenario) -> int:
    options = max((len(issue.options) for issue in scenario.issues), default=1)
    return max(1, len(scenario.parties) * len(scenario.issues) * options)


def run_bytes(scenario: Scenario, samples: int) -> int:
    """Estimated peak memory of one run of ``samples`` samples."""
    return FIXED_BYTES + BYTES_PER_CELL * cells_per_sample(scenario) * samples


def available_bytes() -> int:
    """Memory the system can give without swapping (``MemAvailable``), or physical memory where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 2**62


def too_large(scenario: Scenario, samples: int, concurrent: int = 1, available: int | None = None) -> str | None:
    """Why ``concurrent`` runs of ``samples`` samples at once cannot fit in memory, saying what would; else None."""
    available = available_bytes() if available is None else available
    need = run_bytes(scenario, samples) * concurrent
    if need <= available:
        return None
    per_run = available // max(concurrent, 1) - FIXED_BYTES
    fits = per_run // (BYTES_PER_CELL * cells_per_sample(scenario)) if per_run > 0 else 0
    side = f" with {concurrent} runs side by side" if concurrent > 1 else ""
    advice = f"use at most --samples {fits:,}".replace(",", "") if fits >= 1 else "free memory first"
    return (
        f"{samples:,} samples{side} need about {need / 2**30:.1f} GB of memory ({cells_per_sample(scenario):,} "
        f"party x issue x option cells per sample), more than the {available / 2**30:.1f} GB available: {advice}"
        + (" or fewer --workers" if concurrent > 1 else "")
    )


ASSEMBLY_FACTOR = 3
"""Tables are built from every block's saved scores at once: the parts as loaded, their concatenation and its sort
order; three times the parts' size on disk (uncompressed ``.npz``) bounds that."""


def assembly_too_large(part_bytes: int, available: int | None = None) -> str | None:
    """Why the tables of a scored run cannot be built in the memory available (a zone of billions of packages), or
    None. Checked after scoring and before assembling, so the run stays resumable where more memory is free."""
    available = available_bytes() if available is None else available
    need = ASSEMBLY_FACTOR * part_bytes
    if need <= available:
        return None
    return (
        f"the zone found is too large to tabulate here: building its tables needs about {need / 2**30:.1f} GB of "
        f"memory, more than the {available / 2**30:.1f} GB available; narrow the scenario (fewer options, red lines) "
        "or finish it where more memory is free"
    )

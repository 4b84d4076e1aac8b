"""Where a scenario's actors spend their time: actor-frames per floor cell and tracked class.

The simulation runs without sensors (the world alone: hundreds of times faster than real time, and the
same traffic as a full run of the same seed) for the scenario's duration under each seed, and every
actor's centre is counted on the floor grid once per `FRAME_S`, the tracking metrics' frame.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.coverage.visibility import TRACKED, Floor
from sim.scenario.models import Scenario
from sim.simulation import Simulation
from sim.world.kinds import CLASS_IDS

FRAME_S = 0.1  # the tracking metrics' frame (SPEC §7 coverage ceiling)


def frames(scenario: Scenario, n_seeds: int) -> int:
    """How many frames `traffic` counts over `n_seeds` runs (every `FRAME_S`, the first tick's included)."""
    return n_seeds * (scenario.n_ticks // max(1, round(FRAME_S / scenario.dt_s)) + 1)


def traffic(scenario: Scenario, floor: Floor, seeds: Iterable[int]) -> np.ndarray:
    """(len(TRACKED), n_cells) actor-frames on each cell, summed over the runs of `seeds`."""
    counts = np.zeros((len(TRACKED), len(floor.xy)))
    row_of_class = np.full(max(CLASS_IDS.values()) + 1, -1)
    for k, name in enumerate(TRACKED):
        row_of_class[CLASS_IDS[name]] = k
    every = max(1, round(FRAME_S / scenario.dt_s))
    ny = floor.grid.shape[1]
    sim = Simulation(scenario, sensors=False)
    for seed in seeds:
        step, _ = sim.reset(seed)
        while True:
            truth = step.truth
            if step.tick % every == 0 and len(truth):
                ij = floor.grid.world_to_cell(truth.xyz[:, :2])
                rows = row_of_class[truth.class_ids]
                ok = floor.grid.inside(ij) & (rows >= 0)
                np.add.at(counts, (rows[ok], ij[ok, 0] * ny + ij[ok, 1]), 1.0)
            if step.tick >= scenario.n_ticks:
                break
            step, _, _ = sim.step()
    return counts

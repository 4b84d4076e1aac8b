"""`whsim perf` (SPEC §9): performance figures, each measured in one process beside its baseline.

Figures are the best of `repeats` repetitions: the best run is the one least disturbed by the rest of the
machine, which on shared 2-core hosts matters more than any mean. Modules that do not exist yet add their
keys when they land.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"


def realtime_factor_world_only(repeats: int) -> float:
    """Simulated seconds per wall second of the default scenario's stepped loop with no sensors and no
    strategy: `Simulation.reset` (world build, planning) then `step()` to the end. Writing the run
    directory is not part of it (`whsim run` reports its own end-to-end figure in metrics.json)."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    sim = Simulation(scenario, sensors=False)
    sim.reset()  # builds the roadmap once, as a long-lived process would
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.reset()
        done = False
        while not done:
            _, done, _ = sim.step()
        best = min(best, time.perf_counter() - t0)
    return round(sim.tick * scenario.dt_s / best, 1)


FIGURES: dict[str, Callable[[int], object]] = {
    "realtime_factor": lambda repeats: {"world_only": realtime_factor_world_only(repeats)},
}


def run_perf(only: str | None = None, repeats: int = 5) -> dict:
    return {k: f(repeats) for k, f in FIGURES.items() if only is None or k == only}

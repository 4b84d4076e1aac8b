"""`whsim perf` (SPEC §9): performance figures, each measured in one process beside its baseline.

Figures are the best of `repeats` repetitions: the best run is the one least disturbed by the rest of the
machine, which on shared 2-core hosts matters more than any mean. Modules that do not exist yet add their
keys when they land.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sim.output.ground_truth import GroundTruthWriter
from sim.scenario.loader import load_scenario
from sim.simulation import Simulation

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"


def realtime_factor_world_only(repeats: int) -> float:
    """Simulated seconds per wall second of the default scenario's loop with no sensors or tracking:
    world stepping, scheduling and ground-truth CSV output, as `whsim run` does them."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    sim = Simulation(scenario)
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            writer = GroundTruthWriter(Path(tmp) / "ground_truth.csv", scenario.dt_s)
            t0 = time.perf_counter()
            step, _ = sim.reset()
            writer.write(step.truth)
            done = False
            while not done:
                step, done, _ = sim.step()
                writer.write(step.truth)
            writer.commit()
            best = min(best, time.perf_counter() - t0)
    return round(sim.tick * scenario.dt_s / best, 1)


FIGURES: dict[str, Callable[[int], object]] = {
    "realtime_factor": lambda repeats: {"world_only": realtime_factor_world_only(repeats)},
}


def run_perf(only: str | None = None, repeats: int = 5) -> dict:
    return {k: f(repeats) for k, f in FIGURES.items() if only is None or k == only}

"""A simulation kept in memory and replayed, so that several strategies run on identical sensor data.

`Recording.record(scenario)` steps the world and the sensors once; `Recording.replay()` gives an object
with the `Simulation` interface the runner drives (`reset` / `step`, `n_ticks`, `tick`, `world`, `sensors`,
`pipeline_seed`, `timer`) that hands the same steps out again. The readings' ground-truth images (depth,
instance and class masks) are dropped on recording: no pipeline may read them, and they are most of the
memory (≈ 0.7 MB of each 320×240 camera frame). Of the instance mask, the actors' pixels are kept as a flat
array: scoring counts them to know which actors a reading saw (`sim.seen_ap.seen_actors`)."""

from __future__ import annotations

import dataclasses
import time

from sim.scenario.models import Scenario
from sim.sensor_kinds import SENSOR_KINDS
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.simulation import Simulation, Step
from sim.timing import StageTimer

_TRUTH_IMAGES = {k.reading: k.truth_fields for k in SENSOR_KINDS.values() if k.truth_fields}


def _lean(step: Step) -> Step:
    def lean(reading):
        fields = _TRUTH_IMAGES.get(type(reading))
        if not fields:
            return reading
        kept = {}
        if "truth_instance" in fields:  # the actors' pixels alone, flattened: what scoring counts
            instance = reading.truth_instance
            kept["truth_instance"] = instance[instance >= ACTOR_INSTANCE_BASE]
        return dataclasses.replace(reading, **{**dict.fromkeys(fields), **kept})

    return dataclasses.replace(step, readings=tuple(lean(r) for r in step.readings))


class Recording:
    def __init__(self, scenario: Scenario, sim: Simulation, steps: list[Step], wall_s: float):
        self.scenario, self.steps, self.wall_s = scenario, steps, wall_s
        self.world, self.sensors, self.pipeline_seed = sim.world, sim.sensors, sim.pipeline_seed

    @classmethod
    def record(cls, scenario: Scenario) -> Recording:
        t0 = time.perf_counter()
        sim = Simulation(scenario)
        step, _ = sim.reset()
        steps = [_lean(step)]
        done = sim.n_ticks == 0
        while not done:
            step, done, _ = sim.step()
            steps.append(_lean(step))
        return cls(scenario, sim, steps, time.perf_counter() - t0)

    def replay(self) -> Replay:
        return Replay(self)


class Replay:
    """The recorded steps again, through the `Simulation` interface."""

    def __init__(self, rec: Recording):
        self._rec = rec
        self.scenario = rec.scenario
        self.world, self.sensors, self.pipeline_seed = rec.world, rec.sensors, rec.pipeline_seed
        self.n_ticks = len(rec.steps) - 1
        self.tick = 0
        self.timer = StageTimer()

    def reset(self, seed: int | None = None) -> tuple[Step, dict]:
        if seed is not None and seed != self.scenario.seed:
            raise ValueError("a replay can only reproduce its recorded seed")
        self.tick = 0
        self.timer = StageTimer()
        return self._rec.steps[0], {"n_ticks": self.n_ticks, "dt_s": self.scenario.dt_s}

    def step(self) -> tuple[Step, bool, dict]:
        if self.tick >= self.n_ticks:
            raise RuntimeError("replay is over: call reset()")
        self.tick += 1
        return self._rec.steps[self.tick], self.tick >= self.n_ticks, {}

"""The stepped simulation loop, in the spirit of Gymnasium's `reset(seed)` / `step()` contract.

One `Simulation` owns the world, the sensor scheduler and (once the fusion issues land) the pipeline.
Randomness: the scenario seed's `SeedSequence` is spawned into one child per component — world, sensors,
pipeline — and each of those spawns its own children, so adding a sensor never changes how actors move.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sim.scenario.models import Scenario
from sim.scheduler import Scheduler
from sim.sensor_kinds import SENSOR_KINDS
from sim.sensors.readings import Reading
from sim.sensors.suite import SensorSuite
from sim.timing import StageTimer
from sim.world.truth import TruthFrame
from sim.world.world import World


@dataclass(frozen=True)
class Step:
    """What one tick produced: the truth (scoring and tests only) and the sensors due at this tick."""

    tick: int
    t: float
    truth: TruthFrame
    due: tuple[str, ...]  # sensor ids that take a reading at this tick
    readings: tuple[Reading, ...] = ()  # sensor readings delivered at this tick (any latency applied)


class Simulation:
    """`reset(seed)` → (Step, info); then `step()` → (Step, terminated, info) until terminated."""

    def __init__(self, scenario: Scenario, *, sensors: bool = True):
        """`sensors=False` runs the world alone (no ray casting), e.g. for `realtime_factor.world_only`."""
        self.scenario = scenario
        self.with_sensors = sensors and bool(scenario.sensors)
        self.sensors: SensorSuite | None = None
        self.world = World(scenario)
        rates = {s.id: s.rate_hz for s in scenario.sensors if SENSOR_KINDS[s.type].rated}
        self.scheduler = Scheduler(rates, scenario.dt_s)
        self.timer = StageTimer()
        self.n_ticks = scenario.n_ticks
        self.tick = 0
        self.seed: int = scenario.seed

    def reset(self, seed: int | None = None) -> tuple[Step, dict]:
        self.seed = self.scenario.seed if seed is None else int(seed)
        world_ss, self._sensor_ss, self.pipeline_seed = np.random.SeedSequence(self.seed).spawn(3)
        self.timer = StageTimer()
        t0 = time.perf_counter()
        truth = self.world.reset(world_ss)
        self.timer.add("world_reset", time.perf_counter() - t0)
        if self.with_sensors:
            self.sensors = SensorSuite(self.scenario, self.world.static, self._sensor_ss, self.timer)
        self.scheduler.reset()
        self.tick = 0
        step = self._observe(0, 0.0, truth)
        return step, {"n_ticks": self.n_ticks, "dt_s": self.scenario.dt_s}

    def step(self) -> tuple[Step, bool, dict]:
        if self.tick >= self.n_ticks:
            raise RuntimeError("simulation is over: call reset()")
        t0 = time.perf_counter()
        truth = self.world.step()
        self.timer.add("world_step", time.perf_counter() - t0)
        self.tick = truth.tick
        step = self._observe(truth.tick, truth.t, truth)
        return step, self.tick >= self.n_ticks, {}

    def _observe(self, tick: int, t: float, truth: TruthFrame) -> Step:
        due = tuple(self.scheduler.due(tick))
        if self.sensors is None:
            return Step(tick, t, truth, due)
        t0 = time.perf_counter()
        readings = self.sensors.step(t, truth, due)
        self.timer.add("sensors", time.perf_counter() - t0)
        return Step(tick, t, truth, due, readings)

"""All sensors of a scenario: builds them, fires the due ones each tick, applies faults, delivers readings.

Faults, each counted per sensor: a `dropout` window loses every reading inside it; `burst_dropout` loses
them in Gilbert–Elliott bursts; `latency` delivers readings `latency_s` after they were measured (`t`
stays the measurement time, `delivered_t` says when it arrived); `miscalibration` simulates from the true
pose and reports a believed pose offset (and drifting) from it; `clock` stamps readings with a wrong
time; `multipath` (RFID) fades reads and adds ghost reads in bursts; `hot_spot` (thermal) shows a heat
source the site map does not know.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, replace

import numpy as np

from sim.scenario.models import (
    BurstDropoutFault,
    ClockFault,
    DropoutFault,
    HotSpotFault,
    LatencyFault,
    MiscalibrationFault,
    MultipathFault,
    Scenario,
)
from sim.sensor_kinds import SENSOR_KINDS, SiteFacts
from sim.sensors.base import Sensor, TickContext
from sim.sensors.geometry import actor_meshes, static_mesh
from sim.sensors.raycast import ACTOR_INSTANCE_BASE, ActorScene, StaticScene
from sim.sensors.readings import Reading
from sim.timing import StageTimer
from sim.world.actor_spec import actor_specs
from sim.world.layout import StaticWorld
from sim.world.truth import TruthFrame


@dataclass
class SensorStats:
    type: str
    readings: int = 0  # measured and delivered (or still in flight)
    dropped: int = 0  # lost to a dropout or burst-dropout fault
    restamped: int = 0  # stamped by a wrong clock
    delayed: int = 0  # delivered late by a latency fault
    miscalibrated: int = 0  # reported with a believed pose that is not the true one
    ghost_reads: int = 0  # RFID: tags read through a multipath reflection
    multipath_rounds: int = 0  # RFID: inventory rounds inside a multipath burst
    hot_spot_frames: int = 0  # thermal: frames showing a heat source the site map does not know


def _in_window(fault, t: float) -> bool:
    return t >= fault.start_s - 1e-9 and (fault.end_s is None or t < fault.end_s - 1e-9)


class SensorSuite:
    """Every sensor of the scenario, sharing one static scene and one actor scene per tick."""

    def __init__(
        self, scenario: Scenario, static: StaticWorld, seed: np.random.SeedSequence, timer: StageTimer
    ):
        self.timer = timer
        t0 = time.perf_counter()
        self.static_world = static
        self.static = StaticScene(static_mesh(static))
        specs = actor_specs(scenario.actors)
        self.index = {s.id: k for k, s in enumerate(specs)}
        sizes = np.array([(s.length, s.width, s.height) for s in specs], float).reshape(-1, 3)
        self.meshes = actor_meshes([s.kind for s in specs], sizes, np.array([s.class_id for s in specs]))
        self.temperature = np.array([s.temperature_c for s in specs], float)
        pallet_tags = [(p.tag, np.asarray(p.box.center)) for p in static.pallets if p.tag]
        rngs = [np.random.default_rng(s) for s in seed.spawn(len(scenario.sensors))]
        site = SiteFacts(
            scenario.layout.ambient_c, list(scenario.layout.heat_sources), static.rack_rows, pallet_tags
        )
        self.sensors: list[Sensor] = []
        self.rated: list[Sensor] = []
        self.beams: list[Sensor] = []
        for spec, rng in zip(scenario.sensors, rngs, strict=True):
            kind = SENSOR_KINDS[spec.type]
            sensor = kind.build(spec, rng, site)
            sensor.prepare(self.static)
            self.sensors.append(sensor)
            (self.rated if kind.rated else self.beams).append(sensor)
        self.by_id = {s.id: s for s in self.sensors}
        # Faults draw from their own generators (spawned after the sensors'), so adding a fault never
        # changes a sensor's noise.
        self.fault_rng = {
            s.id: np.random.default_rng(ss)
            for s, ss in zip(scenario.sensors, seed.spawn(len(scenario.sensors)), strict=True)
        }
        self._in_burst: dict[tuple[str, int], bool] = {}  # (sensor id, fault index) → in a burst now
        self.faults = {s.id: [f for f in scenario.faults if f.sensor == s.id] for s in self.sensors}
        self.stats = {s.id: SensorStats(s.kind) for s in self.sensors}
        self._in_flight: list[tuple[float, int, Reading]] = []  # (delivery time, order, reading)
        self._order = 0
        timer.add("sensor_setup", time.perf_counter() - t0)

    # ------------------------------------------------------------------------------------------ faults
    def reported_pose(self, sensor: Sensor, t: float) -> np.ndarray:
        """The sensor's own `pose` object unless a miscalibration fault is active (then a new array)."""
        pose = sensor.pose
        for f in self.faults[sensor.id]:
            if isinstance(f, MiscalibrationFault) and _in_window(f, t):
                since = t - f.start_s  # the drift grows from the fault's start
                a = math.radians(f.yaw_deg + f.drift_deg_per_s * since)
                rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
                pose = pose.copy()
                pose[:3, :3] = rz @ pose[:3, :3]
                pose[:3, 3] = pose[:3, 3] + np.asarray(f.offset_m) + np.asarray(f.drift_m_per_s) * since
        return pose

    def _burst(self, sensor_id: str, k: int, f: BurstDropoutFault | MultipathFault) -> bool:
        """One reading's step of fault k's two-state (Gilbert–Elliott) channel: leave a burst with
        1/mean_burst per reading, enter one with p_enter; True while in a burst."""
        rng, key = self.fault_rng[sensor_id], (sensor_id, k)
        was = self._in_burst.get(key, False)
        stay = was and rng.random() >= 1.0 / f.mean_burst
        self._in_burst[key] = now = stay or (not was and rng.random() < f.p_enter)
        return now

    def _dropped(self, sensor_id: str, t: float) -> bool:
        if any(isinstance(f, DropoutFault) and _in_window(f, t) for f in self.faults[sensor_id]):
            return True
        for k, f in enumerate(self.faults[sensor_id]):
            if isinstance(f, BurstDropoutFault) and _in_window(f, t):
                return self._burst(sensor_id, k, f)
        return False

    def _multipath(self, sensor: Sensor, reading: Reading, ctx: TickContext) -> Reading:
        for k, f in enumerate(self.faults[sensor.id]):
            if isinstance(f, MultipathFault) and _in_window(f, reading.t) and self._burst(sensor.id, k, f):
                rng = self.fault_rng[sensor.id]
                reading, ghosts = sensor.multipath(
                    reading, ctx.truth, rng, f.rssi_jump_db, f.ghost_reads, f.ghost_range_m
                )
                self.stats[sensor.id].multipath_rounds += 1
                self.stats[sensor.id].ghost_reads += ghosts
        return reading

    def _unmapped_heat(self, sensor_id: str, t: float) -> tuple[HotSpotFault, ...]:
        return tuple(f for f in self.faults[sensor_id] if isinstance(f, HotSpotFault) and _in_window(f, t))

    def _stamp(self, sensor_id: str, t: float) -> float | None:
        """The time a wrong clock stamps on a reading made at t (None: no clock fault now)."""
        for f in self.faults[sensor_id]:
            if isinstance(f, ClockFault) and _in_window(f, t):
                jitter = self.fault_rng[sensor_id].normal(0.0, f.jitter_s) if f.jitter_s > 0 else 0.0
                return t + f.offset_s + jitter
        return None

    def _latency(self, sensor_id: str, t: float) -> float:
        return sum(
            f.latency_s for f in self.faults[sensor_id] if isinstance(f, LatencyFault) and _in_window(f, t)
        )

    # ------------------------------------------------------------------------------------------- ticks
    def context(self, t: float, truth: TruthFrame) -> TickContext:
        """What the sensors may sense at t; the actor scene is built on first use and shared."""
        rows = np.array([self.index[i] for i in truth.ids], dtype=np.int64)
        scene: list[ActorScene | None] = []

        def actor_scene() -> ActorScene | None:
            if not scene:
                t0 = time.perf_counter()
                scene.append(
                    ActorScene(self.meshes, rows, truth.xyz[:, :2], truth.yaw, ACTOR_INSTANCE_BASE + rows)
                    if len(rows)
                    else None
                )
                self.timer.add("actor_scene", time.perf_counter() - t0)
            return scene[0]

        return TickContext(t, truth, self.static, actor_scene, rows, self.temperature)

    def step(self, t: float, truth: TruthFrame, due: tuple[str, ...]) -> tuple[Reading, ...]:
        """Measure with the sensors due at t (and every beam); return what is delivered at t."""
        ctx = self.context(t, truth)
        for sensor in (*(self.by_id[sid] for sid in due), *self.beams):
            if self._dropped(sensor.id, t):
                if sensor in self.rated:
                    self.stats[sensor.id].dropped += 1
                continue
            t0 = time.perf_counter()
            pose = self.reported_pose(sensor, t)
            stats = self.stats[sensor.id]
            if sensor.kind == "thermal":
                sensor.unmapped_heat = self._unmapped_heat(sensor.id, t)
                stats.hot_spot_frames += bool(sensor.unmapped_heat)
            reading = sensor.measure(ctx, pose)
            if sensor.kind == "rfid":
                reading = self._multipath(sensor, reading, ctx)
            self.timer.add(f"sensor:{sensor.id}", time.perf_counter() - t0)
            if reading is None:
                continue
            stats.readings += 1
            stats.miscalibrated += pose is not sensor.pose
            delay = self._latency(sensor.id, t)
            stats.delayed += delay > 0
            if delay > 0:
                reading = replace(reading, delivered_t=t + delay)
            stamp = self._stamp(sensor.id, t)
            if stamp is not None:
                stats.restamped += 1
                reading = replace(reading, t=stamp)
            heapq.heappush(self._in_flight, (reading.delivered_t, self._order, reading))
            self._order += 1
        out = []
        while self._in_flight and self._in_flight[0][0] <= t + 1e-9:
            out.append(heapq.heappop(self._in_flight)[2])
        return tuple(out)

    def summary(self) -> dict:
        """Per sensor: readings and what each fault did to them (the kind-specific counts for their kind)."""
        out = {}
        for sid, s in self.stats.items():
            out[sid] = {
                "type": s.type,
                "readings": s.readings,
                "dropped": s.dropped,
                "delayed": s.delayed,
                "miscalibrated": s.miscalibrated,
                "restamped": s.restamped,
            }
            if s.type == "rfid":
                out[sid] |= {"multipath_rounds": s.multipath_rounds, "ghost_reads": s.ghost_reads}
            if s.type == "thermal":
                out[sid]["hot_spot_frames"] = s.hot_spot_frames
        return out

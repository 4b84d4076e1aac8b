"""A site's k-coverage: how many sensors would detect an actor of each class on each floor cell, and the
shares of free floor and of traffic covered by at least one and at least two of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.coverage.crowding import SIGHTLINES, Crowd
from sim.coverage.detection_rates import DEFAULT_RATES, DetectionRates
from sim.coverage.visibility import TRACKED, Cover, Floor, sensor_cover
from sim.scenario.models import Scenario
from sim.sensors.geometry import static_mesh
from sim.sensors.raycast import StaticScene
from sim.world.layout import StaticWorld

# Kinds that place an actor on the floor: the detections the run's coverage ceiling counts. RFID reads
# name a tag and a range, a beam an event on a line; they count towards "any sensor" only.
POSITION_KINDS = ("camera", "thermal", "lidar")
KINDS_ORDER = ("camera", "thermal", "lidar", "rfid", "beam")


@dataclass(frozen=True)
class SiteCoverage:
    floor: Floor
    covers: tuple[Cover, ...]
    traffic: np.ndarray  # (len(TRACKED), n_cells) actor-frames
    frames: int = 0  # the frames `traffic` was counted over; 0: no density, so no crowding

    @cached_property
    def crowd(self) -> Crowd | None:
        """The traffic's density, which hides actors from sensors (None without `frames`); one per site, so
        `expected_detected`, `summary` and the search share its clear chances."""
        return Crowd.of(self.floor, self.traffic, self.frames) if self.frames else None

    def count(self, kinds: Iterable[str] | None = None) -> np.ndarray:
        """(len(TRACKED), n_cells) sensors (of `kinds`, default all) that detect each class on each cell."""
        kinds = None if kinds is None else set(kinds)
        n = np.zeros((len(TRACKED), len(self.floor.xy)), np.int32)
        for c in self.covers:
            if kinds is None or c.kind in kinds:
                n += c.seen
        return n

    def shares(self, k: int, kinds: Iterable[str] | None = None) -> dict:
        """Shares of free floor (per class and their mean) and of traffic covered by ≥ k sensors."""
        hit = self.count(kinds) >= k
        free = self.floor.free
        floor = {name: float(hit[j, free].mean()) if free.any() else 0.0 for j, name in enumerate(TRACKED)}
        floor["all"] = float(np.mean(list(floor.values())))
        total = self.traffic.sum(axis=1)
        traffic = {
            name: float((self.traffic[j] * hit[j]).sum() / total[j]) if total[j] else None
            for j, name in enumerate(TRACKED)
        }
        traffic["all"] = float((self.traffic * hit).sum() / total.sum()) if total.sum() else None
        return {"floor": floor, "traffic": traffic}

    def expected_detected(self, rates: DetectionRates = DEFAULT_RATES) -> float | None:
        """Share of traffic a positioning sensor is expected to detect: 1 − Π (1 − p) over the sensors
        covering each actor-frame, p its measured detection rate there times the chance that no other
        actor is in the way (comparable to the coverage ceiling)."""
        undetected = np.ones_like(self.traffic)
        crowd = self.crowd
        for c in self.covers:
            undetected *= 1.0 - rates.probability(c, crowd)
        total = self.traffic.sum()
        return float((self.traffic * (1 - undetected)).sum() / total) if total else None

    def summary(self) -> dict:
        """What `coverage.json` holds (shares rounded to 4 decimals)."""
        kinds = [k for k in KINDS_ORDER if any(c.kind == k for c in self.covers)]
        sensors = {}
        crowd = self.crowd
        for c in self.covers:
            one = SiteCoverage(self.floor, (c,), self.traffic).shares(1)
            sensors[c.sensor_id] = {
                "type": c.kind,
                "floor": one["floor"]["all"],
                "traffic": one["traffic"]["all"],
            }
            sight = SIGHTLINES.get(c.kind)
            covered = self.traffic * c.seen
            if crowd is not None and sight is not None and c.origin is not None and covered.sum():
                # Of the traffic it covers, the share other actors leave in its view (on average).
                clear = crowd.clear(c.origin, c.seen, sight)
                sensors[c.sensor_id]["clear"] = float((covered * clear).sum() / covered.sum())
        out = {
            "cell_m": self.floor.grid.resolution,
            "traffic_frames": int(self.traffic.sum()),
            "any": {"k1": self.shares(1), "k2": self.shares(2)},
            "position": {"k1": self.shares(1, POSITION_KINDS), "k2": self.shares(2, POSITION_KINDS)},
            "expected_detected": self.expected_detected(),
            "per_kind": {k: self.shares(1, (k,)) for k in kinds},
            "sensors": sensors,
        }
        return _rounded(out)


def _rounded(v):
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return round(v, 4) if isinstance(v, float) else v


def covers_of(
    sensors, static: StaticWorld, floor: Floor, camera_min_pixels: int, scene=None
) -> tuple[Cover, ...]:
    """The cover of every sensor block in `sensors` (one static scene cast into by all)."""
    scene = scene or StaticScene(static_mesh(static))
    return tuple(sensor_cover(s, scene, static, floor, camera_min_pixels) for s in sensors)


def static_world(scenario: Scenario) -> StaticWorld:
    """The scenario's static world as its runs build it (pallets from the scenario seed's layout child)."""
    from sim.simulation import Simulation

    sim = Simulation(scenario, sensors=False)
    sim.reset()
    return sim.world.static


def site_coverage(
    scenario: Scenario, seeds: Iterable[int], cell_m: float = 0.2
) -> tuple[StaticWorld, SiteCoverage]:
    """The scenario's static world and its coverage, weighted by the traffic of runs of `seeds`."""
    from sim.coverage.traffic import frames, traffic

    seeds = list(seeds)
    static = static_world(scenario)
    floor = Floor.of(static, cell_m)
    covers = covers_of(scenario.sensors, static, floor, scenario.pipeline.camera.min_pixels)
    counted = traffic(scenario, floor, seeds)
    return static, SiteCoverage(floor, covers, counted, frames(scenario, len(seeds)))

"""Thermal camera (FLIR Lepton 3.5-like, SPEC §8): per-pixel surface temperature of what each pixel sees.

Actors show their own surface temperature, heat sources from the layout show theirs within their radius,
everything else (floor, racks, walls, pallets, the roof beyond) the ambient temperature. The sensor adds
temporal noise of σ = NETD and a fixed offset per sensor drawn once from its generator within the Lepton's
±5 °C radiometric accuracy.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d

from perception.camera_model import PinholeCamera
from sim.scenario.models import HeatSource
from sim.scenario.models import ThermalSensor as ThermalSpec
from sim.sensors.base import Sensor, TickContext
from sim.sensors.camera import camera_rotation
from sim.sensors.ray_grid import PinholeGrid
from sim.sensors.raycast import ACTOR_INSTANCE_BASE, Hits, StaticScene
from sim.sensors.readings import ThermalFrame

ABSOLUTE_ACCURACY_C = 5.0  # FLIR Lepton 3.5 datasheet: ±5 °C (high-gain mode)


def static_temperature(hits: Hits, rays: np.ndarray, heat: list[HeatSource], ambient_c: float) -> np.ndarray:
    """Per ray (n,): the temperature of what it hits when no actor is there — a heat source's within its
    radius (a disc on the floor, or a ball where it has a height), the ambient temperature elsewhere."""
    temp = np.full(len(hits.t), ambient_c, dtype=np.float32)
    p = rays[:, :3] + rays[:, 3:] * np.where(hits.hit, hits.t, 0)[:, None]
    for src in heat:
        c = np.asarray(src.position, float)
        d = np.linalg.norm(p[:, :2] - c[:2], axis=1) if len(c) == 2 else np.linalg.norm(p - c, axis=1)
        temp[hits.hit & (d <= src.radius_m)] = src.temperature_c
    return temp


class ThermalCamera(Sensor):
    kind = "thermal"

    def __init__(self, spec: ThermalSpec, rng: np.random.Generator, ambient_c: float, heat: list[HeatSource]):
        w, h = spec.resolution
        self.model = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
        super().__init__(spec.id, self.model.T_wc, rng)
        self.grid = PinholeGrid(self.model)
        self.netd = spec.netd_k
        self.ambient = ambient_c
        self.offset = float(rng.uniform(-ABSOLUTE_ACCURACY_C, ABSOLUTE_ACCURACY_C))
        self.heat = heat
        # Heat sources in view that the layout does not list (a `hot_spot` fault), set by the suite
        # before each frame; the empty building's temperatures are cached per set of them.
        self.unmapped_heat: tuple[HeatSource, ...] = ()
        self._static_temp: dict[tuple[HeatSource, ...], np.ndarray] = {}

    def prepare(self, static: StaticScene) -> None:
        self.static_hits = static.cast(o3d.core.Tensor(self.grid.rays))

    def _empty_building(self) -> np.ndarray:
        key = self.unmapped_heat
        if key not in self._static_temp:
            heat = [*self.heat, *key]
            self._static_temp[key] = static_temperature(self.static_hits, self.grid.rays, heat, self.ambient)
        return self._static_temp[key]

    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> ThermalFrame:
        w, h = self.model.width, self.model.height
        hits, changed = ctx.cast(self.grid, self.static_hits)
        temp = self._empty_building().copy()
        if changed.size:  # pixels now seeing an actor show its surface temperature
            temp[changed] = ctx.actor_temperature[hits.instance[changed] - ACTOR_INSTANCE_BASE]
        temp += self.offset + self.rng.standard_normal(len(temp), dtype=np.float32) * self.netd
        return ThermalFrame(
            self.id,
            ctx.t,
            ctx.t,
            temp.reshape(h, w),
            self.model.K,
            reported_pose,
            hits.instance.reshape(h, w),
            hits.cls.reshape(h, w),
        )

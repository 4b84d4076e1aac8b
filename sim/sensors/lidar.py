"""LiDAR: a spinning VLP-16-like scanner or an RGB-D style depth camera, by preset (SPEC §8).

Returns carry range noise, random dropout, a maximum (and minimum) range and an intensity from the
surface's reflectivity and the incidence angle; every point keeps the class and instance it hit as
ground truth for scoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import open3d as o3d

from perception.camera_model import PinholeCamera
from sim.scenario.models import LidarSensor as LidarSpec
from sim.sensors.base import Sensor, TickContext, pose_matrix
from sim.sensors.camera import camera_rotation
from sim.sensors.materials import REFLECTIVITY
from sim.sensors.ray_grid import PinholeGrid, SpinningGrid
from sim.sensors.raycast import StaticScene
from sim.sensors.readings import PointCloud


@dataclass(frozen=True)
class LidarPreset:
    min_range_m: float
    max_range_m: float
    range_noise_m: float  # σ of range noise at 1 m ...
    noise_per_m: float  # ... plus this fraction of the range


# Velodyne VLP-16 datasheet: 16 channels over −15°…+15° (2° apart), 0.2° azimuth resolution at 10 Hz
# (1800 columns), 100 m range, "±3 cm typical accuracy" (taken as 2σ → σ = 1.5 cm).
VLP16 = LidarPreset(0.5, 100.0, 0.015, 0.0)
VLP16_ELEVATIONS = np.radians(np.linspace(-15.0, 15.0, 16))
VLP16_AZIMUTHS = np.radians(np.arange(1800) * 0.2)
# Intel RealSense D435-style depth camera: 87° × 58° field of view, 0.3–10 m, error < 2 % of range at 2 m
# (taken as 2σ → σ = 1 % of range); 212 × 120 depth pixels (the 848 × 480 stream binned by 4).
DEPTH_CAM = LidarPreset(0.3, 10.0, 0.0, 0.01)
DEPTH_CAM_RESOLUTION = (212, 120)
DEPTH_CAM_HFOV_DEG = 87.0


class Lidar(Sensor):
    kind = "lidar"

    def __init__(self, spec: LidarSpec, rng: np.random.Generator):
        R = camera_rotation(spec) if spec.preset == "depth_cam" else _upright(spec)
        super().__init__(spec.id, pose_matrix(R, spec.position), rng)
        if spec.preset == "vlp16":
            self.preset = VLP16
            self.grid = SpinningGrid(np.asarray(spec.position, float), R, VLP16_ELEVATIONS, VLP16_AZIMUTHS)
        else:
            self.preset = DEPTH_CAM
            w, h = DEPTH_CAM_RESOLUTION
            self.grid = PinholeGrid(PinholeCamera.from_hfov(w, h, DEPTH_CAM_HFOV_DEG, spec.position, R))
        self.max_range = spec.max_range_m or self.preset.max_range_m
        self.noise = self.preset.range_noise_m if spec.range_noise_m is None else spec.range_noise_m
        self.dropout = spec.dropout
        self._dirs_world_T = np.ascontiguousarray(self.grid.rays[:, 3:].T)
        self._dirs_sensor_T = np.ascontiguousarray(
            (self.grid.rays[:, 3:].astype(float) @ R).T.astype(np.float32)
        )
        self._origin = np.asarray(spec.position, np.float32)[:, None]

    def prepare(self, static: StaticScene) -> None:
        self.static_hits = h = static.cast(o3d.core.Tensor(self.grid.rays))
        self._static_in_range = self._in_range(h.t)
        self._static_intensity = self._intensity(h.cls, h.normal, self.grid.rays[:, 3:])

    def _in_range(self, t: np.ndarray) -> np.ndarray:
        return (t >= self.preset.min_range_m) & (t <= self.max_range)

    @staticmethod
    def _intensity(cls: np.ndarray, normal: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        """Return strength: the surface's reflectivity times the cosine of the incidence angle."""
        cos_inc = np.abs(np.einsum("ij,ij->i", normal, dirs))
        return np.clip(REFLECTIVITY.astype(np.float32)[cls] * cos_inc, 0.0, 1.0).astype(np.float32)

    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> PointCloud:
        hits, changed = ctx.cast(self.grid, self.static_hits)
        keep, intensity = self._static_in_range, self._static_intensity
        if changed.size:  # only rays that now hit an actor differ from the static sweep
            keep, intensity = keep.copy(), intensity.copy()
            keep[changed] = self._in_range(hits.t[changed])
            intensity[changed] = self._intensity(
                hits.cls[changed], hits.normal[changed], self.grid.rays[changed, 3:]
            )
        if self.dropout > 0:
            keep = keep & (self.rng.random(len(keep), dtype=np.float32) >= self.dropout)
        idx = np.flatnonzero(keep)
        r = hits.t.take(idx)
        sigma = self.noise + self.preset.noise_per_m * r
        r = r + self.rng.standard_normal(len(r), dtype=np.float32) * sigma
        # Column-major (3, n) arithmetic: several times faster than (n, 3) broadcasting in numpy.
        p_sensor = self._dirs_sensor_T.take(idx, axis=1) * r
        if reported_pose is self.pose:
            points = self._dirs_world_T.take(idx, axis=1) * r + self._origin
        else:  # miscalibrated: the true geometry, placed with the believed pose
            points = reported_pose[:3, :3].astype(np.float32) @ p_sensor + reported_pose[:3, 3:4].astype(
                np.float32
            )
        return PointCloud(
            self.id,
            ctx.t,
            ctx.t,
            points.T,
            p_sensor.T,
            intensity.take(idx),
            reported_pose,
            hits.cls.take(idx),
            hits.instance.take(idx),
        )


def _upright(spec: LidarSpec) -> np.ndarray:
    """World-from-sensor rotation of a spinning LiDAR (x forward, z up) from yaw/pitch/roll in degrees."""
    yaw, pitch, roll = (math.radians(v or 0.0) for v in (spec.yaw_deg, spec.pitch_deg, spec.roll_deg))
    cy, sy, cp, sp, cr, sr = (
        math.cos(yaw),
        math.sin(yaw),
        math.cos(pitch),
        math.sin(pitch),
        math.cos(roll),
        math.sin(roll),
    )
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return rz @ ry @ rx

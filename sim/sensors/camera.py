"""RGB camera: pinhole ray casting with Lambertian shading, distance fall-off and pixel noise.

Each frame also carries ground truth for scoring and tests (depth along the optical axis, instance and
class masks); perception reads only `rgb`, `K` and `pose`.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d

from perception.camera_model import PinholeCamera, look_at_rotation, ypr_rotation
from sim.scenario.models import CameraSensor as CameraSpec
from sim.sensors.base import Sensor, TickContext
from sim.sensors.materials import ALBEDO_RGB, SKY_RGB
from sim.sensors.ray_grid import PinholeGrid
from sim.sensors.raycast import StaticScene
from sim.sensors.readings import CameraFrame

LIGHT_DIR = np.array([0.3, 0.2, 1.0]) / np.linalg.norm([0.3, 0.2, 1.0])  # ceiling luminaires, mostly overhead
AMBIENT, DIFFUSE, HEADLIGHT = 0.35, 0.45, 0.25  # shading weights: indirect light, overhead key light, fill
FALLOFF_M = 40.0  # haze / exposure fall-off: brightness × 1 / (1 + (d / FALLOFF_M)²)


def camera_rotation(spec) -> np.ndarray:
    """World-from-camera rotation of a sensor block with look_at or yaw/pitch/roll (degrees)."""
    if spec.look_at is not None:
        return look_at_rotation(spec.position, spec.look_at)
    return ypr_rotation(
        np.radians(spec.yaw_deg or 0.0), np.radians(spec.pitch_deg or 0.0), np.radians(spec.roll_deg)
    )


def shade(cls: np.ndarray, normal: np.ndarray, dirs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """RGB in 0..1 (float32) per ray from class albedo, surface normal, ray direction and distance."""
    hit = np.isfinite(t)
    nd = np.einsum("ij,ij->i", normal, dirs)
    facing = np.where(nd > 0, -1.0, 1.0).astype(np.float32)  # normals turned towards the camera
    light = (
        AMBIENT
        + DIFFUSE * np.clip((normal @ LIGHT_DIR.astype(np.float32)) * facing, 0, None)
        + HEADLIGHT * np.abs(nd)
    )
    falloff = 1.0 / (1.0 + (np.where(hit, t, 0) / FALLOFF_M) ** 2)
    rgb = ALBEDO_RGB.astype(np.float32)[cls] * (light * falloff).astype(np.float32)[:, None]
    rgb[~hit] = SKY_RGB
    return rgb


def to_image(rgb_T: np.ndarray, h: int, w: int) -> np.ndarray:
    """(3, h·w) float32 colour in 0..1 (clipped here, in place) → (h, w, 3) uint8, rounded to nearest."""
    np.clip(rgb_T, 0.0, 1.0, out=rgb_T)
    rgb_T *= np.float32(255)
    rgb_T += np.float32(0.5)
    image = np.empty((h * w, 3), np.uint8)
    for c in range(3):  # channel by channel: one transposed cast-and-copy is ≈ 8× slower
        image[:, c] = rgb_T[c]  # float → uint8 truncates, as astype does
    return image.reshape(h, w, 3)


class Camera(Sensor):
    kind = "camera"

    def __init__(self, spec: CameraSpec, rng: np.random.Generator):
        w, h = spec.resolution
        self.model = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
        super().__init__(spec.id, self.model.T_wc, rng)
        self.grid = PinholeGrid(self.model)
        self.noise_std = spec.noise_std
        self._axis_cos = (self.grid.rays[:, 3:] @ self.model.R_wc[:, 2]).astype(
            np.float32
        )  # ray · optical axis

    def prepare(self, static: StaticScene) -> None:
        self.static_hits = static.cast(o3d.core.Tensor(self.grid.rays))
        h = self.static_hits
        # Kept column-major (3, n): broadcasting over rows is much faster than over (n, 3) in numpy.
        self._static_rgb_T = np.ascontiguousarray(shade(h.cls, h.normal, self.grid.rays[:, 3:], h.t).T)

    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> CameraFrame:
        w, h = self.model.width, self.model.height
        hits, changed = ctx.cast(self.grid, self.static_hits)
        if self.noise_std > 0:
            # Luminance noise (one draw per pixel, all channels): the dominant shot and read noise after
            # demosaicing, at a third of the cost of independent channel noise. Added to the empty view
            # in the pass that copies it, and to the actors' pixels as they are shaded.
            noise = self.rng.standard_normal(h * w, dtype=np.float32) * self.noise_std
            rgb = self._static_rgb_T + noise
        else:
            noise, rgb = None, self._static_rgb_T.copy()
        if changed.size:
            actors = shade(
                hits.cls[changed], hits.normal[changed], self.grid.rays[changed, 3:], hits.t[changed]
            ).T
            rgb[:, changed] = actors if noise is None else actors + noise[changed]
        image = to_image(rgb, h, w)
        return CameraFrame(
            self.id,
            ctx.t,
            ctx.t,
            image,
            self.model.K,
            reported_pose,
            (hits.t * self._axis_cos).reshape(h, w),
            hits.instance.reshape(h, w),
            hits.cls.reshape(h, w),
        )

"""Fixed ray grids of the ray-casting sensors, and which of their rays can reach a bounding sphere.

Cameras and depth cameras are pinhole grids; spinning LiDARs are (elevation, azimuth) grids. Sensors do
not move, so rays are built once. `candidates` turns each actor's bounding sphere into index ranges of
the grid (a rectangle of pixels, or of channels × azimuth columns): a handful of operations per actor
instead of a dense ray-sphere test over every ray.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perception.camera_model import PinholeCamera

_CUBE = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)


def _dedupe(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Sorted unique ray indices from overlapping index sets (a mask: O(n), no sort)."""
    if not parts:
        return np.zeros(0, np.int64)
    if len(parts) == 1:
        return parts[0]
    mask = np.zeros(n, bool)
    for p in parts:
        mask[p] = True
    return np.flatnonzero(mask)


class RayGrid:
    """Rays (n, 6) = origin, unit direction in the world frame, plus actor-candidate selection."""

    rays: np.ndarray

    def candidates(self, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass
class PinholeGrid(RayGrid):
    camera: PinholeCamera

    def __post_init__(self) -> None:
        d = self.camera.pixel_directions()
        self.rays = np.hstack([np.broadcast_to(self.camera.t_wc, d.shape), d]).astype(np.float32)

    def candidates(self, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
        cam = self.camera
        w, h = cam.width, cam.height
        if not len(centres):
            return np.zeros(0, np.int64)
        # Every sphere's bounding cube in the camera frame at once; the rectangles per actor from scalars.
        cubes = centres[:, None, :] + radii[:, None, None] * _CUBE[None]
        corners = cam.to_camera(cubes.reshape(-1, 3)).reshape(len(centres), len(_CUBE), 3)
        z = corners[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = cam.f * corners[..., 0] / z + cam.cx
            v = cam.f * corners[..., 1] / z + cam.cy
        rows = zip(
            z.max(1).tolist(),
            z.min(1).tolist(),
            u.min(1).tolist(),
            u.max(1).tolist(),
            v.min(1).tolist(),
            v.max(1).tolist(),
            strict=True,
        )
        hit = None  # the pixels' mask, (h, w): one slice assignment per actor, one flatnonzero at the end
        for z_max, z_min, u_min, u_max, v_min, v_max in rows:
            if z_max <= 0:
                continue  # behind the camera
            if z_min <= 1e-6:
                u0, u1, v0, v1 = 0, w - 1, 0, h - 1  # straddles the image plane: take every pixel
            else:
                u0, u1 = max(math.floor(u_min), 0), min(math.ceil(u_max), w - 1)
                v0, v1 = max(math.floor(v_min), 0), min(math.ceil(v_max), h - 1)
                if u0 > u1 or v0 > v1:
                    continue
            if hit is None:
                hit = np.zeros((h, w), bool)
            hit[v0 : v1 + 1, u0 : u1 + 1] = True
        return np.zeros(0, np.int64) if hit is None else np.flatnonzero(hit)


@dataclass
class SpinningGrid(RayGrid):
    """A spinning LiDAR: channel elevations × azimuth columns, ray index = channel * n_columns + column."""

    position: np.ndarray
    R_ws: np.ndarray  # world-from-sensor rotation (sensor frame: x forward, y left, z up)
    elevations: np.ndarray  # (channels,) radians
    azimuths: np.ndarray  # (columns,) radians, evenly spaced from 0

    def __post_init__(self) -> None:
        el, az = np.meshgrid(self.elevations, self.azimuths, indexing="ij")
        d = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1).reshape(-1, 3)
        d = d @ self.R_ws.T
        self.rays = np.hstack([np.broadcast_to(self.position, d.shape), d]).astype(np.float32)
        self._step = float(self.azimuths[1] - self.azimuths[0]) if len(self.azimuths) > 1 else 2 * math.pi

    def candidates(self, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
        n_az = len(self.azimuths)
        local = (centres - self.position) @ self.R_ws
        out = []
        for (x, y, z), r in zip(local, radii, strict=True):
            dist = math.sqrt(x * x + y * y + z * z)
            if dist <= r:
                return np.arange(len(self.rays))  # the sensor is inside a sphere: every ray
            ang = math.asin(r / dist)  # angular radius of the sphere seen from the sensor
            el = math.atan2(z, math.hypot(x, y))
            chans = np.flatnonzero(np.abs(self.elevations - el) <= ang + 1e-9)
            if chans.size == 0:
                continue
            # Azimuth half-width grows as 1 / cos(elevation) towards the poles.
            worst = min(abs(el) + ang, math.pi / 2 - 1e-3)
            half = min(math.asin(min(1.0, math.sin(ang) / math.cos(worst))), math.pi)
            az = math.atan2(y, x)
            j0 = math.floor((az - half - self.azimuths[0]) / self._step)
            j1 = math.ceil((az + half - self.azimuths[0]) / self._step)
            cols = np.arange(j0, j1 + 1) % n_az if j1 - j0 + 1 < n_az else np.arange(n_az)
            out.append((chans[:, None] * n_az + cols[None, :]).ravel())
        return _dedupe(out, len(self.rays))

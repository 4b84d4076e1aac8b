"""Pinhole camera model shared by the simulated cameras and by BEV projection.

Camera frame as in OpenCV: x right, y down, z forward along the optical axis. Pixel (u, v) has its centre
at integer coordinates, u along the row, v down the column; K = [[f, 0, cx], [0, f, cy], [0, 0, 1]] with
square pixels. `R_wc` rotates camera-frame vectors into the world frame; `t_wc` is the camera centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def look_at_rotation(position, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """World-from-camera rotation of a camera at `position` looking at `target`, image up towards `up`."""
    z = np.asarray(target, float) - np.asarray(position, float)
    z /= np.linalg.norm(z)
    up = np.asarray(up, float)
    if abs(float(z @ up)) > 1 - 1e-9:  # looking straight along `up`: pick any image up
        up = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


def ypr_rotation(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """World-from-camera rotation from yaw (about world z, from +x), pitch (down positive) and roll
    (about the optical axis), radians. yaw = pitch = roll = 0 looks along +x, level."""
    # Optical axis along body x: camera frame (x right, y down, z forward) in body axes (x fwd, y left, z up).
    body_from_cam = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])  # positive pitch tilts the axis down
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return rz @ ry @ rx @ body_from_cam


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics and pose of one camera."""

    width: int
    height: int
    f: float  # focal length in pixels
    cx: float
    cy: float
    R_wc: np.ndarray  # (3, 3)
    t_wc: np.ndarray  # (3,)

    @classmethod
    def from_hfov(cls, width: int, height: int, hfov_deg: float, position, R_wc) -> PinholeCamera:
        f = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
        return cls(
            width,
            height,
            f,
            (width - 1) / 2,
            (height - 1) / 2,
            np.asarray(R_wc, float),
            np.asarray(position, float),
        )

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.f, 0, self.cx], [0, self.f, self.cy], [0, 0, 1.0]])

    @property
    def T_wc(self) -> np.ndarray:
        """4×4 world-from-camera transform."""
        T = np.eye(4)
        T[:3, :3] = self.R_wc
        T[:3, 3] = self.t_wc
        return T

    def pixel_directions(self) -> np.ndarray:
        """Unit ray directions in the world frame, (height * width, 3), row-major (v, then u)."""
        u, v = np.meshgrid(np.arange(self.width), np.arange(self.height))
        d = np.stack([(u - self.cx) / self.f, (v - self.cy) / self.f, np.ones(u.shape)], axis=-1).reshape(
            -1, 3
        )
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return d @ self.R_wc.T

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        return (np.asarray(points_world, float) - self.t_wc) @ self.R_wc

    def project(self, points_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (n, 2) and depth along the optical axis (n,) of world points."""
        pc = self.to_camera(points_world)
        z = pc[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = np.stack([self.f * pc[:, 0] / z + self.cx, self.f * pc[:, 1] / z + self.cy], axis=1)
        return uv, z

    def floor_points(self, u, v) -> np.ndarray:
        """Where the rays through pixels (u, v) meet the floor z = 0, (n, 2); NaN for rays that do not
        descend (at or above the horizon)."""
        u, v = np.atleast_1d(np.asarray(u, float)), np.atleast_1d(np.asarray(v, float))
        d = np.stack([(u - self.cx) / self.f, (v - self.cy) / self.f, np.ones(len(u))], axis=1) @ self.R_wc.T
        down = d[:, 2] < -1e-9
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(down, -self.t_wc[2] / d[:, 2], np.nan)
        return self.t_wc[:2] + t[:, None] * d[:, :2]

    def ground_homography(self) -> np.ndarray:
        """H mapping floor points (x, y, 1) on z = 0 to homogeneous pixels: H = K [r1 r2 t] (camera from
        world)."""
        R_cw = self.R_wc.T
        t_cw = -R_cw @ self.t_wc
        return self.K @ np.column_stack([R_cw[:, 0], R_cw[:, 1], t_cw])

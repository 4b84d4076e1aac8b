"""What each sensor covers on the floor plan, for the figures: a field of view or a read sector."""

from __future__ import annotations

import math
from dataclasses import dataclass

FOV_RANGE_M = {"camera": 20.0, "thermal": 20.0, "depth_cam": 10.0}  # drawn extent of a field of view
DEPTH_CAM_HFOV_DEG = 87.0  # RGB-D style depth camera (Intel RealSense D435 depth FOV 87° × 58°)
RFID_RANGE_M = (
    7.0  # reliable read range (3–7 m for a 30 dBm reader), drawn as the antenna's half-power sector
)
RFID_HALF_ANGLE_DEG = 35.0
COLOURS = {"camera": "tab:cyan", "thermal": "tab:red", "depth_cam": "tab:olive"}


@dataclass(frozen=True)
class Sector:
    key: str  # one legend entry per key
    label: str
    heading_deg: float
    half_angle_deg: float
    range_m: float
    colour: str
    filled: bool  # a field of view (filled) or a read sector (outlined)


def heading_deg(spec) -> float:
    """Horizontal viewing direction of a sensor block (look_at or yaw), degrees from +x."""
    if getattr(spec, "look_at", None) is not None:
        return math.degrees(
            math.atan2(spec.look_at[1] - spec.position[1], spec.look_at[0] - spec.position[0])
        )
    return float(spec.yaw_deg or 0.0)


def view_sector(key: str, hfov_deg: float, spec) -> Sector:
    label = f"{key.replace('_', ' ')} field of view"
    return Sector(key, label, heading_deg(spec), hfov_deg / 2, FOV_RANGE_M[key], COLOURS[key], True)


def camera_sector(spec) -> Sector:
    return view_sector(spec.type, spec.hfov_deg, spec)


def lidar_sector(spec) -> Sector | None:
    """A depth camera's field of view; a spinning LiDAR sees all round (drawn by its marker only)."""
    return view_sector("depth_cam", DEPTH_CAM_HFOV_DEG, spec) if spec.preset == "depth_cam" else None


def rfid_sector(spec) -> Sector:
    h = math.degrees(math.atan2(spec.boresight[1], spec.boresight[0]))
    label = f"RFID read range (≈ {RFID_RANGE_M:g} m)"
    return Sector("rfid", label, h, RFID_HALF_ANGLE_DEG, RFID_RANGE_M, "tab:purple", False)

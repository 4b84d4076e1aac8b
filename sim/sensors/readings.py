"""What each sensor delivers: immutable, timestamped readings.

`t` is when the sensor measured (tick · dt); `delivered_t` is when it reached the pipeline (later under a
latency fault). `pose` is the world-from-sensor transform the sensor *reports* (wrong under a
miscalibration fault). Fields under `truth_*` are ground truth for scoring and tests only: perception and
fusion must never read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    t: float
    delivered_t: float


@dataclass(frozen=True)
class CameraFrame(Reading):
    rgb: np.ndarray  # (h, w, 3) uint8
    K: np.ndarray  # (3, 3)
    pose: np.ndarray  # (4, 4) world from camera (OpenCV camera frame)
    truth_depth: np.ndarray  # (h, w) float32 distance along the optical axis, inf where nothing is hit
    truth_instance: np.ndarray  # (h, w) int32
    truth_class: np.ndarray  # (h, w) uint8


@dataclass(frozen=True)
class PointCloud(Reading):
    points: np.ndarray  # (n, 3) world frame, through the reported pose
    points_sensor: np.ndarray  # (n, 3) sensor frame
    intensity: np.ndarray  # (n,) 0..1
    pose: np.ndarray  # (4, 4) world from sensor
    truth_class: np.ndarray  # (n,) uint8
    truth_instance: np.ndarray  # (n,) int32


@dataclass(frozen=True)
class ThermalFrame(Reading):
    temperature_c: np.ndarray  # (h, w) float32, as the sensor reports it (offset and noise included)
    K: np.ndarray
    pose: np.ndarray
    truth_instance: np.ndarray
    truth_class: np.ndarray


@dataclass(frozen=True)
class RfidReads(Reading):
    antenna_position: np.ndarray  # (3,) as reported
    tags: tuple[str, ...]
    rssi_dbm: np.ndarray  # (k,)
    phase_rad: np.ndarray  # (k,)
    truth_distance_m: np.ndarray  # (k,)
    frequency_hz: float = 866.3e6  # the channel this round was on


@dataclass(frozen=True)
class BeamEvent(Reading):
    blocked: bool  # the beam's new state

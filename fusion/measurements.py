"""Fusion's own measurement types: small, immutable, timestamped, with the id of the sensor that made them.

The tracker consumes batches of these (one sensor scan at a time); nothing here knows where they came
from, so a user can feed measurements from real sensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fusion.rfid_reads import ReadRound


@dataclass(frozen=True)
class ClassConditioned:
    """The same detections read as bodies of each class in `classes`: centres (m, k, 2) and covariances
    (m, k, 2, 2). A large body seen from one side is measured at its near face and a small one is not, so
    where the body is depends on what it is; a tracker reads each detection as the class of the track it
    tests it against."""

    classes: tuple[str, ...]
    z: np.ndarray
    R: np.ndarray


@dataclass(frozen=True)
class PositionMeasurements:
    """A scan of 2D floor positions (camera, LiDAR and thermal detections, beam crossings, oracle)."""

    t: float
    sensor_id: str
    source: str  # e.g. "thermal", "oracle", "beam"
    z: np.ndarray  # (m, 2)
    R: np.ndarray  # (m, 2, 2)
    cls: tuple[str, ...]  # class per measurement ("unknown" when the source cannot tell)
    score: np.ndarray  # (m,) detection confidence 0..1
    v: np.ndarray | None = None  # (m, 2) velocities, from sources that measure them (the 3D-CNN)
    Rv: np.ndarray | None = None  # (m, 2, 2) their covariances
    may_start: np.ndarray | None = (
        None  # (m,) bool: which may start a track (None: all) — weak ones only continue
    )
    by_class: ClassConditioned | None = None  # the detections read as each class's body, where known

    def __len__(self) -> int:
        return len(self.z)


@dataclass(frozen=True)
class RangeMeasurements:
    """Ranges from known antennas to tagged targets (RFID)."""

    t: float
    sensor_id: str
    anchors: np.ndarray  # (m, 3) antenna positions relative to the tag's height
    ranges: np.ndarray  # (m,)
    sigma: np.ndarray  # (m,) range standard deviations
    tags: tuple[str, ...]
    reads: ReadRound | None = None  # the round's reads and non-reads under the reader's detection model

    def __len__(self) -> int:
        return len(self.ranges)


@dataclass(frozen=True)
class LineCrossing:
    """Something crossed the segment a→b at time t (a break-beam event)."""

    t: float
    sensor_id: str
    a: np.ndarray  # (2,)
    b: np.ndarray  # (2,)
    half_width_m: float = 0.3  # how far from the line the crossing body's centre can be

    def as_position(self) -> PositionMeasurements:
        """The crossing as a position: the segment's middle, uniform along it (variance L²/12)."""
        length = float(np.linalg.norm(self.b - self.a))
        u = (self.b - self.a) / max(length, 1e-9)
        n = np.array([-u[1], u[0]])
        R = (length**2 / 12 + 0.1**2) * np.outer(u, u) + self.half_width_m**2 * np.outer(n, n)
        return PositionMeasurements(
            self.t, self.sensor_id, "beam", ((self.a + self.b) / 2)[None], R[None], ("unknown",), np.ones(1)
        )

"""Where to start a track for a registered tag that no track carries yet, from RFID reads alone.

Reads of one tag by different readers within `window_s` are combined by multilateration; a tag read by
one reader only is placed in that reader's zone (on its boresight at the read's range) when zone starts
are allowed — with other sensors present they are not, since a zone is metres wide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fusion.measurements import RangeMeasurements
from fusion.multilateration import multilaterate

Zone = Callable[[float], tuple[np.ndarray, np.ndarray]]  # slant range → (z, R) of the reader's zone


@dataclass(frozen=True)
class RfidStart:
    """A track to start: position, covariance, tag."""

    t: float
    z: np.ndarray
    R: np.ndarray
    tag: str


class RfidInitiator:
    """Remembers recent reads of unbound tags and proposes starts."""

    def __init__(self, window_s: float = 1.0, zone_starts: bool = True):
        self.window_s, self.zone_starts = window_s, zone_starts
        self._reads: dict[str, list] = {}  # tag → recent reads (t, reader, anchor, range, σ)

    def starts(self, rm: RangeMeasurements, unbound: list[int], zone: Zone) -> list[RfidStart]:
        """Starts for the reads `unbound` (indices into `rm`), given this reader's `zone`."""
        out = []
        for k in unbound:
            tag = rm.tags[k]
            recent = [r for r in self._reads.get(tag, []) if rm.t - r[0] <= self.window_s]
            recent = [r for r in recent if r[1] != rm.sensor_id] + [
                (rm.t, rm.sensor_id, rm.anchors[k], rm.ranges[k], rm.sigma[k])
            ]
            self._reads[tag] = recent
            z, R = zone(float(rm.ranges[k]))
            readers = len({r[1] for r in recent})
            if readers < 2 and not self.zone_starts:
                continue
            if readers >= 2:
                anchors = np.array([r[2] for r in recent])
                z, R = multilaterate(
                    anchors, np.array([r[3] for r in recent]), np.array([r[4] for r in recent]), z
                )
            out.append(RfidStart(rm.t, z, R, tag))
        return out

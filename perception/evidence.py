"""Occupancy evidence of dynamic objects on a BEV grid: from LiDAR pillars, and merged across sensors.

Log-odds per cell: points above `min_height_m` are evidence for an object (`hit_logodds` each, capped at
`max_hits`), a cell whose only returns are floor returns is evidence of free floor (`free_logodds`);
cells with no return at all stay at the prior and are reported unknown. The static map (racks, walls:
known from the site layout) is subtracted: evidence there is forced to strongly "background", since a
rack is not a dynamic object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.bev import Pillars


@dataclass(frozen=True)
class Evidence:
    logodds: np.ndarray  # (nx, ny)
    known: np.ndarray  # (nx, ny) bool: the sensors saw this cell
    views: np.ndarray | None = None  # (nx, ny) int: how many sensors saw it (merged evidence)
    # (nx, ny) bool, from a camera: cells whose floor pixel shows foreground, near a contact or not (the
    # raw inverse-perspective image of what stands in view, before contacts decide where it stands)
    foreground: np.ndarray | None = None


def lidar_evidence(
    pillars: Pillars,
    points_high: np.ndarray,
    static_mask: np.ndarray,
    hit_logodds: float = 1.2,
    free_logodds: float = -1.5,
    max_hits: int = 4,
    static_logodds: float = -8.0,
) -> Evidence:
    """`points_high` (nx, ny): returns above the floor per cell; `pillars.count` all returns."""
    known = pillars.count > 0
    high = np.minimum(points_high, max_hits)
    logodds = np.where(high > 0, hit_logodds * high, np.where(known, free_logodds, 0.0))
    logodds = np.where(static_mask, static_logodds, logodds)
    return Evidence(logodds, known | static_mask)


def merge_evidence(
    layers: list[Evidence], static_mask: np.ndarray | None = None, static_logodds: float = -8.0
) -> Evidence:
    """Independent sensors' evidence summed in log-odds (naive Bayes), with the count of sensors that saw
    each cell: a cell no sensor saw stays at the prior and unknown, not empty. The static map, when
    given, is forced to background."""
    logodds = np.sum([e.logodds for e in layers], axis=0)
    views = np.sum([e.known for e in layers], axis=0, dtype=np.int64)
    known = views > 0
    if static_mask is not None:
        logodds = np.where(static_mask, static_logodds, logodds)
        known = known | static_mask
    return Evidence(logodds, known, views)


def unary_from_logodds(logodds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Data terms (D0, D1) = (−log(1 − p), −log p) with p = sigmoid(log-odds), computed stably."""
    d1 = np.logaddexp(0.0, -logodds)
    d0 = np.logaddexp(0.0, logodds)
    return d0, d1

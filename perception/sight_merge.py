"""One body seen as two pieces along a range sensor's line of sight: a scanner mounted low sees a forklift's
near face and, over its chassis, the mast 1.8 m further on, with the floor between in the chassis' shadow.
Components one behind the other within a forklift's depth, the near one wider than a person, are joined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class SightMerge:
    """When two components of one scan are one body. Depth 2.8 m: a forklift's 2.5 m and a cell each side;
    width 0.7 m: wider than a worker seen from any side (0.5 m), as narrow as a forklift's mast."""

    max_gap_m: float = 2.0  # range between the near piece's far edge and the far piece's near edge
    max_depth_m: float = 2.8  # range from the near piece's near edge to the far piece's far edge (0: off)
    min_near_width_m: float = 0.7  # the near piece's extent across the line of sight


def merge_along_sight(
    xy: np.ndarray, label: np.ndarray, origin: np.ndarray, cell_m: float, rule: SightMerge
) -> tuple[np.ndarray, np.ndarray]:
    """Cells `xy` (n, 2) of components `label` (n,) 1..k seen from `origin` (2,): (new labels 1..k', and
    which of the new components were joined from more than one piece). Joined pairs chain: a piece joined
    to two others makes one body of the three."""
    k = int(label.max(initial=0))
    joined = np.zeros(k, bool)
    if k < 2 or rule.max_depth_m <= 0:
        return label, joined
    d = xy - np.asarray(origin, float)[:2]
    rng = np.hypot(d[:, 0], d[:, 1])
    idx = label - 1
    r_lo = np.full(k, np.inf)
    r_hi = np.zeros(k)
    np.minimum.at(r_lo, idx, rng)
    np.maximum.at(r_hi, idx, rng)
    # Bearings about each component's mean direction, so a piece straddling ±π is not split.
    mean = np.zeros((k, 2))
    np.add.at(mean, idx, d / np.maximum(rng, 1e-9)[:, None])
    centre = np.arctan2(mean[:, 1], mean[:, 0])
    rel = np.angle(np.exp(1j * (np.arctan2(d[:, 1], d[:, 0]) - centre[idx])))
    half = 0.5 * cell_m / np.maximum(rng, cell_m)  # a cell's own angular width
    lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
    np.minimum.at(lo, idx, rel - half)
    np.maximum.at(hi, idx, rel + half)
    width = (hi - lo) * 0.5 * (r_lo + r_hi)
    i, j = np.nonzero(r_lo[:, None] < r_lo[None, :])  # i nearer than j
    off = np.angle(np.exp(1j * (centre[j] - centre[i])))
    overlap = (off + lo[j] <= hi[i]) & (off + hi[j] >= lo[i])
    pair = (
        overlap
        & (r_lo[j] - r_hi[i] <= rule.max_gap_m)
        & (np.maximum(r_hi[i], r_hi[j]) - r_lo[i] <= rule.max_depth_m)
        & (width[i] >= rule.min_near_width_m)
    )
    i, j = i[pair], j[pair]
    if not i.size:
        return label, joined
    graph = coo_matrix((np.ones(i.size), (i, j)), shape=(k, k))
    n, group = connected_components(graph, directed=False)
    sizes = np.bincount(group, minlength=n)
    return group[idx] + 1, sizes > 1

"""Objects from a BEV segmentation: connected components → centroid, extent, orientation, covariance.

The covariance is the spread of the component's cells (a body is somewhere within its footprint's
centroid uncertainty: the cells' covariance over the count) plus the cell quantisation (res²/12), with a
floor of `min_std_m`; a component wider than its class's body along a principal axis may hold more than
one (two workers walking together), so the spread beyond the body's own (L²/12) is added along that axis.
A class is guessed from height and footprint when heights are given: low and small
→ AGV, large → forklift, tall and small → worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.bev import BevGrid
from perception.class_priors import DEFAULT_PRIORS, ClassPriors
from perception.morphology import bounding_box, close_square
from perception.sight_merge import SightMerge, merge_along_sight


@dataclass(frozen=True)
class BevDetection:
    position: np.ndarray  # (2,)
    covariance: np.ndarray  # (2, 2)
    extent_m: tuple[float, float]  # length, width along the principal axes
    yaw: float  # of the principal axis
    cls: str
    cells: int


def components(
    mask: np.ndarray,
    grid: BevGrid,
    z_max: np.ndarray | None = None,
    min_cells: int = 3,
    min_std_m: float = 0.1,
    bridge_cells: int = 0,
    priors: ClassPriors = DEFAULT_PRIORS,
    origin: np.ndarray | None = None,
    sight: SightMerge | None = None,
) -> list[BevDetection]:
    """Objects of a foreground mask; parts closer than `bridge_cells` (a sparse far body) count as one, and
    so do parts one behind the other as seen from a range sensor at `origin` (`sight`); classes by
    `priors` from the highest return (`z_max`) and the footprint (a body so joined is a deep one)."""
    # In the box around the foreground, grown by the closing's reach: the same objects, numbered alike.
    box = bounding_box(mask, pad=2 * bridge_cells)
    if box is None:
        return []
    sub = mask[box]
    grouped = close_square(sub, 2 * bridge_cells + 1) | sub if bridge_cells else sub  # = 3 × 3 closings
    labels, n = ndimage.label(grouped, structure=np.ones((3, 3), bool))
    labels[~sub] = 0
    if n == 0:
        return []
    ii, jj = np.nonzero(labels)
    lab = labels[ii, jj]
    ii, jj = ii + box[0].start, jj + box[1].start
    deep = np.zeros(n, bool)
    if origin is not None and sight is not None:
        xy = grid.cell_to_world(np.column_stack([ii, jj]))
        lab, deep = merge_along_sight(xy, lab, origin, grid.resolution, sight)
        n = deep.size
    out = []
    res = grid.resolution
    for k in range(1, n + 1):
        sel = lab == k
        if sel.sum() < min_cells:
            continue
        pts = grid.cell_to_world(np.column_stack([ii[sel], jj[sel]]))
        c = pts.mean(axis=0)
        spread = np.cov(pts.T) if len(pts) > 1 else np.zeros((2, 2))
        evals, evecs = np.linalg.eigh(spread + np.eye(2) * res**2 / 12)
        extent = (2 * np.sqrt(3 * evals[1]), 2 * np.sqrt(3 * evals[0]))  # of a uniform rectangle
        yaw = float(np.arctan2(evecs[1, 1], evecs[0, 1]))
        cov = spread / len(pts) + np.eye(2) * (res**2 / 12 + min_std_m**2)
        cls = "unknown"
        if z_max is not None:
            top = float(np.nanmax(z_max[ii[sel], jj[sel]]))
            area = sel.sum() * res * res
            cls = priors.classify(top, area, deep=bool(deep[k - 1]))
            cov = cov + oversize(evals, evecs, priors.footprint_m.get(cls))
        out.append(BevDetection(c, cov, extent, yaw, cls, int(sel.sum())))
    return out


def oversize(evals: np.ndarray, evecs: np.ndarray, footprint: tuple[float, float] | None) -> np.ndarray:
    """The spread of a component beyond one body's of `footprint` (length, width), per principal axis
    (ascending `evals` of the cells' covariance with the quantisation, `evecs` its axes): where the body
    is inside a component larger than itself. A uniform body of length L spreads L²/12."""
    if footprint is None:
        return np.zeros((2, 2))
    own = np.array([footprint[1], footprint[0]]) ** 2 / 12  # minor axis ↔ width, major ↔ length
    excess = np.maximum(evals - own, 0.0)
    return (evecs * excess) @ evecs.T

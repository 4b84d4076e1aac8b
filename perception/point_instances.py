"""Bodies from a segmented scan: points of the tracked classes grouped by their votes for a centre.

Each point labelled forklift, AGV or worker has voted for the floor centre of its body (VoteNet's idea,
Qi et al. 2019). Votes of one body fall within a few centimetres of each other even when the points lie on
its near face only, so grouping votes — connected components of the graph joining votes closer than
`radius_m` — separates neighbouring bodies and places each at its centre rather than its visible side.
Everything per group (class, centre, spread, footprint, yaw) comes from `bincount`s, not a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from perception.classes import TRACKED


@dataclass(frozen=True)
class PointInstanceConfig:
    """Grouping and acceptance of bodies."""

    # Defaults chosen on tuning seeds 11-14 (docs/models/pointnet.md): votes place bodies no better than
    # their points' mean, so the centre is the points'. Since the site map rules bodies out of racks and
    # walls, the stray labels the old 0.8 / 4 points guarded against are gone, and a sparse VLP-16 body's
    # less sure points count: 0.4 / 3 points (`default`, 2026-12-04: AP over seen actors 0.912 → 0.941,
    # MOTA +0.026). Votes of one forklift scatter ±0.7 m, which 1.5 m covered; on `busy` that joins
    # neighbours, and 1.0 m finds more bodies there (seeds 11-13) at no cost on `default`.
    radius_m: float = 1.0  # votes closer than this are joined
    min_points: int = 3  # smaller groups are dropped (stray labels)
    min_confidence: float = 0.4  # points labelled less surely than this do not vote
    min_sigma_m: float = 0.1  # floor of a centre's σ
    group_by: str = "votes"  # join points whose "votes" or whose floor positions ("points") are close
    centre_by: str = "points"  # a body's centre: the mean of its "votes", or of its "points"


@dataclass(frozen=True)
class PointInstances:
    """k bodies: class id, floor centre, covariance, point count, footprint (length ≥ width), yaw, top."""

    cls: np.ndarray  # (k,)
    centre: np.ndarray  # (k, 2)
    covariance: np.ndarray  # (k, 2, 2)
    n_points: np.ndarray  # (k,)
    extent: np.ndarray  # (k, 2) along and across the principal axis
    yaw: np.ndarray  # (k,)
    top_m: np.ndarray  # (k,) highest point

    def __len__(self) -> int:
        return len(self.cls)


def group_votes(
    points: np.ndarray,
    labels: np.ndarray,
    confidence: np.ndarray,
    votes: np.ndarray,
    config: PointInstanceConfig | None = None,
    n_classes: int = 8,
) -> PointInstances:
    """Bodies of the tracked classes in one segmented scan: points (P, 3), labels, confidence, votes."""
    c = config or PointInstanceConfig()
    on = np.flatnonzero(np.isin(labels, TRACKED) & (confidence >= c.min_confidence))
    empty = PointInstances(*(np.zeros(s) for s in ((0,), (0, 2), (0, 2, 2), (0,), (0, 2), (0,), (0,))))
    if len(on) < c.min_points:
        return empty
    v = np.asarray(votes, float)[on]
    xy = np.asarray(points, float)[on, :2]
    pairs = cKDTree(v if c.group_by == "votes" else xy).query_pairs(c.radius_m, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(on), len(on)))
    _, group = connected_components(graph, directed=False)
    n = np.bincount(group)
    keep = n >= c.min_points
    if not keep.any():
        return empty
    renumber = np.cumsum(keep) - 1
    sel = keep[group]
    g, pts, lab = renumber[group[sel]], np.asarray(points, float)[on[sel]], labels[on[sel]]
    v = v[sel] if c.centre_by == "votes" else pts[:, :2]
    k = int(keep.sum())
    count = np.bincount(g, minlength=k).astype(float)
    votes_of = np.bincount(g * n_classes + lab, minlength=k * n_classes).reshape(k, n_classes)
    centre = np.stack([np.bincount(g, v[:, i], k) for i in (0, 1)], 1) / count[:, None]
    d = v - centre[g]
    spread = np.stack([np.bincount(g, d[:, i] * d[:, j], k) for i, j in ((0, 0), (0, 1), (1, 1))], 1)
    spread /= count[:, None] * np.maximum(count[:, None] - 1, 1)  # variance of the mean
    floor = c.min_sigma_m**2
    cov = np.stack([spread[:, 0] + floor, spread[:, 1], spread[:, 1], spread[:, 2] + floor], 1).reshape(
        k, 2, 2
    )
    yaw, extent = _footprint(pts[:, :2], g, k, count)
    top = np.full(k, -np.inf)
    np.maximum.at(top, g, pts[:, 2])
    return PointInstances(votes_of.argmax(1), centre, cov, count.astype(int), extent, yaw, top)


def _footprint(xy: np.ndarray, g: np.ndarray, k: int, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal-axis yaw of each group's points and their extent along and across it."""
    mean = np.stack([np.bincount(g, xy[:, i], k) for i in (0, 1)], 1) / count[:, None]
    d = xy - mean[g]
    sxx, sxy, syy = (np.bincount(g, d[:, i] * d[:, j], k) for i, j in ((0, 0), (0, 1), (1, 1)))
    yaw = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    axis = np.stack([np.cos(yaw), np.sin(yaw)], 1)[g]
    along = np.einsum("ij,ij->i", d, axis)
    across = d[:, 1] * axis[:, 0] - d[:, 0] * axis[:, 1]
    ext = np.zeros((k, 2))
    for col, u in enumerate((along, across)):
        hi, lo = np.full(k, -np.inf), np.full(k, np.inf)
        np.maximum.at(hi, g, u)
        np.minimum.at(lo, g, u)
        ext[:, col] = hi - lo
    return yaw, ext

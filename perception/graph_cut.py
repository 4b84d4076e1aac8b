"""Graph-cut segmentation of BEV grids with PyMaxflow's vectorised grid calls.

Binary: minimise E(l) = Σ_p D_p(l_p) + λ Σ_{p~q} w_pq [l_p ≠ l_q] over 4-connected cells (Boykov &
Jolly 2001; Kolmogorov & Zabih 2004: exact for these submodular energies). D_p(0) and D_p(1) are the
costs of calling cell p background or foreground; w_pq = 1, or exp(−(e_p − e_q)² / 2σ²) with
`contrast_sigma` so that boundaries are cheaper where the evidence changes. In PyMaxflow's convention a
node in the sink segment pays its source capacity, so foreground = sink, source capacity = D_p(1).

Multi-label (floor, rack, forklift, AGV, worker…): α-expansion over a Potts model, through
`maxflow.fastmin.aexpansion_grid` (Boykov, Veksler & Zabih 2001: within a factor 2 of the optimum).
"""

from __future__ import annotations

import maxflow
import numpy as np
from scipy import ndimage

from perception.morphology import bounding_box


def binary_energy(labels: np.ndarray, d0: np.ndarray, d1: np.ndarray, lam: float, w_right=None, w_down=None):
    """E(l) for a labelling, for tests and reporting (4-connected, optional per-edge weights)."""
    labels = labels.astype(bool)
    data = np.where(labels, d1, d0).sum()
    right = labels[:, 1:] != labels[:, :-1]
    down = labels[1:, :] != labels[:-1, :]
    wr = np.ones(right.shape) if w_right is None else w_right
    wd = np.ones(down.shape) if w_down is None else w_down
    return float(data + lam * ((wr * right).sum() + (wd * down).sum()))


def contrast_weights(evidence: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Edge weights to the right and downward neighbours: exp(−Δe² / 2σ²)."""
    wr = np.exp(-((evidence[:, 1:] - evidence[:, :-1]) ** 2) / (2 * sigma**2))
    wd = np.exp(-((evidence[1:, :] - evidence[:-1, :]) ** 2) / (2 * sigma**2))
    return wr, wd


ROI_MARGIN_CELLS = 16  # regions of interest reach this far beyond the cells that prefer foreground
FIXED_COST = 1e9  # a cell outside every region of interest cannot be foreground


def segment_binary(
    d0: np.ndarray,
    d1: np.ndarray,
    lam: float,
    evidence: np.ndarray | None = None,
    contrast_sigma: float | None = None,
    roi_margin: int | None = ROI_MARGIN_CELLS,
) -> np.ndarray:
    """Minimum-energy foreground mask (bool, same shape as d0).

    Solved only where something can be foreground: around the cells whose data term prefers it (d1 < d0),
    grown by `roi_margin` cells, one graph per connected region, every other cell held background (its
    edges to a region still cost λ w). Where the whole-grid optimum has no foreground outside those
    regions this is the same cut (PyMaxflow returns the canonical minimum cut of each graph), at the cost
    of the regions instead of the grid: on a 300 m × 200 m site a LiDAR scan has a few hundred
    foreground-preferring cells among 1.5 million. The one way the whole-grid optimum reaches further is
    across cells that are a tie (unknown, d0 = d1) to where no boundary is paid — a grid edge, or an
    unknown void all round — which labels empty space foreground; the regions keep it background.
    `roi_margin=None` cuts the whole grid."""
    if roi_margin is None:
        return _segment_grid(d0, d1, lam, evidence, contrast_sigma)
    want = d1 < d0
    out = np.zeros(d0.shape, bool)
    if not want.any():
        return out
    if surely_dense(want, roi_margin):  # noisy evidence: skip growing regions that would cover it all
        return _segment_grid(d0, d1, lam, evidence, contrast_sigma)
    # Grown and labelled in the box around the preferring cells, `roi_margin` wider: nothing outside it
    # can be grown into, and the regions come out numbered as on the whole grid.
    region = bounding_box(want, pad=roi_margin)
    grown = ndimage.maximum_filter(want[region].view(np.uint8), size=2 * roi_margin + 1, mode="constant") > 0
    if grown.sum() > 0.5 * want.size:  # regions over most of the grid (noisy evidence): one cut is cheaper
        return _segment_grid(d0, d1, lam, evidence, contrast_sigma)
    local, _ = ndimage.label(grown)
    labels = np.zeros(d0.shape, local.dtype)
    labels[region] = local
    for k, box in enumerate(ndimage.find_objects(local), start=1):
        # One cell more on every side (within the grid): the held-background neighbours of the region.
        box = tuple(
            slice(max(b.start + r.start - 1, 0), min(b.stop + r.start + 1, n))
            for b, r, n in zip(box, region, d0.shape, strict=True)
        )
        member = labels[box] == k
        fg = _segment_grid(
            np.where(member, d0[box], 0.0),
            np.where(member, d1[box], FIXED_COST),
            lam,
            None if evidence is None else evidence[box],
            contrast_sigma,
        )
        out[box] |= fg & member
    return out


def surely_dense(want: np.ndarray, margin: int) -> bool:
    """Whether the cells within `margin` (Chebyshev) of a `want` cell certainly cover over half the grid:
    a lower bound from b × b blocks (b − 1 ≤ margin), each wholly within reach of any of its cells, for a
    few reductions instead of the full dilation."""
    b = min(8, margin + 1)
    h, w = (n // b * b for n in want.shape)
    blocks = want[:h, :w].reshape(h // b, b, w // b, b).any(axis=(1, 3))
    return int(blocks.sum()) * b * b > 0.5 * want.size


def _segment_grid(d0, d1, lam, evidence, contrast_sigma) -> np.ndarray:
    """The minimum cut of the whole grid given."""
    g = maxflow.Graph[float]()
    nodes = g.add_grid_nodes(d0.shape)
    if contrast_sigma is None or evidence is None:
        g.add_grid_edges(nodes, weights=lam, symmetric=True)  # von Neumann (4-connected) by default
    else:
        wr, wd = contrast_weights(evidence, contrast_sigma)
        right = np.zeros((3, 3))
        right[1, 2] = 1
        down = np.zeros((3, 3))
        down[2, 1] = 1
        w = np.zeros(d0.shape)
        w[:, :-1] = lam * wr
        g.add_grid_edges(nodes, weights=w, structure=right, symmetric=True)
        w = np.zeros(d0.shape)
        w[:-1, :] = lam * wd
        g.add_grid_edges(nodes, weights=w, structure=down, symmetric=True)
    g.add_grid_tedges(nodes, d1, d0)
    g.maxflow()
    return g.get_grid_segments(nodes)


def segment_multilabel(unary: np.ndarray, lam: float, init: np.ndarray | None = None, max_cycles: int = 5):
    """α-expansion labelling (h, w) of unary costs (h, w, L) under a Potts pairwise term λ [l_p ≠ l_q]."""
    n_labels = unary.shape[2]
    V = lam * (1.0 - np.eye(n_labels))
    labels = np.argmin(unary, axis=2) if init is None else init.copy()
    return maxflow.fastmin.aexpansion_grid(unary.astype(float), V, max_cycles=max_cycles, labels=labels)


def potts_energy(labels: np.ndarray, unary: np.ndarray, lam: float) -> float:
    h, w = labels.shape
    data = unary[np.arange(h)[:, None], np.arange(w)[None, :], labels].sum()
    return float(data + lam * ((labels[:, 1:] != labels[:, :-1]).sum() + (labels[1:] != labels[:-1]).sum()))

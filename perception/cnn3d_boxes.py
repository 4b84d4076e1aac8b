"""Boxes on the 3D-CNN's output grid: training targets from true boxes, and detections from its output.

The output grid is the BEV grid coarsened by the network's stride. A box is encoded at the cell holding its
centre (CenterNet, Zhou et al. 2019; CenterPoint, Yin et al. 2021): a Gaussian bump on its class's heatmap,
and at that cell its sub-cell offset, log length and width, yaw as (sin, cos) and velocity. Decoding keeps
the cells that are the maximum of their 3 × 3 neighbourhood over all classes (a max-pool NMS) above a
score threshold, and reads the regressions there; the velocity may instead be read as the heatmap-weighted
mean over the cells round the peak, which averages out single-cell noise in the velocity head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.bev import BevGrid
from perception.cnn3d import N_REGRESSION, OFFSET, SIZE, VELOCITY, YAW


@dataclass(frozen=True)
class Boxes:
    """Floor boxes: centre, class index (into the heatmaps), length and width, yaw, velocity, score."""

    xy: np.ndarray  # (n, 2) m
    cls: np.ndarray  # (n,) int
    size: np.ndarray  # (n, 2) length, width (m)
    yaw: np.ndarray  # (n,) rad, counter-clockwise from +x
    vel: np.ndarray  # (n, 2) m/s
    score: np.ndarray  # (n,) 0..1 (1 for truth)
    past: np.ndarray | None = None  # (n, T − 1, 2) m/s: mean velocity from each earlier frame (targets only)

    def __len__(self) -> int:
        return len(self.xy)

    @classmethod
    def empty(cls) -> Boxes:
        return cls(
            np.zeros((0, 2)), np.zeros(0, int), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0)
        )

    def take(self, keep: np.ndarray) -> Boxes:
        past = None if self.past is None else self.past[keep]
        kept = (self.xy, self.cls, self.size, self.yaw, self.vel, self.score)
        return Boxes(*(a[keep] for a in kept), past)


def output_grid(grid: BevGrid, stride: int) -> BevGrid:
    """The network's output grid: same origin, cells `stride` times larger (the shape rounds up)."""
    shape = (-(-grid.shape[0] // stride), -(-grid.shape[1] // stride))
    return BevGrid(grid.origin, grid.resolution * stride, shape)


def bump_sigma(size: np.ndarray, cell_m: float) -> np.ndarray:
    """Heatmap bump σ in cells: a quarter of the box's geometric mean side, at least 0.8 cell."""
    return np.maximum(0.8, 0.25 * np.sqrt(size[:, 0] * size[:, 1]) / cell_m)


def encode(
    boxes: Boxes, out: BevGrid, n_classes: int, n_regression: int = N_REGRESSION
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(heatmap (K, nx, ny), regression (n_regression, nx, ny), mask (nx, ny)) of true boxes on the output
    grid; boxes off the grid are left out. Where two centres share a cell the later box's regression wins.
    Channels past the 8 hold `boxes.past`, flattened (required then)."""
    if n_regression > N_REGRESSION and (boxes.past is None or 2 * boxes.past.shape[1] != n_regression - 8):
        frames = (n_regression - N_REGRESSION) // 2
        raise ValueError(f"{n_regression} regression channels need boxes.past of {frames} frames")
    heat = np.zeros((n_classes, *out.shape), np.float32)
    reg = np.zeros((n_regression, *out.shape), np.float32)
    mask = np.zeros(out.shape, bool)
    f = (np.asarray(boxes.xy, float) - np.asarray(out.origin)) / out.resolution
    ij = np.floor(f).astype(np.int64)
    ok = out.inside(ij)
    sigma = bump_sigma(np.asarray(boxes.size, float), out.resolution)
    xs, ys = np.arange(out.shape[0]) + 0.5, np.arange(out.shape[1]) + 0.5
    for k in np.flatnonzero(ok):
        i, j, s = ij[k, 0], ij[k, 1], sigma[k]
        r = int(np.ceil(3 * s))
        i0, i1, j0, j1 = (
            max(i - r, 0),
            min(i + r + 1, out.shape[0]),
            max(j - r, 0),
            min(j + r + 1, out.shape[1]),
        )
        # The bump is centred on the peak cell's centre, so the peak cell reads exactly 1.
        g = np.exp(-((xs[i0:i1, None] - i - 0.5) ** 2 + (ys[None, j0:j1] - j - 0.5) ** 2) / (2 * s * s))
        c = int(boxes.cls[k])
        np.maximum(heat[c, i0:i1, j0:j1], g, out=heat[c, i0:i1, j0:j1])
        reg[OFFSET, i, j] = f[k] - ij[k]
        reg[SIZE, i, j] = np.log(boxes.size[k])
        reg[YAW, i, j] = np.sin(boxes.yaw[k]), np.cos(boxes.yaw[k])
        reg[VELOCITY, i, j] = boxes.vel[k]
        if n_regression > N_REGRESSION:
            reg[N_REGRESSION:, i, j] = boxes.past[k].ravel()
        mask[i, j] = True
    return heat, reg, mask


def decode(
    heat: np.ndarray,
    reg: np.ndarray,
    out: BevGrid,
    threshold: float = 0.1,
    max_boxes: int = 100,
    velocity_cells: int = 1,
) -> Boxes:
    """Boxes from heatmap probabilities (K, nx, ny) and regressions (8, nx, ny): the cells that hold the
    maximum over classes of their 3 × 3 neighbourhood, at least `threshold`, best `max_boxes` first.
    `velocity_cells` (odd): the velocity is the mean over that square of cells round the peak, each
    weighted by its heatmap score (cells off the grid weigh nothing); 1 reads the peak cell alone."""
    if velocity_cells < 1 or velocity_cells % 2 == 0:
        raise ValueError(f"velocity_cells must be a positive odd number, not {velocity_cells}")
    best = heat.max(0)
    peak = (best >= threshold) & (best == ndimage.maximum_filter(best, size=3, mode="constant"))
    i, j = np.nonzero(peak)
    order = np.argsort(-best[i, j], kind="stable")[:max_boxes]
    i, j = i[order], j[order]
    r = reg[:, i, j]
    xy = np.asarray(out.origin) + (np.stack([i, j], 1) + r[OFFSET].T) * out.resolution
    return Boxes(
        xy,
        heat[:, i, j].argmax(0),
        np.exp(np.clip(r[SIZE].T, -3.0, 3.0)),
        np.arctan2(r[YAW][0], r[YAW][1]),
        _velocity(best, reg[VELOCITY], i, j, velocity_cells) if velocity_cells > 1 else r[VELOCITY].T.copy(),
        best[i, j],
    )


def _velocity(best: np.ndarray, vel: np.ndarray, i: np.ndarray, j: np.ndarray, cells: int) -> np.ndarray:
    """(n, 2) heatmap-weighted mean velocity over the `cells` × `cells` square round each peak (i, j)."""
    h = cells // 2
    d = np.arange(-h, h + 1)
    wi = np.pad(best, h)[(i + h)[:, None, None] + d[None, :, None], (j + h)[:, None, None] + d[None, None, :]]
    v = np.pad(vel, ((0, 0), (h, h), (h, h)))
    vi = v[:, (i + h)[:, None, None] + d[None, :, None], (j + h)[:, None, None] + d[None, None, :]]
    return ((vi * wi).sum((2, 3)) / wi.sum((1, 2))).T.copy()

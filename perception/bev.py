"""Bird's-eye-view grid and LiDAR pillar features.

`BevGrid` maps floor coordinates to cells (x along the first array axis, y along the second).
`lidar_pillars` bins a point cloud into the grid in one pass of `np.bincount` and ufunc `.at`
reductions — no Python loop over points — giving per cell the point count, the lowest and highest
point and the mean intensity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BevGrid:
    """A floor grid: `origin` is the (x, y) of cell (0, 0)'s corner, `resolution` the cell size in metres."""

    origin: tuple[float, float]
    resolution: float
    shape: tuple[int, int]

    @classmethod
    def covering(cls, size_m, resolution: float = 0.1, origin=(0.0, 0.0)) -> BevGrid:
        nx = int(np.ceil(size_m[0] / resolution))
        ny = int(np.ceil(size_m[1] / resolution))
        return cls((float(origin[0]), float(origin[1])), float(resolution), (nx, ny))

    def world_to_cell(self, xy: np.ndarray) -> np.ndarray:
        """Integer cell indices (n, 2) of floor points (n, 2); points outside give indices outside."""
        xy = np.asarray(xy, float)
        return np.floor((xy - np.asarray(self.origin)) / self.resolution).astype(np.int64)

    def cell_to_world(self, ij: np.ndarray) -> np.ndarray:
        """Centres (n, 2) of cells (n, 2)."""
        return np.asarray(self.origin) + (np.asarray(ij, float) + 0.5) * self.resolution

    def inside(self, ij: np.ndarray) -> np.ndarray:
        ij = np.asarray(ij)
        return (ij[:, 0] >= 0) & (ij[:, 0] < self.shape[0]) & (ij[:, 1] >= 0) & (ij[:, 1] < self.shape[1])

    def at(self, mask: np.ndarray, xy: np.ndarray, outside: bool = False) -> np.ndarray:
        """A boolean cell mask (nx, ny) read at floor points (n, 2); `outside` for points off the grid."""
        ij = self.world_to_cell(xy)
        ok = self.inside(ij)
        out = np.full(len(ij), outside, bool)
        out[ok] = mask[ij[ok, 0], ij[ok, 1]]
        return out

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinate arrays (x of each row, y of each column)."""
        x = self.origin[0] + (np.arange(self.shape[0]) + 0.5) * self.resolution
        y = self.origin[1] + (np.arange(self.shape[1]) + 0.5) * self.resolution
        return x, y


@dataclass(frozen=True)
class Pillars:
    """Per-cell LiDAR features; cells without points have count 0, NaN heights and intensity."""

    count: np.ndarray  # (nx, ny) int
    z_min: np.ndarray  # (nx, ny)
    z_max: np.ndarray  # (nx, ny)
    intensity: np.ndarray  # (nx, ny) mean
    selected: np.ndarray | None = None  # (nx, ny) int: points of the `select` mask per cell, when asked

    @property
    def occupied(self) -> np.ndarray:
        return self.count > 0


def lidar_pillars(
    grid: BevGrid, points: np.ndarray, intensity: np.ndarray | None = None, select: np.ndarray | None = None
) -> Pillars:
    """Pillar features of a world-frame point cloud (n, 3) on `grid`; with `select` (a mask over the
    points) also the count per cell of the selected ones, from the same cell indices."""
    points = np.asarray(points, float)
    nx, ny = grid.shape
    # Column-wise arithmetic (1-D arrays are much faster here than (n, 2) broadcasting); inside the grid the
    # coordinates are non-negative, so truncation is the floor.
    fx = (points[:, 0] - grid.origin[0]) * (1.0 / grid.resolution)
    fy = (points[:, 1] - grid.origin[1]) * (1.0 / grid.resolution)
    ok = (fx >= 0) & (fx < nx) & (fy >= 0) & (fy < ny)
    z = points[:, 2]
    if not ok.all():  # skip three gathers in the usual case of a grid that covers the whole cloud
        fx, fy, z = fx[ok], fy[ok], z[ok]
        intensity = None if intensity is None else np.asarray(intensity)[ok]
        select = None if select is None else np.asarray(select)[ok]
    flat = fx.astype(np.int64) * ny + fy.astype(np.int64)
    n = nx * ny
    count = np.bincount(flat, minlength=n)
    z_min = np.full(n, np.inf)
    z_max = np.full(n, -np.inf)
    np.minimum.at(z_min, flat, z)
    np.maximum.at(z_max, flat, z)
    empty = count == 0
    np.putmask(z_min, empty, np.nan)
    np.putmask(z_max, empty, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if intensity is not None:
            mean_i = np.bincount(flat, weights=np.asarray(intensity, float), minlength=n) / count  # 0/0: NaN
        else:
            mean_i = np.where(empty, np.nan, 0.0)
    shape = grid.shape
    selected = None if select is None else np.bincount(flat[select], minlength=n).reshape(shape)
    return Pillars(
        count.reshape(shape), z_min.reshape(shape), z_max.reshape(shape), mean_i.reshape(shape), selected
    )

"""Cutting a range scan into floor tiles and the per-point features the PointNet reads.

A warehouse scan holds tens of thousands of points over tens of metres; one max-pooled feature over all of
it says nothing about the forklift in one aisle. As Qi et al. did with indoor rooms (1 m blocks of S3DIS),
the cloud is cut into square floor tiles and each tile is one PointNet input. Coordinates inside a tile are
relative to its centre and axis-aligned with the site, so a tile looks the same wherever it is; the scan's
own geometry enters through the height above the floor, the return's intensity and its range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANGE_SCALE_M = 10.0
HEIGHT_SCALE_M = 2.0


COLUMN_M = 0.5  # side of the columns whose points are pooled together (a worker fills about one)
_SPAN = 1 << 24  # grid keys i * _SPAN + j: unique for any site under 8 000 km at 0.5 m


@dataclass(frozen=True)
class Tiles:
    """Each point's tile (P,) and the tiles' centres (T, 2), world frame; each point's column (P,) and
    the number of columns."""

    index: np.ndarray
    centres: np.ndarray
    column: np.ndarray
    n_columns: int

    @property
    def n(self) -> int:
        return len(self.centres)


def _cells(xy: np.ndarray, size_m: float, phase) -> tuple[np.ndarray, np.ndarray]:
    """Square cells of side `size_m`, grid offset by `phase`: each point's cell number, the cells' (i, j)."""
    ij = np.floor((np.asarray(xy, float) - phase) / size_m).astype(np.int64)
    keys, index = np.unique(ij[:, 0] * _SPAN + ij[:, 1], return_inverse=True)
    i = np.floor_divide(keys + _SPAN // 2, _SPAN)
    return index.reshape(-1), np.stack([i, keys - i * _SPAN], 1)


def tile_points(
    xy: np.ndarray, size_m: float, phase: np.ndarray | tuple = (0.0, 0.0), column_m: float = COLUMN_M
) -> Tiles:
    """Square tiles of side `size_m` on a grid offset by `phase` (m); columns of `column_m` inside them."""
    phase = np.asarray(phase, float)
    index, keys = _cells(xy, size_m, phase)
    column, cols = _cells(xy, column_m, phase)
    return Tiles(index, (keys + 0.5) * size_m + phase, column, len(cols))


def point_features(
    points: np.ndarray,
    sensor_xyz: np.ndarray,
    intensity: np.ndarray,
    depth_camera: bool,
    tiles: Tiles,
    size_m: float,
) -> np.ndarray:
    """(P, 6) float32: tile-local x, y (±1 at the tile's edges), height above the floor, intensity, range,
    and whether the scan came from a depth camera (its noise and density differ from a spinning LiDAR's)."""
    p = np.asarray(points, np.float32)
    out = np.empty((len(p), 6), np.float32)
    out[:, :2] = (p[:, :2] - tiles.centres[tiles.index].astype(np.float32)) / np.float32(size_m / 2)
    out[:, 2] = p[:, 2] / HEIGHT_SCALE_M
    out[:, 3] = intensity
    out[:, 4] = np.linalg.norm(p - np.asarray(sensor_xyz, np.float32), axis=1) / RANGE_SCALE_M
    out[:, 5] = float(depth_camera)
    return out

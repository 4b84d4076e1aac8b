"""Actor-candidate selection never misses a ray that passes through the bounding sphere (brute force)."""

from __future__ import annotations

import numpy as np
import pytest

from perception.camera_model import PinholeCamera, look_at_rotation
from sim.sensors.lidar import VLP16_AZIMUTHS, VLP16_ELEVATIONS
from sim.sensors.ray_grid import PinholeGrid, SpinningGrid


def _brute(rays, c, r):
    o, d = rays[:, :3].astype(float), rays[:, 3:].astype(float)
    v = c - o
    along = np.einsum("ij,ij->i", v, d)
    perp = np.linalg.norm(v - along[:, None] * d, axis=1)
    return np.flatnonzero((perp <= r) & (along >= -r))


GRIDS = pytest.mark.parametrize(
    "grid",
    [
        PinholeGrid(
            PinholeCamera.from_hfov(160, 120, 90, (1, 1, 5), look_at_rotation((1, 1, 5), (10, 8, 0)))
        ),
        SpinningGrid(np.array([10.0, 10.0, 3.0]), np.eye(3), VLP16_ELEVATIONS, VLP16_AZIMUTHS[::4]),
    ],
    ids=["pinhole", "spinning"],
)


@GRIDS
def test_candidates_cover_every_ray_through_the_sphere(grid):
    rng = np.random.default_rng(3)
    for _ in range(60):
        c = rng.uniform((0, 0, 0), (20, 20, 2.5))
        r = rng.uniform(0.3, 1.6)
        cand = grid.candidates(c[None], np.array([r]))
        missing = np.setdiff1d(_brute(grid.rays, c, r), cand)
        assert missing.size == 0, f"sphere {c} r={r}: {missing.size} rays missed"
        assert cand.size <= max(50, 40 * _brute(grid.rays, c, r).size + 50)  # and not the whole grid


@GRIDS
def test_candidates_of_several_spheres_are_the_union_of_each(grid):
    """Spheres are handled together (behind the camera, straddling its image plane, outside the view);
    the result must be what each gives alone, merged, sorted, without repeats."""
    rng = np.random.default_rng(5)
    assert grid.candidates(np.zeros((0, 3)), np.zeros(0)).size == 0
    for _ in range(20):
        n = int(rng.integers(2, 9))
        c = rng.uniform((-10, -10, 0), (25, 25, 6), (n, 3))
        r = rng.uniform(0.3, 1.6, n)
        alone = [grid.candidates(c[i : i + 1], r[i : i + 1]) for i in range(n)]
        assert np.array_equal(grid.candidates(c, r), np.unique(np.concatenate(alone)))

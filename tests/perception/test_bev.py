"""BEV grid and LiDAR pillars against brute force; components of a drawn box come back where drawn."""

from __future__ import annotations

import numpy as np

from perception.bev import BevGrid, lidar_pillars
from perception.bev_detections import components
from perception.evidence import unary_from_logodds


def test_grid_round_trip_and_pillars_match_a_loop():
    grid = BevGrid.covering((10, 8), 0.25)
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(-1, 11, 5000), rng.uniform(-1, 9, 5000), rng.uniform(0, 2, 5000)])
    inten = rng.uniform(0, 1, 5000)
    p = lidar_pillars(grid, pts, inten)
    ij = grid.world_to_cell(pts[:, :2])
    assert np.allclose(grid.world_to_cell(grid.cell_to_world(ij[:10])), ij[:10])
    for cell in map(tuple, ij[grid.inside(ij)][:200]):
        sel = np.all(ij == cell, axis=1)
        assert p.count[cell] == sel.sum()
        assert np.isclose(p.z_min[cell], pts[sel, 2].min()) and np.isclose(p.z_max[cell], pts[sel, 2].max())
        assert np.isclose(p.intensity[cell], inten[sel].mean())
    assert p.count.sum() == grid.inside(ij).sum() and np.isnan(p.z_min[p.count == 0]).all()
    assert np.isnan(p.intensity[p.count == 0]).all()
    # A cloud entirely inside the grid takes the path without gathers: the same pillars.
    inside = grid.inside(ij)
    q = lidar_pillars(grid, pts[inside], inten[inside])
    for name in ("count", "z_min", "z_max", "intensity"):
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))
    # The count of selected points per cell is the count of a cloud of those points alone.
    high = pts[:, 2] > 1.2
    s = lidar_pillars(grid, pts, inten, select=high)
    np.testing.assert_array_equal(s.selected, lidar_pillars(grid, pts[high]).count)
    np.testing.assert_array_equal(s.count, p.count)


def test_components_are_the_whole_grids_closed_groups():
    """Objects are grouped in the box around the foreground; they must be those of the whole grid's
    3 × 3 closing, objects at the grid's edge included."""
    from scipy import ndimage

    grid = BevGrid.covering((12, 8), 0.2)
    rng = np.random.default_rng(1)
    for _ in range(30):
        mask = np.zeros(grid.shape, bool)
        for _ in range(rng.integers(1, 6)):
            i, j = rng.integers(0, grid.shape[0]), rng.integers(0, grid.shape[1])
            mask[i : i + rng.integers(1, 8), j : j + rng.integers(1, 8)] = True
        grouped = ndimage.binary_closing(mask, np.ones((3, 3), bool), iterations=3) | mask
        labels, _ = ndimage.label(grouped, structure=np.ones((3, 3), bool))
        labels[~mask] = 0
        sizes = sorted(int(c) for c in np.bincount(labels.ravel())[1:] if c >= 3)
        got = components(mask, grid, min_cells=3, bridge_cells=3)
        assert sorted(d.cells for d in got) == sizes


def test_components_find_a_drawn_box_within_a_cell():
    grid = BevGrid.covering((20, 20), 0.1)
    mask = np.zeros(grid.shape, bool)
    ij = grid.world_to_cell(np.array([[7.0, 5.0], [8.2, 5.6]]))
    mask[ij[0, 0] : ij[1, 0], ij[0, 1] : ij[1, 1]] = True  # a 1.2 × 0.6 m body centred at (7.6, 5.3)
    mask[150, 150] = True  # a single cell: noise
    (det,) = components(mask, grid)
    assert np.linalg.norm(det.position - [7.6, 5.3]) < 0.1
    assert abs(det.extent_m[0] - 1.2) < 0.15 and abs(det.extent_m[1] - 0.6) < 0.15
    assert abs(np.cos(det.yaw)) > 0.99  # long axis along x


def test_a_component_longer_than_its_class_adds_the_excess_spread_along_its_long_axis():
    """Two workers walking side by side are one worker-classed component 1.2 m long: where either body is
    inside it is uncertain by the cells' spread beyond one worker's 0.5 × 0.4 m (a uniform length L
    spreads L²/12); a component of one worker's size gets next to nothing added."""
    grid = BevGrid.covering((20, 20), 0.1)
    res, floor = 0.1, 0.1**2 / 12 + 0.1**2  # quantisation and the min_std_m floor

    def detect(length_cells, width_cells):
        mask = np.zeros(grid.shape, bool)
        mask[50 : 50 + length_cells, 80 : 80 + width_cells] = True
        z_max = np.where(mask, 1.7, np.nan)  # a worker's height: neither AGV nor forklift
        (det,) = components(mask, grid, z_max=z_max)
        assert det.cls == "worker"
        return det, length_cells * width_cells

    def expected(k, n, body_m):  # along an axis k cells long, of n cells in all, against a body's size
        var = (k**2 - 1) / 12 * res**2 * n / (n - 1)  # sample variance of the cells' centres
        return var / n + floor + max(var + res**2 / 12 - body_m**2 / 12, 0.0)

    det, n = detect(12, 4)
    np.testing.assert_allclose(
        det.covariance, np.diag([expected(12, n, 0.5), expected(4, n, 0.4)]), atol=1e-15
    )
    assert det.covariance[0, 0] > 0.1  # σ > 0.3 m along the pair, against ≈ 0.11 m for the centroid alone
    one, n1 = detect(5, 4)
    np.testing.assert_allclose(
        one.covariance, np.diag([expected(5, n1, 0.5), expected(4, n1, 0.4)]), atol=1e-15
    )
    assert one.covariance[0, 0] < 0.015


def test_unary_terms_are_negative_log_probabilities():
    d0, d1 = unary_from_logodds(np.array([-3.0, 0.0, 2.0]))
    p = 1 / (1 + np.exp(-np.array([-3.0, 0.0, 2.0])))
    assert np.allclose(d1, -np.log(p)) and np.allclose(d0, -np.log(1 - p))

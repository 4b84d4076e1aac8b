"""`whsim dataset pointnet`: labels that agree with the scene, disjoint splits, repeatable bytes."""

from __future__ import annotations

import numpy as np

from sim.learning.pointnet_dataset import (
    HELDOUT_SEED_BASE,
    load_scans,
    render_scene,
    save_scans,
    scene_seeds,
)
from sim.learning.random_scenes import random_scene
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.simulation import Simulation


def test_labels_agree_with_the_scene_geometry():
    """Floor points lie on the floor, rack and pallet points inside rack rows, actor points inside their
    actor's box at the scan's tick, and each actor point's vote target is that actor's true centre."""
    scenario = random_scene(5)
    sim = Simulation(scenario)
    step, _ = sim.reset()
    static = sim.world.static
    rows = np.array([(r.x0, r.y0, r.x1, r.y1) for r in static.rack_rows])
    scans = render_scene(5)
    first = [s for s in scans[:4]]  # the t = 0 scans of the four sensors
    truth = step.truth
    for s in first:
        # 4 σ of each point's range noise: 1 % of range for a depth camera, at most 3 cm for a VLP-16
        rng_m = np.linalg.norm(s.points - s.sensor_xyz, axis=1)
        tol = 4 * (0.01 * rng_m if s.depth_camera else np.full(len(rng_m), 0.03))
        floor = s.cls == 0
        assert np.all(np.abs(s.points[floor, 2]) < tol[floor])
        for c in (2, 3):
            p, noise = s.points[s.cls == c], tol[s.cls == c][:, None]
            x, y = p[:, None, 0], p[:, None, 1]
            inside = (x > rows[:, 0] - noise) & (x < rows[:, 2] + noise)
            inside &= (y > rows[:, 1] - noise) & (y < rows[:, 3] + noise)
            inside = inside.any(1)
            assert inside.all()
        for row, actor_id in enumerate(truth.ids):
            k = [a.id for a in scenario.actors].index(actor_id)
            on = s.instance == ACTOR_INSTANCE_BASE + k
            if not on.any():
                continue
            assert set(np.unique(s.cls[on])) == {int(truth.class_ids[row])}
            c, yaw = truth.xyz[row, :2], truth.yaw[row]
            d = s.points[on, :2] - c
            along = d @ [np.cos(yaw), np.sin(yaw)]
            across = d @ [-np.sin(yaw), np.cos(yaw)]
            assert np.all(np.abs(along) <= truth.size[row, 0] / 2 + tol[on])
            assert np.all(np.abs(across) <= truth.size[row, 1] / 2 + tol[on])
            assert np.allclose(s.centre[on], c)
        assert np.isnan(s.centre[~np.isin(s.cls, (4, 5, 6))]).all()
    assert sum(np.isin(s.cls, (4, 5, 6)).sum() for s in scans) > 0


def _gap_to_rects(xy: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Distance (n,) from each point to the nearest rectangle (x0, y0, x1, y1); 0 inside one."""
    dx = np.maximum(np.maximum(rects[:, 0] - xy[:, None, 0], xy[:, None, 0] - rects[:, 2]), 0)
    dy = np.maximum(np.maximum(rects[:, 1] - xy[:, None, 1], xy[:, None, 1] - rects[:, 3]), 0)
    return np.hypot(dx, dy).min(1)


def test_each_point_knows_whether_it_lies_on_the_site_maps_fixed_structure():
    """The mask the segmenter is given at run time: the rack and pallet points of rack rows are on it (all
    but a few at a row's corners, where the map's cells, set by their centres and grown by one cell
    across, leave a diagonal gap), and a body's point is on it only within the map's margin (0.2 m) and
    one 0.2 m cell's diagonal of a rack row or wall, or outside the building (brute force over the
    layout's rectangles)."""
    scenario = random_scene(5)
    sim = Simulation(scenario)
    sim.reset()
    static = sim.world.static
    rects = np.array([(r.x0, r.y0, r.x1, r.y1) for r in static.obstacles])
    w, h = static.size
    racked = missed = body_points = 0
    for s in render_scene(5)[:8]:
        assert s.fixed is not None and s.fixed.shape == s.cls.shape and s.fixed.dtype == bool
        gap = _gap_to_rects(s.points[:, :2], rects)
        in_rows = np.isin(s.cls, (2, 3)) & (gap == 0)
        racked += in_rows.sum()
        missed += (in_rows & ~s.fixed).sum()
        body = np.isin(s.cls, (4, 5, 6))
        x, y = s.points[:, 0], s.points[:, 1]
        edge = np.minimum.reduce([x, y, w - x, h - y])
        near = (gap <= 0.2 + 0.2 * np.sqrt(2) + 1e-6) | (edge <= 0.2 + 0.2 * np.sqrt(2) + 0.2)
        assert near[body & s.fixed].all()
        body_points += body.sum()
    assert racked > 1000 and body_points > 100 and missed <= 0.01 * racked


def test_splits_never_share_a_scene_seed_and_layouts_differ():
    train = scene_seeds("train", 1000, 0)
    held = scene_seeds("heldout", 50, 0)
    assert not set(train) & set(held) and min(held) >= HELDOUT_SEED_BASE
    a, b = random_scene(train[0]), random_scene(held[0])
    assert a.layout != b.layout


def test_a_scene_renders_to_the_same_bytes_and_reads_back(tmp_path):
    save_scans(tmp_path / "a.npz", render_scene(2))
    save_scans(tmp_path / "b.npz", render_scene(2))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    back, again = load_scans(tmp_path / "a.npz"), render_scene(2)
    assert len(back) == len(again)
    for x, y in zip(back, again, strict=True):
        assert np.array_equal(x.points, y.points) and np.array_equal(x.cls, y.cls)
        assert np.allclose(x.centre, y.centre, equal_nan=True)
        assert np.allclose(x.intensity, y.intensity, atol=1e-3)  # stored as float16
        assert np.array_equal(x.fixed, y.fixed)


def test_a_scene_file_without_the_site_map_mask_is_refused_and_rendered_again(tmp_path):
    """Files of an older whsim lack the mask: loading names the cause; `write_dataset` renders them again."""
    import pytest

    from sim.learning.pointnet_dataset import write_dataset

    write_dataset(tmp_path, 1, 0, 1)
    path = tmp_path / "heldout" / f"scene-{HELDOUT_SEED_BASE:07d}.npz"
    with np.load(path) as z:
        old = {k: z[k] for k in z.files if k != "fixed"}
    np.savez(path, **old)
    with pytest.raises(ValueError, match="older whsim"):
        load_scans(path)
    write_dataset(tmp_path, 1, 0, 1)
    assert all(s.fixed is not None for s in load_scans(path))

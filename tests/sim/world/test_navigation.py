"""Roadmap and planner: clearance is right, paths keep it, blocked goals are unreachable."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml

from sim.loading import parse_scenario
from sim.world import navigation
from sim.world.layout import build_static_world
from sim.world.navigation import DENSE_BLOCK, RES_M, build_navmap
from tests.conftest import DEFAULT_SCENARIO, scenario_dict


@pytest.fixture(scope="module")
def default_world():
    sc = parse_scenario(DEFAULT_SCENARIO.read_text())
    w = build_static_world(sc.layout, np.random.default_rng(0))
    return w, build_navmap(w)


def _dist_to_rects(p: np.ndarray, rects) -> np.ndarray:
    """Exact distance from points (n, 2) to the union of rectangles (0 inside)."""
    out = np.full(len(p), np.inf)
    for r in rects:
        dx = np.maximum.reduce([r.x0 - p[:, 0], np.zeros(len(p)), p[:, 0] - r.x1])
        dy = np.maximum.reduce([r.y0 - p[:, 1], np.zeros(len(p)), p[:, 1] - r.y1])
        out = np.minimum(out, np.hypot(dx, dy))
    return out


def _dist_outside(p, size):
    L, W = size
    return np.minimum.reduce([p[:, 0], L - p[:, 0], p[:, 1], W - p[:, 1]])


def test_clearance_field_matches_brute_force(default_world):
    w, nav = default_world
    rng = np.random.default_rng(0)
    p = rng.uniform((0, 0), w.size, size=(2000, 2))
    truth = np.minimum(_dist_to_rects(p, w.obstacles), _dist_outside(p, w.size))
    got = nav.clearance_at(p)
    # Rasterised at RES_M: within a cell diagonal of the exact distance.
    assert np.abs(got - truth).max() <= RES_M * np.sqrt(2) + 1e-9


@pytest.mark.parametrize("radius,turn", [(0.85, 1.64), (0.6, 0.86), (0.4, 0.52)])
def test_random_plans_keep_their_clearance(default_world, radius, turn):
    w, nav = default_world
    rng = np.random.default_rng(1)
    free = nav.free_nodes(radius)
    for _ in range(40):
        a, b = free[rng.integers(len(free))], free[rng.integers(len(free))]
        path = nav.plan(a, b, radius, turn)
        assert path is not None
        assert np.allclose(path[0], a) and np.allclose(path[-1], b)
        # Densely sample the polyline and measure exact distances to racks and walls.
        seg = [
            np.linspace(p, q, max(2, int(np.linalg.norm(q - p) / 0.02))) for p, q in itertools.pairwise(path)
        ]
        pts = np.vstack(seg)
        d = np.minimum(_dist_to_rects(pts, w.obstacles), _dist_outside(pts, w.size))
        assert d.min() >= radius - RES_M, f"path comes {d.min():.2f} m from an obstacle"


def test_unreachable_and_avoid(default_world):
    _, nav = default_world
    assert nav.plan((2, 8.8), (10, 3.5), 0.85) is None  # goal inside a rack row
    # With a blocker parked in the middle of aisle y = 8.8 the route goes round by another aisle.
    path = nav.plan((8, 8.8), (20, 8.8), 0.85, 1.64, avoid=[(14, 8.8, 1.8)])
    seg = np.vstack([np.linspace(p, q, 200) for p, q in itertools.pairwise(path)])
    assert np.hypot(seg[:, 0] - 14, seg[:, 1] - 8.8).min() >= 1.8 + 0.85 - 1e-6


def test_a_wall_splits_the_roadmap():
    d = scenario_dict()
    d["layout"]["walls"] = [{"from": [16, 0], "to": [16, 12]}]
    sc = parse_scenario(yaml.safe_dump(d), check_physics=False)
    nav = build_navmap(build_static_world(sc.layout, np.random.default_rng(0)))
    assert nav.component_of((2, 10), 0.4) != nav.component_of((18, 10), 0.4)
    assert nav.plan((2, 10), (18, 10), 0.4) is None


def test_memory_that_grows_with_the_site_is_shared_or_bounded(default_world, monkeypatch):
    """A 300 m × 200 m site held 1.6 GB in its world: every patrolling actor kept its own copy of the
    goal nodes (≈ 2.5 MB each, 200 actors) and 128 cached shortest-path trees of 240 000 nodes took 650 MB.
    Patrols now share one read-only array per (radius, component, region); the tree cache is bounded in
    bytes as well as in count."""
    import sim.world.navigation as navigation

    _, nav = default_world
    nav._trees.clear()
    a = nav.goal_nodes(0.4, nav.component_of((2, 8), 0.4), None, 0.2)
    b = nav.goal_nodes(0.4, nav.component_of((20, 12.5), 0.4), None, 0.2)
    assert a is b and not a.flags.writeable and len(a) > 100
    per_tree = 24 * len(nav.nodes)  # dist and g_extra float64, pred and src int32
    monkeypatch.setattr(navigation, "TREE_CACHE_BYTES", 5 * per_tree)
    free = nav.free_nodes(0.4)
    for goal in free[:12]:
        nav.plan(free[-1], goal, 0.4)
    assert len(nav._trees) == 5


def test_segment_clearance_is_a_tight_lower_bound(default_world):
    """Sampled every `step`, less half a step: never above the exact minimum along the segment, and
    within half a step plus the field's rasterisation error of it."""
    w, nav = default_world
    rng = np.random.default_rng(3)
    a = rng.uniform((0, 0), w.size, size=(60, 2))
    b = a + rng.normal(0, 4, size=(60, 2))
    for step in (RES_M, 0.2):
        got = nav.segment_clearance(a, b, step)
        dense = [np.linspace(p, q, 2000) for p, q in zip(a, b, strict=True)]
        exact = np.array([nav.clearance_at(s).min() for s in dense])
        assert np.all(got <= exact + 1e-12)
        assert np.all(got >= exact - step / 2 - 1e-9 - step)  # a 1-Lipschitz field, sampled every step


# Many segments of alike lengths (the roadmap's edges) take the dense path, in blocks (made small here so
# that 321 segments fill several); few, or mixed, the ragged one.
@pytest.mark.parametrize("block, spread", [(64, 0.1), (64, 30.0), (DENSE_BLOCK, 0.1)])
def test_segment_clearance_takes_the_smallest_of_its_samples(default_world, monkeypatch, block, spread):
    """Dense or ragged, the smallest clearance over ceil(length / step) + 1 evenly spaced samples of each
    segment, less half a step."""
    monkeypatch.setattr(navigation, "DENSE_BLOCK", block)
    w, nav = default_world
    rng = np.random.default_rng(5)
    count = 5 * 64 + 1  # the last block holds one segment
    a = rng.uniform((0, 0), w.size, size=(count, 2))
    ang = rng.uniform(-np.pi, np.pi, count)
    length = 1.0 + spread * rng.uniform(0, 1, count) ** 2
    b = a + length[:, None] * np.column_stack([np.cos(ang), np.sin(ang)])
    got = nav.segment_clearance(a, b)
    n = np.ceil(np.linalg.norm(b - a, axis=1) / RES_M).astype(int) + 1
    brute = [
        nav.clearance_at(p + np.linspace(0, 1, k)[:, None] * (q - p)).min()
        for p, q, k in zip(a, b, n, strict=True)
    ]
    np.testing.assert_allclose(got, np.array(brute) - RES_M / 2, rtol=0, atol=1e-12)


def test_cutting_nodes_from_the_roadmap_leaves_the_paths_of_the_graph_without_them(default_world):
    """Replanning around a blocker cuts every edge touching a blocked node: Dijkstra's distances,
    predecessors and sources equal those over D·G·D, D the diagonal of kept nodes (the edges removed)."""
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra

    from sim.world.navigation import _cut_nodes

    _, nav = default_world
    g, _, _ = nav._graph(0.6)
    rng = np.random.default_rng(4)
    for _ in range(3):
        blocked = rng.random(g.shape[0]) < 0.1
        d = sparse.diags((~blocked).astype(float))
        removed = (d @ g @ d).tocsr()
        removed.eliminate_zeros()
        src = rng.choice(np.flatnonzero(~blocked), 5, replace=False)
        want = dijkstra(removed, indices=src, min_only=True, return_predecessors=True)
        got = dijkstra(_cut_nodes(g, blocked), indices=src, min_only=True, return_predecessors=True)
        assert np.isinf(want[0]).sum() > blocked.sum()  # blocked nodes and some cut off behind them
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)

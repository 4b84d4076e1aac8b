"""Pieces of one body along a range sensor's line of sight: the join against a plain loop, drawn pieces, and
a forklift seen from behind by a scanner mounted low."""

from __future__ import annotations

import math

import numpy as np
import yaml

from perception.bev import BevGrid
from perception.bev_detections import components
from perception.lidar_detector import LidarDetector
from perception.sight_merge import SightMerge, merge_along_sight
from sim.loading import parse_scenario
from sim.pipeline.frontends.base import site_bev_map
from sim.simulation import Simulation

RULE = SightMerge(max_gap_m=2.0, max_depth_m=2.8, min_near_width_m=0.7)


def _plain_pairs(xy, label, origin, cell, rule):
    """The rule one pair at a time, bearings measured with math.atan2 about the near piece's first cell."""
    k = label.max()
    pieces = [xy[label == c] - origin for c in range(1, k + 1)]
    joined = set()
    for a in range(k):
        for b in range(k):
            pa, pb = pieces[a], pieces[b]
            ra, rb = np.hypot(*pa.T), np.hypot(*pb.T)
            if not ra.min() < rb.min():
                continue
            ref = math.atan2(pa[:, 1].mean(), pa[:, 0].mean())

            def span(p, r, ref=ref):
                ang = [math.remainder(math.atan2(y, x) - ref, math.tau) for x, y in p]
                half = [0.5 * cell / max(v, cell) for v in r]
                lo = [a - h for a, h in zip(ang, half, strict=True)]
                hi = [a + h for a, h in zip(ang, half, strict=True)]
                return min(lo), max(hi)

            (alo, ahi), (blo, bhi) = span(pa, ra), span(pb, rb)
            width = (ahi - alo) * 0.5 * (ra.min() + ra.max())
            if (
                blo <= ahi
                and bhi >= alo
                and rb.min() - ra.max() <= rule.max_gap_m
                and max(ra.max(), rb.max()) - ra.min() <= rule.max_depth_m
                and width >= rule.min_near_width_m
            ):
                joined.add((a, b))
    return joined


def _union(k, pairs):
    parent = list(range(k))
    for a, b in pairs:
        parent[_root(parent, a)] = _root(parent, b)
    return parent


def _root(parent, a):
    while parent[a] != a:
        a = parent[a]
    return a


def _partition(label):
    return sorted(sorted(np.flatnonzero(label == v).tolist()) for v in np.unique(label))


def test_the_join_is_the_plain_rule_on_random_pieces():
    rng = np.random.default_rng(7)
    for _ in range(60):
        k = int(rng.integers(2, 6))
        origin = rng.uniform(-2, 2, 2)
        xy, label = [], []
        for c in range(k):
            centre = origin + rng.uniform(3, 9) * np.array([1.0, rng.uniform(-0.3, 0.3)])
            n = int(rng.integers(2, 12))
            xy.append(centre + rng.uniform(-0.6, 0.6, (n, 2)) * rng.uniform(0.2, 1.0, 2))
            label += [c + 1] * n
        xy, label = np.vstack(xy), np.array(label)
        new, joined = merge_along_sight(xy, label, origin, 0.2, RULE)
        pairs = _plain_pairs(xy, label, origin, 0.2, RULE)
        expected = np.array([_root(_union(k, pairs), c - 1) for c in label])  # groups of the pairs
        assert _partition(new) == _partition(expected)
        for v in np.unique(new):
            assert joined[v - 1] == (len(np.unique(label[new == v])) > 1)


def _mask(grid, boxes):
    mask = np.zeros(grid.shape, bool)
    for (x0, y0), (x1, y1) in boxes:
        (i0, j0), (i1, j1) = grid.world_to_cell(np.array([[x0, y0], [x1, y1]]))
        mask[i0:i1, j0:j1] = True
    return mask


def test_a_wide_face_and_a_mast_behind_it_are_one_forklift_but_side_by_side_pieces_are_not():
    grid = BevGrid.covering((20, 12), 0.2)
    z = np.full(grid.shape, 1.5)  # both pieces: a worker's height, too small for a forklift's footprint
    origin = np.array([1.0, 6.0])
    face = ((10.0, 5.4), (10.4, 6.6))  # 1.2 m across the line of sight
    mast = ((11.8, 5.6), (12.2, 6.4))  # 1.8 m further on
    for boxes, origin_used, n, cls in (
        ((face, mast), origin, 1, "forklift"),
        ((face, mast), None, 2, "worker"),  # no sensor position: no join
        ((face, ((11.8, 8.6), (12.2, 9.4))), origin, 2, "worker"),  # beside, not behind
        ((((10.0, 5.8), (10.4, 6.2)), mast), origin, 2, "worker"),  # the near piece a worker's width
        ((face, ((13.6, 5.6), (14.0, 6.4))), origin, 2, "worker"),  # deeper than a forklift
    ):
        got = components(_mask(grid, boxes), grid, z, min_cells=2, origin=origin_used, sight=RULE)
        assert len(got) == n and {d.cls for d in got} == {cls}
    (one,) = components(_mask(grid, (face, mast)), grid, z, min_cells=2, origin=origin, sight=RULE)
    assert abs(one.position[0] - 11.1) < 0.4 and abs(one.position[1] - 6.0) < 0.1


def test_a_low_scanner_sees_a_forklift_from_behind_as_one_forklift():
    """A VLP-16 2 m up and 12 m behind sees the counterweight, the guard's posts over the chassis and the
    mast 1.8 m further on. Before the guard had posts (sim/sensors/geometry.py) the pillars made two small
    pieces that only the join made one forklift; the posts now bridge them, and the join must leave the
    one forklift as it is."""
    d = {
        "name": "t",
        "duration_s": 1,
        "layout": {"size_m": [24, 12], "height_m": 6},
        "actors": [
            {
                "id": "f",
                "kind": "forklift",
                "motion": {"type": "stationary", "position": [15, 6], "yaw_deg": 0},
            }
        ],
        "sensors": [{"id": "l", "type": "lidar", "preset": "vlp16", "position": [3, 6, 2.0]}],
    }
    sc = parse_scenario(yaml.safe_dump(d))
    sim = Simulation(sc)
    step, _ = sim.reset()
    (cloud,) = step.readings
    bev = site_bev_map(sc.layout.size_m, sim.world.static)
    det = LidarDetector(bev.grid, bev.static)
    apart = det.detect(cloud.points, cloud.intensity).objects
    (one,) = det.detect(cloud.points, cloud.intensity, origin=cloud.pose[:2, 3]).objects
    assert [o.cls for o in apart] == ["forklift"]
    assert np.allclose(apart[0].position, one.position)
    assert one.cls == "forklift" and np.linalg.norm(one.position - [15, 6]) < 0.5

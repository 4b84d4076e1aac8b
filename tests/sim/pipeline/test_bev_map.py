"""The site's BEV map: truth rasterisation against point-in-polygon, pooled IoU by hand, a depth camera's
points lifted into the grid like LiDAR, and graph cut beating thresholding on noisy evidence."""

from __future__ import annotations

import numpy as np
import yaml
from matplotlib.path import Path

from perception.bev import BevGrid
from perception.bev_map import SEMANTIC_LABELS, BevState
from perception.evidence import Evidence
from perception.lidar_detector import LidarDetector
from sim.bev_scoring import BevScorer, truth_raster
from sim.loading import parse_scenario
from sim.pipeline.frontends.base import site_bev_map
from sim.simulation import Simulation
from sim.world.kinds import CLASS_IDS
from sim.world.truth import TruthFrame

SIZES = [[2.5, 1.2, 2], [1, 0.7, 0.4], [0.5, 0.4, 1.7]]
CLASSES = [CLASS_IDS["forklift"], CLASS_IDS["agv"], CLASS_IDS["worker"]]


def _truth(xy, yaw, size, cls) -> TruthFrame:
    n = len(xy)
    return TruthFrame(
        0,
        0.0,
        tuple(f"a{k}" for k in range(n)),
        np.asarray(cls),
        np.column_stack([np.asarray(xy, float), np.ones(n)]),
        np.asarray(yaw, float),
        np.zeros((n, 2)),
        np.asarray(size, float),
        np.full(n, 20.0),
        ((),) * n,
    )


def test_truth_raster_matches_point_in_polygon():
    grid = BevGrid.covering((12, 8), 0.2)
    truth = _truth(
        [[3.1, 2.7], [8.0, 5.0], [5.5, 6.2]],
        [0.4, -1.1, 0.0],
        SIZES,
        CLASSES,
    )
    raster = truth_raster(grid, truth)
    x, y = np.meshgrid(*grid.centres(), indexing="ij")
    centres = np.column_stack([x.ravel(), y.ravel()])
    for k, corners in enumerate(truth.corners()):
        inside = Path(corners).contains_points(centres).reshape(grid.shape)
        label = SEMANTIC_LABELS.index(("forklift", "agv", "worker")[k])
        np.testing.assert_array_equal(raster == label, inside)


def test_pooled_iou_by_hand():
    grid = BevGrid.covering((2, 2), 1.0)
    scorer = BevScorer(grid, np.zeros(grid.shape, bool))
    truth = _truth([[0.5, 0.5]], [0.0], [[0.9, 0.9, 1]], [CLASS_IDS["worker"]])  # one cell: (0, 0)
    gc = np.array([[True, True], [False, False]])
    thr = np.array([[True, True], [True, False]])
    ev = Evidence(np.zeros((2, 2)), np.ones((2, 2), bool))
    scorer.update(truth, BevState(0.0, ev, gc, thr, np.full((2, 2), np.nan)))
    scorer.update(truth, BevState(0.1, ev, ~gc & ~thr, ~gc & ~thr, np.full((2, 2), np.nan)))
    r = scorer.result()
    # Step 2 marks only cell (1, 1): intersection 0, union 2.
    assert r["iou_graphcut"] == round((1 + 0) / (2 + 2), 4)  # step 1: 1 / 2
    assert r["iou_threshold"] == round((1 + 0) / (3 + 2), 4)  # step 1: 1 / 3


def test_depth_camera_points_are_lifted_into_the_grid_like_lidar():
    d = {
        "name": "t",
        "duration_s": 1,
        "layout": {"size_m": [12, 12], "height_m": 6},
        "actors": [{"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [6, 6]}}],
        "sensors": [
            {
                "id": "d",
                "type": "lidar",
                "preset": "depth_cam",
                "position": [2, 6, 1.2],
                "look_at": [6, 6, 0.8],
            }
        ],
    }
    sc = parse_scenario(yaml.safe_dump(d))
    sim = Simulation(sc)
    step, _ = sim.reset()
    (cloud,) = step.readings
    bev = site_bev_map(sc.layout.size_m, sim.world.static)
    scan = LidarDetector(bev.grid, bev.static).detect(cloud.points, cloud.intensity)
    known = scan.known
    assert len(scan.objects) == 1
    assert np.linalg.norm(scan.objects[0].position - [6, 6]) < 0.3  # the near side, within about a cell
    bev.add("d", cloud.t, scan.evidence, scan.height)
    state = bev.state(cloud.t)
    i, j = bev.grid.world_to_cell(np.array([[5.85, 6.0]]))[0]
    assert state.graph_cut[i - 1 : i + 2, j - 1 : j + 2].any()
    assert np.nanmax(state.height[i - 1 : i + 2, j - 1 : j + 2]) > 1.5  # a worker is 1.75 m tall
    # A depth camera sees a wedge ahead: the floor behind it (inside the walls) stays unknown.
    behind = ~bev.static.copy()
    behind[int(3.0 / bev.grid.resolution) :, :] = False
    assert behind.any() and not known[behind].any()


def test_graph_cut_beats_thresholding_on_noisy_evidence():
    rng = np.random.default_rng(4)
    grid = BevGrid.covering((20, 12), 0.2)
    truth = _truth(
        [[5, 4], [12, 8], [15, 3]],
        [0.3, 1.0, 0.0],
        SIZES,
        CLASSES,
    )
    occupied = truth_raster(grid, truth) > 0
    scores = []
    for _ in range(5):
        logodds = np.where(occupied, 1.0, -1.0) + rng.normal(0, 1.2, grid.shape)  # noisy sensors
        bev = site_bev_map((20, 12), _empty_world())
        bev.add("s", 0.0, Evidence(logodds, np.ones(grid.shape, bool)))
        st = bev.state(0.0)
        iou = [(m & occupied).sum() / (m | occupied).sum() for m in (st.graph_cut, st.threshold)]
        scores.append(iou)
    gc, thr = np.mean(scores, axis=0)
    assert gc > thr + 0.05


def _empty_world():
    from sim.scenario.models import Layout
    from sim.world.layout import build_static_world

    return build_static_world(Layout(size_m=(20, 12)), np.random.default_rng(0))

"""LiDAR point clouds → BEV evidence → graph cut → detections (perception's BEV pieces, glued).

The static map (rack rows and walls, from the site layout, grown by `STATIC_MARGIN_M`) is subtracted
from the evidence; the graph cut's λ = `GRAPH_CUT_LAMBDA` trades isolated cells against boundary length
(one cell of boundary costs as much as ≈ 0.4 nats of evidence); plain thresholding of the same evidence
(log-odds > 0) is kept for comparison (`bev.iou_threshold` in metrics.json).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fusion.measurements import PositionMeasurements
from perception.bev import BevGrid, lidar_pillars
from perception.bev_detections import components
from perception.evidence import lidar_evidence, unary_from_logodds
from perception.graph_cut import segment_binary
from sim.scenario.models import Scenario
from sim.sensors.readings import PointCloud
from sim.world.layout import StaticWorld

BEV_RESOLUTION_M = 0.2
MIN_HEIGHT_M = 0.15  # returns above this are not floor
STATIC_MARGIN_M = 0.2
GRAPH_CUT_LAMBDA = 0.4
BRIDGE_CELLS = (
    3  # foreground parts within 0.6 m are one body (a forklift's mast and chassis, sparse far returns)
)


class LidarDetector:
    def __init__(self, scenario: Scenario, world: StaticWorld):
        self.grid = BevGrid.covering(scenario.layout.size_m, BEV_RESOLUTION_M)
        x, y = self.grid.centres()
        static = np.zeros(self.grid.shape, bool)
        for r in world.obstacles:
            static[np.ix_((x >= r.x0) & (x <= r.x1), (y >= r.y0) & (y <= r.y1))] = True
        static[[0, -1], :] = True  # the perimeter walls stand just outside the grid's border cells
        static[:, [0, -1]] = True
        grow = round(STATIC_MARGIN_M / BEV_RESOLUTION_M)
        self.static = ndimage.binary_dilation(static, iterations=grow) if grow else static
        self.last = None  # (graph-cut mask, threshold mask, known) of the latest scan, for scoring

    def detect(self, pc: PointCloud) -> tuple[PositionMeasurements, np.ndarray]:
        """Detections of one scan and the mask of cells the scan saw."""
        pts = np.asarray(pc.points, float)
        pillars = lidar_pillars(self.grid, pts, pc.intensity)
        high = lidar_pillars(self.grid, pts[pts[:, 2] > MIN_HEIGHT_M]).count
        ev = lidar_evidence(pillars, high, self.static)
        d0, d1 = unary_from_logodds(ev.logodds)
        fg = segment_binary(d0, d1, GRAPH_CUT_LAMBDA)
        self.last = (fg, ev.logodds > 0, ev.known)
        dets = components(fg, self.grid, pillars.z_max, min_cells=2, bridge_cells=BRIDGE_CELLS)
        z = np.array([d.position for d in dets], float).reshape(-1, 2)
        R = np.array([d.covariance for d in dets], float).reshape(-1, 2, 2)
        pm = PositionMeasurements(
            pc.t,
            pc.sensor_id,
            "lidar",
            z,
            R,
            tuple(d.cls for d in dets),
            np.array([min(1.0, d.cells / 20) for d in dets]),
        )
        return pm, ev.known

    def covered(self, known: np.ndarray):
        grid = self.grid

        def f(xy: np.ndarray) -> np.ndarray:
            ij = grid.world_to_cell(xy)
            ok = grid.inside(ij)
            out = np.zeros(len(xy), bool)
            out[ok] = known[ij[ok, 0], ij[ok, 1]]
            return out

        return f

"""LiDAR point clouds → BEV evidence → graph cut → detections (perception's BEV pieces, glued).

The static map (rack rows and walls, from the site layout: `sim.pipeline.bev_map.static_masks`) is
subtracted from the evidence; the graph cut's λ trades isolated cells against boundary length. Each
scan's evidence also goes into the site's merged BEV map (`BevMap`).
"""

from __future__ import annotations

import numpy as np

from fusion.measurements import PositionMeasurements
from perception.bev import BevGrid, lidar_pillars
from perception.bev_detections import components
from perception.evidence import Evidence, lidar_evidence, unary_from_logodds
from perception.graph_cut import segment_binary
from sim.sensors.readings import PointCloud

MIN_HEIGHT_M = 0.15  # returns above this are not floor
GRAPH_CUT_LAMBDA = 0.4  # a single scan's detections keep small sparse bodies (a far worker's few returns)
BRIDGE_CELLS = 3  # foreground parts within 0.6 m are one body (a forklift's mast and chassis, sparse returns)


class LidarDetector:
    """Detections from one range sensor's scans (a LiDAR, or a depth camera's points lifted the same way)
    on the site's BEV grid, with the static map subtracted."""

    def __init__(self, grid: BevGrid, static: np.ndarray):
        self.grid = grid
        self.static = static
        self.last: tuple[Evidence, np.ndarray] | None = None  # (evidence, highest return) of the last scan

    def detect(self, pc: PointCloud) -> tuple[PositionMeasurements, np.ndarray]:
        """Detections of one scan and the mask of cells the scan saw."""
        pts = np.asarray(pc.points, float)
        pillars = lidar_pillars(self.grid, pts, pc.intensity)
        high = lidar_pillars(self.grid, pts[pts[:, 2] > MIN_HEIGHT_M]).count
        ev = lidar_evidence(pillars, high, self.static)
        d0, d1 = unary_from_logodds(ev.logodds)
        fg = segment_binary(d0, d1, GRAPH_CUT_LAMBDA)
        self.last = (ev, pillars.z_max)
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

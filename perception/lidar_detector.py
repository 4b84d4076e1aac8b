"""Objects in one range scan (a LiDAR sweep, or a depth camera's points): BEV pillars → evidence minus the
static map → binary graph cut → connected components with a class from their height and footprint."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception.bev import BevGrid, lidar_pillars
from perception.bev_detections import BevDetection, components
from perception.class_priors import ClassPriors
from perception.evidence import Evidence, lidar_evidence, unary_from_logodds
from perception.graph_cut import segment_binary
from perception.sight_merge import SightMerge


@dataclass(frozen=True)
class LidarDetectorConfig:
    """Parameters of the per-scan detector."""

    min_height_m: float = 0.15  # returns above this are not floor
    graph_cut_lambda: float = 0.4  # lower than the merged map's: one scan keeps a far worker's few returns
    bridge_cells: int = 3  # parts within 0.6 m are one body (a forklift's mast and chassis, sparse returns)
    min_cells: int = 2
    full_score_cells: int = 20  # a component this large scores 1
    sight_merge_depth_m: float = 2.8  # SightMerge.max_depth_m: pieces one behind the other (0: off)
    sight_merge_gap_m: float = 2.0  # SightMerge.max_gap_m
    sight_merge_min_width_m: float = 0.7  # SightMerge.min_near_width_m
    priors: ClassPriors = field(default_factory=ClassPriors)


@dataclass(frozen=True)
class ScanObjects:
    """What one scan gave: the objects, the cells it saw, its evidence and highest return per cell."""

    objects: list[BevDetection]
    known: np.ndarray  # (nx, ny) bool
    evidence: Evidence
    height: np.ndarray  # (nx, ny), NaN where no return


class LidarDetector:
    """Objects in one range sensor's scans on a BEV grid, with the static map (racks, walls) subtracted."""

    def __init__(self, grid: BevGrid, static: np.ndarray, config: LidarDetectorConfig | None = None):
        self.grid, self.static = grid, static
        c = self.config = config or LidarDetectorConfig()
        self.sight = SightMerge(c.sight_merge_gap_m, c.sight_merge_depth_m, c.sight_merge_min_width_m)

    def evidence(self, points: np.ndarray, intensity: np.ndarray | None = None):
        """(evidence, pillars) of one scan of world-frame points (n, 3), before any segmentation."""
        pts = np.asarray(points, float)
        pillars = lidar_pillars(self.grid, pts, intensity, select=pts[:, 2] > self.config.min_height_m)
        return lidar_evidence(pillars, pillars.selected, self.static), pillars

    def detect(
        self, points: np.ndarray, intensity: np.ndarray | None = None, origin: np.ndarray | None = None
    ) -> ScanObjects:
        """Objects of one scan of world-frame points (n, 3) taken from `origin` (x, y; pieces one behind
        the other are joined only when it is given)."""
        c = self.config
        ev, pillars = self.evidence(points, intensity)
        d0, d1 = unary_from_logodds(ev.logodds)
        fg = segment_binary(d0, d1, c.graph_cut_lambda)
        objects = components(
            fg,
            self.grid,
            pillars.z_max,
            min_cells=c.min_cells,
            bridge_cells=c.bridge_cells,
            priors=c.priors,
            origin=origin,
            sight=self.sight,
        )
        return ScanObjects(objects, ev.known, ev, pillars.z_max)

    def score(self, objects: list[BevDetection]) -> np.ndarray:
        """Confidence of each object, growing with its size up to `full_score_cells`."""
        return np.array([min(1.0, d.cells / self.config.full_score_cells) for d in objects])


def cells_seen(grid: BevGrid, known: np.ndarray):
    """A function of floor points (n, 2) → whether the scan saw their cells (outside the grid: no)."""

    return lambda xy: grid.at(known, xy)

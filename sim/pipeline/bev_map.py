"""The site's bird's-eye view: every BEV sensor's latest evidence merged, segmented, and labelled.

Each sensor contributes one layer (LiDAR and depth-camera pillars; fixed cameras and thermal cameras by
inverse perspective mapping with contact points, `perception.ipm`); layers older than `MAX_AGE_S` (a
sensor that dropped out) are left out. The merged log-odds (naive Bayes over sensors, with visibility
counts) is segmented by a binary graph cut with λ = `GRAPH_CUT_LAMBDA`, compared with plain thresholding
(log-odds > 0) for `bev.iou_*`, and labelled floor / rack / forklift / agv / worker by α-expansion: rack
from the site layout, object classes from each segment's footprint area and the height of LiDAR returns
where there are any.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.bev import BevGrid
from perception.camera_model import PinholeCamera
from perception.evidence import Evidence, merge_evidence, unary_from_logodds
from perception.graph_cut import segment_binary, segment_multilabel
from perception.ipm import GroundView, Verticals, camera_evidence, contact_points, ground_view, verticals
from sim.world.layout import StaticWorld

BEV_RESOLUTION_M = 0.2
STATIC_MARGIN_M = 0.2  # cells this close to a rack or wall count as static (LiDAR hits on rack faces)
# One cell of boundary costs as much as 0.8 nats of evidence: an isolated cell needs log-odds above 3.2 to
# survive, a one-cell hole is filled below 3.2. Chosen by sweeping λ for the pooled IoU on `default`
# (central, camera) and `noisy_cameras`: 0.6–1.0 are within a point of each other, 0.4 and 1.5 lower.
GRAPH_CUT_LAMBDA = 0.8
SEMANTIC_LAMBDA = GRAPH_CUT_LAMBDA  # the Potts weight of the α-expansion labelling
MAX_AGE_S = 0.35  # a layer older than this (a sensor that stopped) is not merged
SEMANTIC_LABELS = ("floor", "rack", "forklift", "agv", "worker")
# Height and footprint area of each class (sim.world.kinds: forklift 2.5 × 1.2 × 2.2 m with mast, AGV
# 1.0 × 0.7 × 0.4 m, worker 0.5 × 0.4 × 1.75 m). A LiDAR return's height is a lower bound of the body's
# (a VLP-16 at 4 m sees a worker's head and shoulders only): returns above a class's height rule it out.
CLASS_HEIGHT_M = {"forklift": 2.2, "agv": 0.4, "worker": 1.75}
CLASS_AREA_M2 = {"forklift": 3.0, "agv": 0.7, "worker": 0.2}
AREA_SIGMA_LN = 0.7  # spread of a segment's log area around its class's (partial views, smear)
HEIGHT_SLACK_M = 0.3
FIXED_COST = 20.0  # cost of a label the site layout rules out


def static_masks(grid: BevGrid, world: StaticWorld) -> tuple[np.ndarray, np.ndarray]:
    """(static, rack): cells of racks and walls grown by `STATIC_MARGIN_M`, and the racks' own cells."""
    x, y = grid.centres()
    rack = np.zeros(grid.shape, bool)
    for r in world.rack_rows:
        rack[np.ix_((x >= r.x0) & (x <= r.x1), (y >= r.y0) & (y <= r.y1))] = True
    static = np.zeros(grid.shape, bool)
    for r in world.obstacles:
        static[np.ix_((x >= r.x0) & (x <= r.x1), (y >= r.y0) & (y <= r.y1))] = True
    static[[0, -1], :] = True  # the perimeter walls stand just outside the grid's border cells
    static[:, [0, -1]] = True
    grow = round(STATIC_MARGIN_M / grid.resolution)
    if grow:
        static = ndimage.binary_dilation(static, iterations=grow)
    return static, rack


@dataclass(frozen=True)
class BevState:
    """The merged map at one time and what was made of it."""

    t: float
    evidence: Evidence
    graph_cut: np.ndarray  # bool
    threshold: np.ndarray  # bool
    height: np.ndarray  # (nx, ny) highest LiDAR return per cell, NaN where none


class BevMap:
    def __init__(self, size_m, world: StaticWorld):
        self.grid = BevGrid.covering(size_m, BEV_RESOLUTION_M)
        self.static, self.rack = static_masks(self.grid, world)
        self.layers: dict[str, tuple[float, Evidence, np.ndarray | None]] = {}
        self._views: dict[str, tuple[GroundView, Verticals]] = {}  # ground view, verticals

    def add(self, sensor_id: str, t: float, evidence: Evidence, height: np.ndarray | None = None) -> None:
        """A sensor's newest evidence (and, from range sensors, the highest return per cell)."""
        self.layers[sensor_id] = (t, evidence, height)

    def add_image(
        self, sensor_id: str, t: float, camera: PinholeCamera, mask: np.ndarray, floor_mask: np.ndarray
    ) -> None:
        """A fixed camera's foreground (or a thermal camera's warm) mask, through its ground view."""
        if sensor_id not in self._views:
            self._views[sensor_id] = (ground_view(camera, self.grid, floor_mask), verticals(camera))
        view, vert = self._views[sensor_id]
        contacts = contact_points(mask, camera, floor_mask, vert=vert)
        self.add(sensor_id, t, camera_evidence(mask, contacts, view, self.grid))

    def state(self, t: float) -> BevState | None:
        """Merged evidence of the layers no older than `MAX_AGE_S`, its graph cut and its threshold."""
        fresh = [v for v in self.layers.values() if t - v[0] <= MAX_AGE_S]
        if not fresh:
            return None
        ev = merge_evidence([e for _, e, _ in fresh], self.static)
        heights = [h for _, _, h in fresh if h is not None]
        height = np.fmax.reduce(heights) if heights else np.full(self.grid.shape, np.nan)
        d0, d1 = unary_from_logodds(ev.logodds)
        return BevState(t, ev, segment_binary(d0, d1, GRAPH_CUT_LAMBDA), ev.logodds > 0, height)

    def semantics(self, state: BevState) -> np.ndarray:
        """Labels (indices into `SEMANTIC_LABELS`) by α-expansion over a Potts model, started from the
        graph cut (objects as forklift) so the result is never worse than that start."""
        d0, d1 = unary_from_logodds(state.evidence.logodds)
        n = len(SEMANTIC_LABELS)
        unary = np.empty((*self.grid.shape, n))
        unary[..., 0] = d0
        unary[..., 1] = np.where(self.rack, 0.0, FIXED_COST)
        # Each cell's segment area (connected component of the graph cut) and highest return.
        seg, _ = ndimage.label(state.graph_cut)
        area = np.bincount(seg.ravel())[seg] * self.grid.resolution**2
        log_area = np.log(np.maximum(area, self.grid.resolution**2))
        with np.errstate(invalid="ignore"):
            for k, name in enumerate(SEMANTIC_LABELS[2:], start=2):
                cost = 0.5 * ((log_area - np.log(CLASS_AREA_M2[name])) / AREA_SIGMA_LN) ** 2
                cost = np.where(state.graph_cut, np.minimum(cost, 4.0), 0.0)
                cost = cost + np.where(state.height > CLASS_HEIGHT_M[name] + HEIGHT_SLACK_M, 4.0, 0.0)
                unary[..., k] = d1 + cost
        unary[self.rack, 0] = FIXED_COST
        unary[self.rack, 2:] = FIXED_COST
        init = np.where(self.rack, 1, np.where(state.graph_cut, 2, 0))
        return segment_multilabel(unary, SEMANTIC_LAMBDA, init=init, max_cycles=2)

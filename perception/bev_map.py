"""A site's bird's-eye view: every BEV sensor's latest evidence merged, segmented and labelled.

Each sensor contributes one layer (range sensors' pillars; fixed cameras and thermal cameras by inverse
perspective mapping with contact points, `perception.ipm`); layers older than `max_age_s` (a sensor that
dropped out) are left out. The merged log-odds (naive Bayes over sensors, with visibility counts) is
segmented by a binary graph cut, compared with plain thresholding (log-odds > 0), and labelled
floor / rack / forklift / agv / worker by α-expansion: rack from the site's static map, object classes from
each segment's footprint area and the height of range returns where there are any (`ClassPriors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from perception.bev import BevGrid
from perception.camera_model import PinholeCamera
from perception.class_priors import ClassPriors
from perception.evidence import Evidence, merge_evidence, unary_from_logodds
from perception.graph_cut import segment_binary, segment_multilabel
from perception.ipm import GroundView, Verticals, camera_evidence, contact_points, ground_view, verticals

SEMANTIC_LABELS = ("floor", "rack", "forklift", "agv", "worker")


@dataclass(frozen=True)
class BevMapConfig:
    """Parameters of the merged map (defaults tuned on `default` and `noisy_cameras`)."""

    resolution_m: float = 0.2
    static_margin_m: float = 0.2  # cells this close to a rack or wall count as static (hits on rack faces)
    # One cell of boundary costs as much as 0.8 nats of evidence: an isolated cell needs log-odds above 3.2
    # to survive, a one-cell hole is filled below 3.2. Chosen by sweeping λ for the pooled IoU on `default`
    # (central, camera) and `noisy_cameras`: 0.6–1.0 are within a point of each other, 0.4 and 1.5 lower.
    graph_cut_lambda: float = 0.8
    semantic_lambda: float = 0.8  # the Potts weight of the α-expansion labelling
    max_age_s: float = 0.35  # a layer older than this (a sensor that stopped) is not merged
    area_sigma_ln: float = 0.7  # spread of a segment's log area around its class's (partial views, smear)
    height_slack_m: float = 0.3
    fixed_cost: float = 20.0  # cost of a label the static map rules out
    priors: ClassPriors = field(default_factory=ClassPriors)


def static_masks(
    grid: BevGrid, racks: np.ndarray, obstacles: np.ndarray, margin_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(static, rack) from rectangles (n, 4) = x0, y0, x1, y1: cells of every obstacle grown by
    `margin_m` (plus the grid's border, where perimeter walls stand), and the racks' own cells."""
    x, y = grid.centres()
    rack = np.zeros(grid.shape, bool)
    for x0, y0, x1, y1 in np.asarray(racks, float).reshape(-1, 4):
        rack[np.ix_((x >= x0) & (x <= x1), (y >= y0) & (y <= y1))] = True
    static = np.zeros(grid.shape, bool)
    for x0, y0, x1, y1 in np.asarray(obstacles, float).reshape(-1, 4):
        static[np.ix_((x >= x0) & (x <= x1), (y >= y0) & (y <= y1))] = True
    static[[0, -1], :] = True
    static[:, [0, -1]] = True
    grow = round(margin_m / grid.resolution)
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
    height: np.ndarray  # (nx, ny) highest range return per cell, NaN where none


class BevMap:
    """Layers by sensor id on one grid; `state(t)` merges the fresh ones, `semantics` labels a state."""

    def __init__(self, grid: BevGrid, static: np.ndarray, rack: np.ndarray, config: BevMapConfig):
        self.grid, self.static, self.rack, self.config = grid, static, rack, config
        self.layers: dict[str, tuple[float, Evidence, np.ndarray | None]] = {}
        self._views: dict[str, tuple[GroundView, Verticals]] = {}

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
        """Merged evidence of the layers no older than `max_age_s`, its graph cut and its threshold."""
        fresh = [v for v in self.layers.values() if t - v[0] <= self.config.max_age_s]
        if not fresh:
            return None
        ev = merge_evidence([e for _, e, _ in fresh], self.static)
        heights = [h for _, _, h in fresh if h is not None]
        height = np.fmax.reduce(heights) if heights else np.full(self.grid.shape, np.nan)
        d0, d1 = unary_from_logodds(ev.logodds)
        cut = segment_binary(d0, d1, self.config.graph_cut_lambda)
        return BevState(t, ev, cut, ev.logodds > 0, height)

    def semantics(self, state: BevState) -> np.ndarray:
        """Labels (indices into `SEMANTIC_LABELS`) by α-expansion over a Potts model, started from the
        graph cut (objects as forklift) so the result is never worse than that start."""
        c = self.config
        d0, d1 = unary_from_logodds(state.evidence.logodds)
        unary = np.empty((*self.grid.shape, len(SEMANTIC_LABELS)))
        unary[..., 0] = d0
        unary[..., 1] = np.where(self.rack, 0.0, c.fixed_cost)
        seg, _ = ndimage.label(state.graph_cut)  # each cell's segment area and highest return
        area = np.bincount(seg.ravel())[seg] * self.grid.resolution**2
        log_area = np.log(np.maximum(area, self.grid.resolution**2))
        with np.errstate(invalid="ignore"):
            for k, name in enumerate(SEMANTIC_LABELS[2:], start=2):
                cost = 0.5 * ((log_area - np.log(c.priors.area_m2[name])) / c.area_sigma_ln) ** 2
                cost = np.where(state.graph_cut, np.minimum(cost, 4.0), 0.0)
                cost = cost + np.where(state.height > c.priors.height_m[name] + c.height_slack_m, 4.0, 0.0)
                unary[..., k] = d1 + cost
        unary[self.rack, 0] = c.fixed_cost
        unary[self.rack, 2:] = c.fixed_cost
        init = np.where(self.rack, 1, np.where(state.graph_cut, 2, 0))
        return segment_multilabel(unary, c.semantic_lambda, init=init, max_cycles=2)

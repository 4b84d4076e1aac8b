"""Scoring the BEV map against rasterised ground truth: `bev.iou_graphcut`, `bev.iou_threshold` and the
α-expansion semantics' per-class IoU (metrics.json `bev`).

Truth is rasterised on the map's grid: a cell belongs to an actor when its centre lies inside the actor's
footprint rectangle; rack cells come from the layout. IoUs pool intersections and unions over every
scored step (a step with nothing in view does not count as perfect), over the whole grid: cells no
sensor saw count as the segmentation left them (background).
"""

from __future__ import annotations

import numpy as np

from perception.bev import BevGrid
from perception.bev_map import SEMANTIC_LABELS, BevState
from sim.world.kinds import CLASS_NAMES
from sim.world.truth import TruthFrame


def truth_raster(grid: BevGrid, truth: TruthFrame) -> np.ndarray:
    """(nx, ny) int: index into `SEMANTIC_LABELS` of the actor covering each cell, 0 (floor) elsewhere."""
    out = np.zeros(grid.shape, np.int64)
    if not len(truth):
        return out
    corners = truth.corners()
    lo = np.clip(grid.world_to_cell(corners.min(axis=1)), 0, np.array(grid.shape) - 1)
    hi = np.clip(grid.world_to_cell(corners.max(axis=1)), 0, np.array(grid.shape) - 1)
    x, y = grid.centres()
    for k in range(len(truth)):
        xs, ys = x[lo[k, 0] : hi[k, 0] + 1], y[lo[k, 1] : hi[k, 1] + 1]
        dx = xs[:, None] - truth.xyz[k, 0]
        dy = ys[None, :] - truth.xyz[k, 1]
        c, s = np.cos(truth.yaw[k]), np.sin(truth.yaw[k])
        inside = (np.abs(dx * c + dy * s) <= truth.size[k, 0] / 2) & (
            np.abs(-dx * s + dy * c) <= truth.size[k, 1] / 2
        )
        label = SEMANTIC_LABELS.index(CLASS_NAMES[int(truth.class_ids[k])])
        out[lo[k, 0] : hi[k, 0] + 1, lo[k, 1] : hi[k, 1] + 1][inside] = label
    return out


class BevScorer:
    def __init__(self, grid: BevGrid, rack: np.ndarray):
        self.grid, self.rack = grid, rack
        self.inter = {"graph_cut": 0, "threshold": 0}
        self.union = {"graph_cut": 0, "threshold": 0}
        self.known = 0.0
        self.steps = 0
        n = len(SEMANTIC_LABELS)
        self.sem_inter, self.sem_union = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.sem_truth = np.zeros(n, np.int64)
        self.sem_steps = 0

    def update(self, truth: TruthFrame, state: BevState, semantics: np.ndarray | None = None) -> np.ndarray:
        """Score one step; returns the truth raster (for figures)."""
        raster = truth_raster(self.grid, truth)
        occupied = raster > 0
        for name, mask in (("graph_cut", state.graph_cut), ("threshold", state.threshold)):
            self.inter[name] += int((mask & occupied).sum())
            self.union[name] += int((mask | occupied).sum())
        self.known += float(state.evidence.known.mean())
        self.steps += 1
        if semantics is not None:
            labels = np.where(self.rack, SEMANTIC_LABELS.index("rack"), raster)
            n = len(SEMANTIC_LABELS)
            both = np.bincount((labels * n + semantics).ravel(), minlength=n * n).reshape(n, n)
            tp = np.diag(both)
            self.sem_inter += tp
            self.sem_union += both.sum(0) + both.sum(1) - tp
            self.sem_truth += both.sum(1)
            self.sem_steps += 1
        return raster

    def result(self) -> dict:
        if not self.steps:
            return {}

        def iou(name):
            return round(self.inter[name] / self.union[name], 4) if self.union[name] else None

        out = {
            "iou_graphcut": iou("graph_cut"),
            "iou_threshold": iou("threshold"),
            "known_fraction": round(self.known / self.steps, 4),
            "steps": self.steps,
        }
        if self.sem_steps:
            per = {
                name: round(float(self.sem_inter[k] / self.sem_union[k]), 4)
                for k, name in enumerate(SEMANTIC_LABELS)
                if self.sem_truth[k]  # mIoU over the classes present (SPEC §7)
            }
            out["semantic"] = {
                "miou": round(float(np.mean(list(per.values()))), 4),
                "per_class_iou": per,
                "steps": self.sem_steps,
            }
        return out

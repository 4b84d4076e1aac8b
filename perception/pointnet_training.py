"""Training the tiled PointNet on labelled scans: tile sampling with augmentation, class-weighted
cross-entropy plus a vote loss, Adam, held-out mIoU after every epoch.

Tiles are cut around random points, half of them on a tracked body (forklifts, AGVs and workers are a few
per cent of a warehouse scan), after a random rotation about the vertical, with range jitter and point
dropout. Everything random comes from one `numpy.random.Generator` and one torch seed, so a run repeats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from perception.classes import N_CLASSES, TRACKED
from perception.determinism import deterministic_on
from perception.point_segmenter import PointSegmenter, rule_out
from perception.point_tiles import point_features, tile_points
from perception.pointnet import PointNetConfig, PointNetSeg
from perception.schedules import one_cycle, optimise
from perception.segmentation_metrics import confusion, mean_iou, per_class_iou


@dataclass(frozen=True)
class LabelledScan:
    """One range scan with its labels: the training and evaluation unit."""

    points: np.ndarray  # (n, 3) world frame
    intensity: np.ndarray  # (n,)
    sensor_xyz: np.ndarray  # (3,)
    depth_camera: bool
    cls: np.ndarray  # (n,) class ids
    instance: np.ndarray  # (n,) instance ids
    centre: np.ndarray  # (n, 2) the body's floor centre; NaN off the tracked classes
    fixed: np.ndarray | None = None  # (n,) on the site map's racks and walls (None: not known)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and augmentation settings; `epochs` × `steps_per_epoch` batches of `tiles_per_batch`."""

    epochs: int = 14
    steps_per_epoch: int = 500
    tiles_per_batch: int = 24
    tile_m: float = 4.0
    max_points_per_tile: int = 3000
    on_body_fraction: float = 0.5  # tiles centred near a tracked body's point
    learning_rate: float = 2e-3
    vote_weight: float = 1.0
    jitter_m: float = 0.01
    max_dropout: float = 0.3
    eval_scans: int = 60  # held-out scans scored after each epoch (all of them at the end)
    seed: int = 0
    model: PointNetConfig = field(default_factory=PointNetConfig)


def class_weights(
    scans: Sequence[LabelledScan], n_classes: int = N_CLASSES, power: float = 0.25
) -> np.ndarray:
    """Each class's frequency to the power −`power`, mean 1 over the classes seen (absent classes 0).

    Mild on purpose: the body tiles already show the rare classes far more often than scans do, and a
    stronger weight (−0.5) bought recall of AGVs with three false AGV points for every two true ones."""
    counts = sum(np.bincount(s.cls, minlength=n_classes) for s in scans).astype(float)
    w = np.where(counts > 0, (np.maximum(counts, 1) / counts.sum()) ** -power, 0.0)
    return w / w[w > 0].mean()


class TileSampler:
    """Random augmented training tiles from a list of scans."""

    def __init__(self, scans: Sequence[LabelledScan], config: TrainConfig, rng: np.random.Generator):
        self.scans, self.c, self.rng = scans, config, rng
        # Per tracked class: the scans that hold it and its points there. A body tile picks the class
        # first, uniformly, so a class with 20× fewer points (AGVs) is seen as often as forklifts.
        self.by_class = {}
        for c in TRACKED:
            points = [np.flatnonzero(s.cls == c) for s in scans]
            holding = [k for k, p in enumerate(points) if len(p)]
            if holding:
                self.by_class[c] = (holding, points)

    def tile(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features (m, F), classes (m,), vote targets (m, 2) (NaN off bodies) of one tile."""
        c, rng = self.c, self.rng
        body = bool(self.by_class) and rng.random() < c.on_body_fraction
        if body:
            holding, points = self.by_class[list(self.by_class)[rng.integers(len(self.by_class))]]
            k = holding[rng.integers(len(holding))]
            anchor = self.scans[k].points[rng.choice(points[k]), :2]
        else:
            k = int(rng.integers(len(self.scans)))
            anchor = self.scans[k].points[rng.integers(len(self.scans[k].points)), :2]
        s = self.scans[k]
        half = c.tile_m / 2
        centre = anchor + rng.uniform(-half, half, 2) * (0.5 if body else 1.0)
        a = rng.uniform(0, 2 * math.pi)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], np.float32)
        local = (s.points[:, :2] - centre) @ rot.T
        keep = np.flatnonzero((np.abs(local) < half).all(1))
        keep = keep[rng.random(len(keep)) >= rng.uniform(0, c.max_dropout)]
        if len(keep) > c.max_points_per_tile:
            keep = rng.choice(keep, c.max_points_per_tile, replace=False)
        pts = s.points[keep].copy()
        pts[:, :2] = local[keep] + centre
        pts += rng.normal(0, c.jitter_m, pts.shape).astype(np.float32)
        pts[:, :2] = np.clip(
            pts[:, :2], centre - half + 1e-3, centre + half - 1e-3
        )  # one tile, jitter or not
        sensor = s.sensor_xyz.copy()
        sensor[:2] = (sensor[:2] - centre) @ rot.T + centre
        tiles = tile_points(pts[:, :2], c.tile_m, centre - half)
        x = point_features(pts, sensor, s.intensity[keep], s.depth_camera, tiles, c.tile_m)
        votes = ((s.centre[keep] - centre) @ rot.T + centre - pts[:, :2]) / half
        return x, s.cls[keep], votes.astype(np.float32), tiles.column, tiles.n_columns

    def batch(self) -> tuple[torch.Tensor, ...]:
        """Features, classes, votes, tile and column of every point of `tiles_per_batch` tiles; columns."""
        parts = [self.tile() for _ in range(self.c.tiles_per_batch)]
        index = np.repeat(np.arange(len(parts)), [len(p[1]) for p in parts])
        first = np.cumsum([0] + [p[4] for p in parts])
        column = np.concatenate([p[3] + first[k] for k, p in enumerate(parts)])
        x, y, v = (np.concatenate([p[i] for p in parts]) for i in range(3))
        tensors = (x, y.astype(np.int64), v, index, column)
        return (*(torch.from_numpy(a) for a in tensors), int(first[-1]))


@dataclass
class EpochStats:
    """One epoch's mean loss and held-out figures: with the site map applied (as the front-end runs), and
    of the network alone."""

    epoch: int
    loss: float
    miou: float
    per_class_iou: dict[int, float]
    seconds: float
    network_miou: float = float("nan")
    network_per_class_iou: dict[int, float] = field(default_factory=dict)


def evaluate(segmenter: PointSegmenter, scans: Sequence[LabelledScan], n_classes: int = N_CLASSES) -> dict:
    """Held-out scores over whole scans, run exactly as inference runs: mIoU, per-class IoU and confusion
    with each scan's site map applied (no moving body on racks and walls, `rule_out`), as the front-end
    segments; and the same for the network alone under "network"."""
    conf = np.zeros((n_classes, n_classes), np.int64)
    alone = np.zeros_like(conf)
    for s in scans:
        probs, _ = segmenter.probabilities(s.points, s.sensor_xyz, s.intensity, s.depth_camera)
        conf += confusion(s.cls, rule_out(probs, s.fixed), n_classes)
        alone += confusion(s.cls, rule_out(probs, None), n_classes)
    return confusion_scores(conf) | {"network": confusion_scores(alone)}


def confusion_scores(conf: np.ndarray) -> dict:
    """mIoU, per-class IoU (by class id) and the confusion matrix itself."""
    return {"miou": mean_iou(conf), "per_class_iou": per_class_iou(conf), "confusion": conf}


def train_pointnet(
    train: Sequence[LabelledScan],
    heldout: Sequence[LabelledScan],
    config: TrainConfig = TrainConfig(),
    device: str = "cpu",
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> tuple[PointNetSeg, list[EpochStats]]:
    """Train from scratch; returns the model (eval mode) and each epoch's held-out figures."""
    with deterministic_on(device):  # the same seed, the same weights, on CUDA too
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        model = PointNetSeg(config.model).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        total = config.epochs * config.steps_per_epoch
        sched = one_cycle(opt, config.learning_rate, total)
        weights = torch.tensor(class_weights(train), dtype=torch.float32, device=device)
        ce = nn.CrossEntropyLoss(weight=weights)
        sampler = TileSampler(train, config, rng)
        eval_pick = rng.permutation(len(heldout))[: config.eval_scans]
        history = []
        for epoch in range(1, config.epochs + 1):
            t0, losses = time.perf_counter(), []
            model.train()
            for step in range(config.steps_per_epoch):
                *tensors, n_columns = sampler.batch()
                x, y, v, index, column = (t.to(device) for t in tensors)
                logits, votes = model(x, index, config.tiles_per_batch, column, n_columns)
                loss = ce(logits, y)
                on = ~torch.isnan(v[:, 0])
                if on.any():
                    vote_loss = nn.functional.smooth_l1_loss(votes[on], v[on], beta=0.1)
                    loss = loss + config.vote_weight * vote_loss
                losses.append(optimise(opt, sched, loss))
                if on_step:
                    on_step(step, losses[-1])
            seg = PointSegmenter(model, config.tile_m, device=device)
            last = epoch == config.epochs
            ev = evaluate(seg, heldout if last else [heldout[i] for i in eval_pick])
            model.train()
            stats = EpochStats(
                epoch, float(np.mean(losses)), ev["miou"], ev["per_class_iou"], time.perf_counter() - t0,
                ev["network"]["miou"], ev["network"]["per_class_iou"],
            )  # fmt: skip
            history.append(stats)
            if on_epoch:
                on_epoch(stats)
        return model.eval(), history

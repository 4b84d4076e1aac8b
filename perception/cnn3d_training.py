"""Training the 3D-CNN detector on recorded BEV sequences: augmented crops, focal loss on the centre
heatmaps (CenterNet's penalty-reduced form), L1 on offset, size, yaw and velocity, Adam with one cycle.

A training sample is the last T frames before a random time of a random sequence, cropped around a body
some sensor saw (or anywhere), flipped and transposed at random (the frame channels are scalars, so the
grid's symmetries are the data's; box yaw and velocity turn with it), with whole sensor groups blanked now
and then so the network meets sites without a LiDAR or a thermal camera. Boxes no sensor saw in the window
are not targets: nothing in the input says they are there. Everything random comes from one generator
and one torch seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from perception.bev import BevGrid
from perception.bev_frames import STATIC
from perception.cnn3d import (
    N_REGRESSION,
    OFFSET,
    SIZE,
    VELOCITY,
    YAW,
    Cnn3dConfig,
    Cnn3dDetector,
    batch_layout,
)
from perception.cnn3d_boxes import Boxes, encode, output_grid
from perception.determinism import deterministic_on
from perception.schedules import one_cycle, optimise

MAP_STEP_S = 0.1  # seconds between a sequence's frames: the BEV map's step, at which the loop builds them


@dataclass(frozen=True)
class BoxSequence:
    """Frames (N, C, nx, ny) 0.1 s apart on `grid`; every actor-frame's box (row k: frame `frame[k]`)."""

    grid: BevGrid
    frames: np.ndarray  # float16
    frame: np.ndarray  # (m,) frame index
    cls: np.ndarray  # (m,) head class (0 forklift, 1 AGV, 2 worker)
    xy: np.ndarray  # (m, 2)
    size: np.ndarray  # (m, 2) length, width
    yaw: np.ndarray  # (m,)
    vel: np.ndarray  # (m, 2)
    seen: np.ndarray  # (m,) bool: some sensor's evidence on its footprint in this frame
    actor: np.ndarray  # (m,) actor index within the sequence
    every: int = 1  # map steps between consecutive frames held (`thinned`)
    seen_steps: int = 1  # map steps, ending at the row's frame, that `seen` already covers

    def thinned(self, every: int, window: int) -> BoxSequence:
        """Every `every`-th frame (0, every, 2·every, …) and its rows, half the memory at 2; each row's
        `seen` becomes whether it was seen within `window` map steps of the whole sequence, so the
        training targets are those of the whole one. A stack at frame step `every` is then exact."""
        keep = self.frame % every == 0
        if isinstance(self.frames, np.memmap):
            frames = self.frames[::every]  # still on disk: a strided view reads only the frames it keeps
        else:
            frames = np.ascontiguousarray(self.frames[::every])  # a copy: the whole sequence can go
        return BoxSequence(self.grid, frames, self.frame[keep] // every, self.cls[keep], self.xy[keep],
                           self.size[keep], self.yaw[keep], self.vel[keep], self.seen_within(window)[keep],
                           self.actor[keep], every, window)  # fmt: skip

    def targets(self, window: int) -> np.ndarray:
        """(m,) rows that are training targets: seen within `window` map steps ending at their frame."""
        if self.seen_steps == 1 and self.every == 1:
            return self.seen_within(window)
        if self.seen_steps != window:
            raise ValueError(f"thinned for a {self.seen_steps}-step window, not {window}")
        return self.seen

    def seen_within(self, frames: int) -> np.ndarray:
        """(m,) whether the row's actor was seen in its frame or the `frames` − 1 before it."""
        n_actors = int(self.actor.max(initial=-1)) + 1
        grid = np.zeros((len(self.frames), max(n_actors, 1)), bool)
        grid[self.frame, self.actor] = self.seen
        window = np.zeros_like(grid)
        for k in range(frames):  # a handful of shifted ORs
            window[k:] |= grid[: len(grid) - k]
        return window[self.frame, self.actor]

    def boxes(self, index: int, rows: np.ndarray | None = None, past: tuple[int, int] | None = None) -> Boxes:
        """Truth boxes of frame `index` (all rows, or those of `rows` (m,) bool); with `past` = (frames,
        step) also each body's mean velocity from each earlier frame of that stack (`past_velocity`)."""
        on = self.frame == index if rows is None else (self.frame == index) & rows
        pv = None if past is None else self.past_velocity(np.flatnonzero(on), *past)
        return Boxes(
            self.xy[on], self.cls[on], self.size[on], self.yaw[on], self.vel[on], np.ones(on.sum()), pv
        )

    @cached_property
    def _positions(self) -> np.ndarray:
        """(frames, actors, 2) every actor's centre per held frame; NaN where the sequence has no row."""
        n_actors = int(self.actor.max(initial=-1)) + 1
        pos = np.full((len(self.frames), max(n_actors, 1), 2), np.nan)
        pos[self.frame, self.actor] = self.xy
        return pos

    def past_velocity(self, rows: np.ndarray, frames: int, step: int) -> np.ndarray:
        """(len(rows), frames − 1, 2) m/s: for each row, its body's mean velocity from the stack's frame k
        steps before the row's (k = 1 … frames − 1; `step` held frames apart, clamped at the sequence's start
        as `stack` is) to the row's frame. Where that frame has no row of the body, or is the row's own
        frame, the row's velocity stands in."""
        f, a = self.frame[rows], self.actor[rows]
        back = np.maximum(f[:, None] - step * np.arange(1, frames)[None], 0)  # (m, frames − 1)
        dt = (f[:, None] - back) * self.every * MAP_STEP_S
        then = self._positions[back, a[:, None]]  # (m, frames − 1, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = (self.xy[rows][:, None] - then) / dt[..., None]
        bad = ~np.isfinite(v).all(-1)
        v[bad] = np.broadcast_to(self.vel[rows][:, None], v.shape)[bad]
        return v

    def stack(
        self, index: int, frames: int, step: int = 1, cells: tuple[slice, slice] = (slice(None), slice(None))
    ) -> np.ndarray:
        """(C, T, nx, ny) float32 of every `step`-th frame ending at frame `index` (of `cells` only: a
        crop reads no more of memory-mapped frames than it needs); the first frame stands in before the
        start."""
        ks = self.stack_indices(index, frames, step)
        return self.frames[ks, :, cells[0], cells[1]].astype(np.float32).transpose(1, 0, 2, 3)

    @staticmethod
    def stack_indices(index: int, frames: int, step: int = 1) -> np.ndarray:
        """The frame indices `stack` reads, oldest first (the first frame standing in before the start)."""
        return np.maximum(np.arange(index - (frames - 1) * step, index + 1, step), 0)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and augmentation settings; `epochs` × `steps_per_epoch` batches of `batch` crops."""

    epochs: int = 10
    steps_per_epoch: int = 300
    batch: int = 16
    crop_cells: int = 96  # input cells a side (19.2 m at 0.2 m)
    on_body_fraction: float = 0.8  # crops centred near a body some sensor saw
    blank_group_probability: float = 0.15  # per sensor group: its channels zeroed for the whole crop
    # per sensor group left on: its channels zeroed in the newest 1 … frames − 2 frames only — a sensor
    # whose readings arrive later than the map's max_age_s reaches the older frames only (0: never)
    late_group_probability: float = 0.0
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    size_weight: float = 0.5
    yaw_weight: float = 0.3
    velocity_weight: float = 1.0
    # "l1" (CenterPoint's) or "l2": squared error, whose minimiser is the conditional mean — what the
    # velocity RMSE scores — where L1's is the median
    velocity_loss: str = "l1"
    past_velocity_weight: float = 1.0  # the auxiliary past velocities' L1 (with `model.past_velocities`)
    eval_every_frames: int = 5  # held-out frames scored after each epoch (every k-th)
    # Batches fed channels last on the CPU (`batch_layout`: 1.29 × quicker steps); False feeds them as
    # cut, as the weights trained before 2026-12-05 evening (the shipped ones) were: their bits again.
    channels_last: bool = True
    seed: int = 0
    model: Cnn3dConfig = field(default_factory=Cnn3dConfig)


GROUP_CHANNELS = ((0, 1, 2), (3, 4, 8), (5, 6, 9))  # range, camera, thermal channels of a frame


@dataclass(frozen=True)
class CropSpec:
    """Every random choice behind one training crop; cutting it out is then deterministic."""

    seq: int  # which sequence
    frame: int  # the stack's last frame
    i0: int  # the crop's first input cell in x (even, so output cells align)
    j0: int  # … and in y
    blank: tuple[bool, ...]  # per sensor group (GROUP_CHANNELS): its channels zeroed
    late: tuple[int, ...]  # per sensor group: its channels zeroed in this many of the newest frames
    mirror_x: bool
    mirror_y: bool
    swap: bool  # x and y exchanged


class CropSampler:
    """Random augmented training crops with their encoded targets. The choices (`draw`, one generator,
    in order) are apart from the cutting (`cut`, pure), so worker processes can cut the crops of a batch
    drawn in the main process and the weights come out the same with any number of workers."""

    def __init__(self, seqs: list[BoxSequence], config: TrainConfig, rng: np.random.Generator):
        self.seqs, self.c, self.rng = seqs, config, rng
        W, step = config.model.window, config.model.frame_step
        if any(step % s.every for s in seqs):
            raise ValueError(
                f"a sequence thinned to every {max(s.every for s in seqs)} steps; frame step {step}"
            )
        held = min((s.frames.shape[1] for s in seqs), default=config.model.channels)
        if held < config.model.channels:
            raise ValueError(
                f"the dataset's frames have {held} channels and these weights read {config.model.channels}:"
                " record the dataset again with this version"
            )
        self.targets = [s.targets(W) for s in seqs]  # rows that are targets
        self.bodies = [
            np.flatnonzero(t & (s.frame * s.every >= W - 1)) for s, t in zip(seqs, self.targets, strict=True)
        ]

    def draw(self) -> CropSpec:
        c, rng, S, W = self.c, self.rng, self.c.crop_cells, self.c.model.window
        k = int(rng.integers(len(self.seqs)))
        s = self.seqs[k]
        nx, ny = s.grid.shape
        if len(self.bodies[k]) and rng.random() < c.on_body_fraction:
            row = self.bodies[k][rng.integers(len(self.bodies[k]))]
            f = int(s.frame[row])
            centre = s.grid.world_to_cell(s.xy[row][None])[0] + rng.integers(-S // 3, S // 3 + 1, 2)
        else:
            f = int(rng.integers((W - 1 + s.every - 1) // s.every, len(s.frames)))
            centre = np.array([rng.integers(nx), rng.integers(ny)])
        i0, j0 = ((int(v) - S // 2) & ~1 for v in centre)
        blank = tuple(bool(rng.random() < c.blank_group_probability) for _ in GROUP_CHANNELS)
        late = (0,) * len(GROUP_CHANNELS)
        if c.late_group_probability > 0:  # drawn only when asked, so earlier recipes draw as they did
            T = c.model.frames
            late = tuple(
                int(rng.integers(1, T - 1)) if not off and rng.random() < c.late_group_probability else 0
                for off in blank
            )
        mirror_x, mirror_y, swap = (bool(rng.random() < 0.5) for _ in range(3))
        return CropSpec(k, f, i0, j0, blank, late, mirror_x, mirror_y, swap)

    def cut(self, spec: CropSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(frames (C, T, S, S), heatmap, regression, mask) of one crop."""
        c, T, S = self.c, self.c.model.frames, self.c.crop_cells
        s, i0, j0 = self.seqs[spec.seq], spec.i0, spec.j0
        nx, ny = s.grid.shape
        C = c.model.channels  # the frame's first channels (a dataset may hold more)
        x = np.zeros((C, T, S, S), np.float32)
        x[STATIC] = 1.0  # outside the building: walls
        a0, a1, b0, b1 = max(i0, 0), min(i0 + S, nx), max(j0, 0), min(j0 + S, ny)
        step = c.model.frame_step // s.every  # in the frames the sequence holds
        if a1 > a0 and b1 > b0:
            stack = s.stack(spec.frame, T, step, (slice(a0, a1), slice(b0, b1)))
            x[:, :, a0 - i0 : a1 - i0, b0 - j0 : b1 - j0] = stack[:C]
        for g, off, late in zip(GROUP_CHANNELS, spec.blank, spec.late, strict=True):
            if off:
                x[[k for k in g if k < C]] = 0.0
            elif late:
                x[[k for k in g if k < C], T - late :] = 0.0
        b = s.boxes(spec.frame, self.targets[spec.seq], (T, step) if c.model.past_velocities else None)
        res = s.grid.resolution
        xy = b.xy - (np.asarray(s.grid.origin) + np.array([i0, j0]) * res)
        # velocities: the box's own first, then its past ones (each turns as the grid does)
        vel = np.concatenate([b.vel[:, None], b.past if b.past is not None else np.zeros((len(b), 0, 2))], 1)
        yaw, L = b.yaw.copy(), S * res
        if spec.mirror_x:
            x, xy[:, 0], vel[..., 0], yaw = x[:, :, ::-1], L - xy[:, 0], -vel[..., 0], np.pi - yaw
        if spec.mirror_y:
            x, xy[:, 1], vel[..., 1], yaw = x[:, :, :, ::-1], L - xy[:, 1], -vel[..., 1], -yaw
        if spec.swap:
            x, xy, vel, yaw = x.transpose(0, 1, 3, 2), xy[:, ::-1], vel[..., ::-1], np.pi / 2 - yaw
        boxes = Boxes(xy, b.cls, b.size, yaw, vel[:, 0], b.score, vel[:, 1:] if b.past is not None else None)
        out = output_grid(BevGrid((0.0, 0.0), res, (S, S)), c.model.stride)
        heat, reg, mask = encode(boxes, out, c.model.n_classes, c.model.n_regression)
        return np.ascontiguousarray(x), heat, reg, mask

    def sample(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.cut(self.draw())

    def cut_batch(self, specs: Sequence[CropSpec]) -> tuple[torch.Tensor, ...]:
        """(frames, heatmaps, regressions, masks) of a batch of crops, as CPU tensors."""
        parts = [self.cut(spec) for spec in specs]
        return tuple(torch.from_numpy(np.stack([p[i] for p in parts])) for i in range(4))

    def batch(self, device: str) -> tuple[torch.Tensor, ...]:
        return tuple(t.to(device) for t in self.cut_batch([self.draw() for _ in range(self.c.batch)]))

    def epoch(self, steps: int, workers: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        """`steps` batches, drawn here in order and cut by `workers` processes (0: in this one)."""
        specs = [[self.draw() for _ in range(self.c.batch)] for _ in range(steps)]
        if workers == 0:
            return map(self.cut_batch, specs)
        return iter(DataLoader(_Batches(self, specs), batch_size=None, num_workers=workers, pin_memory=False))


class _Batches(Dataset):
    """An epoch's drawn batches for a DataLoader: item b is batch b, cut."""

    def __init__(self, sampler: CropSampler, specs: list[list[CropSpec]]):
        self.sampler, self.specs = sampler, specs

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, b: int) -> tuple[torch.Tensor, ...]:
        return self.sampler.cut_batch(self.specs[b])


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss (α = 2, β = 4), normalised by the number of peaks."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target >= 1.0 - 1e-6
    pos_loss = -(torch.log(p) * (1 - p) ** 2)[pos].sum()
    neg_loss = -(torch.log(1 - p) * p**2 * (1 - target) ** 4)[~pos].sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1)


VELOCITY_LOSSES = {"l1": F.l1_loss, "l2": F.mse_loss}


def regression_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, c: TrainConfig):
    """L1 of offset, log size, yaw (sin, cos), velocity (or its squared error: `velocity_loss`) and any
    past velocities at the peak cells."""
    if not mask.any():
        return pred.sum() * 0.0
    p = pred.permute(0, 2, 3, 1)[mask]
    t = target.permute(0, 2, 3, 1)[mask]
    terms = (
        F.l1_loss(p[:, OFFSET], t[:, OFFSET])
        + c.size_weight * F.l1_loss(p[:, SIZE], t[:, SIZE])
        + c.yaw_weight * F.l1_loss(p[:, YAW], t[:, YAW])
        + c.velocity_weight * VELOCITY_LOSSES[c.velocity_loss](p[:, VELOCITY], t[:, VELOCITY])
    )
    if p.shape[1] > N_REGRESSION:
        terms = terms + c.past_velocity_weight * F.l1_loss(p[:, N_REGRESSION:], t[:, N_REGRESSION:])
    return terms


@dataclass
class EpochStats:
    epoch: int
    loss: float
    seconds: float
    figures: dict  # the evaluation's: ap_seen, ap_all, velocity_rmse_mps, …

    def _get(self, key: str) -> float:
        v = self.figures.get(key)
        return float("nan") if v is None else float(v)

    @property
    def ap_seen(self) -> float:
        return self._get("ap_seen")

    @property
    def ap_all(self) -> float:
        return self._get("ap_all")

    @property
    def velocity_rmse(self) -> float:
        return self._get("velocity_rmse_mps")


def train_cnn3d(
    train: list[BoxSequence],
    config: TrainConfig = TrainConfig(),
    device: str = "cpu",
    evaluate: Callable[[Cnn3dDetector, bool], dict] | None = None,
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[EpochStats], None] | None = None,
    workers: int = 0,
) -> tuple[Cnn3dDetector, list[EpochStats]]:
    """Train from scratch; `evaluate(model, final)` scores held-out data after each epoch. `workers`
    processes cut the crops while the network trains (the same weights with any number)."""
    with deterministic_on(device):  # the same seed, the same weights, on CUDA too
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        model = Cnn3dDetector(config.model).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
        total = config.epochs * config.steps_per_epoch
        sched = one_cycle(opt, config.learning_rate, total)
        sampler = CropSampler(train, config, rng)
        history = []
        for epoch in range(1, config.epochs + 1):
            t0, losses = time.perf_counter(), []
            model.train()
            for step, batch in enumerate(sampler.epoch(config.steps_per_epoch, workers)):
                x, heat, reg, mask = (t.to(device) for t in batch)
                if config.channels_last:
                    x = x.contiguous(memory_format=batch_layout(device))
                logits, pred = model(x)
                loss = focal_loss(logits, heat) + regression_loss(pred, reg, mask, config)
                losses.append(optimise(opt, sched, loss))
                if on_step:
                    on_step(step, losses[-1])
            model.eval()
            figures = evaluate(model, epoch == config.epochs) if evaluate else {}
            stats = EpochStats(epoch, float(np.mean(losses)), time.perf_counter() - t0, figures)
            history.append(stats)
            if on_epoch:
                on_epoch(stats)
        return model.eval(), history

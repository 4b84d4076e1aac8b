"""Running the 3D-CNN on a stack of BEV frames: boxes with class, size, yaw, velocity and covariances.

The covariances are the network's measured errors on held-out sequences (stored with the weights by
`whsim train cnn3d`): per class, the RMS position error of detections matched within 1 m, and the RMS
velocity error — not a guess, so the Kalman tracker can weigh them against the other sensors.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from perception import weights_io
from perception.bev import BevGrid
from perception.cnn3d import (
    HEAD_CLASSES,
    N_REGRESSION,
    OFFSET,
    VELOCITY,
    YAW,
    Cnn3dConfig,
    Cnn3dDetector,
    batch_layout,
)
from perception.cnn3d_boxes import Boxes, decode, output_grid

DEFAULT_SIGMA_M = 0.3
DEFAULT_VELOCITY_SIGMA_MPS = 0.5
# The velocity read over the 3 × 3 output cells round a peak: 0.02 m/s less RMSE than the peak cell alone
# on tuning seeds 11–13 of `default` and `busy`, at no cost (docs/models/cnn3d.md).
VELOCITY_CELLS = 3


def load_cnn3d(path: str | Path, device: str = "cpu") -> tuple[Cnn3dDetector, dict]:
    """The model (eval mode) and its metadata; only tensors and plain values are unpickled."""
    return weights_io.load_weights(path, Cnn3dDetector, Cnn3dConfig, "3D-CNN detector", device)


@dataclass(frozen=True)
class BoxCovariances:
    """Position σ per head class and the velocity σ, from the weights' held-out figures."""

    sigma_m: tuple[float, ...] = (DEFAULT_SIGMA_M,) * len(HEAD_CLASSES)
    velocity_sigma_mps: float = DEFAULT_VELOCITY_SIGMA_MPS

    @classmethod
    def from_meta(cls, meta: dict) -> BoxCovariances:
        held = meta.get("heldout") or {}
        sig = held.get("sigma_m") or {}
        return cls(
            tuple(float(sig.get(c) or DEFAULT_SIGMA_M) for c in HEAD_CLASSES),
            float(held.get("velocity_rmse_mps") or DEFAULT_VELOCITY_SIGMA_MPS),
        )

    def position(self, cls: np.ndarray) -> np.ndarray:
        s = np.asarray(self.sigma_m)[cls]
        return s[:, None, None] ** 2 * np.eye(2)

    def velocity(self, n: int) -> np.ndarray:
        return np.broadcast_to(self.velocity_sigma_mps**2 * np.eye(2), (n, 2, 2)).copy()


def check_ensemble(models: Sequence[Cnn3dDetector]) -> None:
    """Raise ValueError unless networks to be averaged read the same frames onto the same output grid."""
    if not models:
        raise ValueError("a 3D-CNN detector needs at least one network")
    first = models[0].config
    for m in models[1:]:
        c = m.config
        if (c.channels, c.frames, c.frame_step, c.stride, c.n_classes) != (
            first.channels, first.frames, first.frame_step, first.stride, first.n_classes
        ):  # fmt: skip
            raise ValueError(
                "networks averaged must read the same frames and give the same output grid "
                f"(channels, frames, frame_step, stride, classes): {first} against {c}"
            )


class BoxDetector:
    """Trained `Cnn3dDetector`s over one site's grid: (C, T, nx, ny) frames → `Boxes`. Several networks
    (an ensemble) run on the same images and their maps are averaged, as the mirror images' are."""

    def __init__(
        self,
        model: Cnn3dDetector | Sequence[Cnn3dDetector],
        grid: BevGrid,
        threshold: float = 0.3,
        device: str = "cpu",
        covariances: BoxCovariances | None = None,
        flips: int = 1,
        velocity_cells: int = VELOCITY_CELLS,
    ):
        if isinstance(flips, bool) or flips not in MIRROR_SETS:
            raise ValueError(f"flips: images averaged must be one of {sorted(MIRROR_SETS)}, got {flips!r}")
        self.models = (model,) if isinstance(model, Cnn3dDetector) else tuple(model)
        check_ensemble(self.models)
        first = self.models[0].config
        self.model, self.device, self.threshold, self.flips = self.models[0], device, threshold, flips
        for m in self.models:
            m.eval()
        self.velocity_cells = velocity_cells
        self.out = output_grid(grid, first.stride)
        self.covariances = covariances or BoxCovariances()
        self._batch: torch.Tensor | None = None  # the mirror images' batch, refilled at each step
        self._recent: tuple[dict, dict] = ({}, {})  # first-layer outputs of the last two steps, by keys

    @classmethod
    def from_file(
        cls,
        path: str | Path | Sequence[str | Path],
        grid: BevGrid,
        threshold: float = 0.3,
        device: str = "cpu",
        flips: int = 1,
        velocity_cells: int = VELOCITY_CELLS,
    ):
        """From one weights file, or several averaged (the covariances are the first file's figures)."""
        paths = [path] if isinstance(path, (str, Path)) else list(path)
        loaded = [load_cnn3d(p, device) for p in paths]
        covariances = BoxCovariances.from_meta(loaded[0][1])
        models = [m for m, _ in loaded]
        return cls(models, grid, threshold, device, covariances, flips, velocity_cells)

    @torch.inference_mode()
    def maps(
        self, frames: np.ndarray, keys: Sequence[Hashable] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Heatmap probabilities (K, ox, oy) and regressions (n_regression, ox, oy) of one stack: the mean
        over the mirror images and the networks. `keys`, one per stacked frame, each standing for that
        frame's content for the detector's life (a frame changed is a new key): with `flips` > 1 on the
        CPU the network's first layer over each three consecutive frames is then kept from the last two
        steps and reused where the same three stand again — at the loop's frames two steps apart, two of
        its three outputs a step, about 8 % of the step's time (docs/performance.md). The maps are bit
        for bit those without keys."""
        frames = frames[: self.model.config.channels]  # weights read the first channels of a frame
        x = torch.from_numpy(np.ascontiguousarray(frames, np.float32))[None].to(self.device)
        if self.flips == 1:  # the grid alone, unpadded
            each = [(torch.sigmoid(h), r) for h, r in (m(x) for m in self.models)]
        else:
            mirrors, stride = MIRROR_SETS[self.flips], self.model.config.stride
            self._batch = mirror_batch(x, mirrors, 2 * stride, self._batch)
            if keys is not None and x.device.type == "cpu":
                if len(keys) != frames.shape[1]:
                    raise ValueError(f"one key per stacked frame: {len(keys)} keys for {frames.shape[1]}")
                outs, used = [], {}
                for i, m in enumerate(self.models):
                    outs.append(m.maps_from_first(self._first_layer(i, m, tuple(keys), used)))
                self._recent = (self._recent[1], used)
            else:
                outs = [m(self._batch) for m in self.models]
            each = [mirrors_averaged(h, r, mirrors, self.out.shape) for h, r in outs]
        if len(each) == 1:
            heat, reg = each[0]
        else:
            heat, reg = torch.stack([h for h, _ in each]).mean(0), torch.stack([r for _, r in each]).mean(0)
        return heat[0].cpu().numpy(), reg[0].cpu().numpy()

    def _first_layer(self, i: int, model: Cnn3dDetector, keys: tuple, used: dict) -> torch.Tensor:
        """Network `i`'s first layer over the batch, three frames at a time, each kept from the last two
        steps where its frames' keys match (and recorded in `used`)."""
        outs = []
        for j in range(len(keys) - 2):
            key = (i, *keys[j : j + 3])
            out = self._recent[1].get(key)
            if out is None:
                out = self._recent[0].get(key)
            if out is None:
                out = model.first_layer(self._batch[:, :, j : j + 3])
            used[key] = out
            outs.append(out)
        return torch.cat(outs, 2)

    def detect(self, frames: np.ndarray, keys: Sequence[Hashable] | None = None) -> Boxes:
        """The boxes of one stack (`keys`: as `maps` takes them)."""
        return decode(*self.maps(frames, keys), self.out, self.threshold, velocity_cells=self.velocity_cells)


# The grid's mirror images, as (flip x, flip y): the training crops are mirrored the same ways.
MIRRORS = ((False, False), (True, False), (False, True), (True, True))
# The images averaged, by how many: the grid alone; the grid and its half turn (mirrored in x and y, the
# pair whose errors differ most: on tuning seeds 11-13 it takes 0.016-0.019 m/s off the velocity RMSE
# against 0.011-0.014 for one mirror, 0.020-0.024 for all four — docs/models/cnn3d.md); all four. On 2
# CPU cores two images take less time than one (14.5-15.6 against 17.1-18.5 ms a step: a batch of one
# falls to PyTorch's own 3D convolution, a batch of two runs on oneDNN, channels last), four about twice two.
MIRROR_SETS = {1: MIRRORS[:1], 2: (MIRRORS[0], MIRRORS[3]), 4: MIRRORS}


def mirror_batch(
    x: torch.Tensor,
    mirrors: tuple[tuple[bool, bool], ...],
    multiple: int,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """(1, C, T, nx, ny) frames as a batch of the grid's mirror images (`mirrors`, as (flip x, flip y)),
    each padded with wall to a multiple of `multiple` before mirroring — so every image's output cells
    cover the same BEV cells — in the layout the network runs fastest in (`batch_layout`). `out`, a batch
    this returned before for frames of the same shape, is filled again: its padding is already wall, so
    each image is one copy of the frames (2.2 against 3.2–4.8 ms for four images padded and concatenated
    afresh, 2 cores)."""
    _, C, T, nx, ny = x.shape
    shape = (len(mirrors), C, T, nx + (-nx % multiple), ny + (-ny % multiple))
    if out is None or out.shape != shape or out.dtype != x.dtype or out.device != x.device:
        out = torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=batch_layout(x.device))
        out.zero_()
        out[:, -1] = 1.0  # the static map's outside-the-building value, as training crops are padded
    X, Y = shape[-2:]
    for k, (fx, fy) in enumerate(mirrors):
        dims = [d for d, on in ((2, fx), (3, fy)) if on]
        # A mirrored padded grid has its padding on the near side: the frames go to the far corner.
        xs, ys = slice(X - nx if fx else 0, X if fx else nx), slice(Y - ny if fy else 0, Y if fy else ny)
        out[k, :, :, xs, ys] = x[0].flip(dims) if dims else x[0]
    return out


def mirrors_averaged(
    heat_logits: torch.Tensor,
    reg: torch.Tensor,
    mirrors: tuple[tuple[bool, bool], ...],
    shape: tuple[int, int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's maps of a `mirror_batch` mapped back onto the grid (offsets measured from the other
    side, yaw and velocity turned), averaged, and cut to the unpadded output `shape`: heatmap
    probabilities and regressions, (1, K, *shape) and (1, R, *shape). `reg` is changed in place."""
    heat = torch.sigmoid(heat_logits)
    for k, (fx, fy) in enumerate(mirrors):
        for axis, on in ((0, fx), (1, fy)):
            if on:  # mirrored back along this axis: the offset from the far side, yaw and velocity turned
                reg[k, OFFSET.start + axis] = 1.0 - reg[k, OFFSET.start + axis]
                reg[k, YAW.start + 1 - axis] *= -1  # x: yaw → π − yaw (cos flips); y: yaw → −yaw (sin)
                reg[k, VELOCITY.start + axis] *= -1
                reg[k, N_REGRESSION + axis :: 2] *= -1  # past velocities, if the head has them
    dims = [[a for a, on in ((1, fx), (2, fy)) if on] for fx, fy in mirrors]
    ox, oy = shape
    h = torch.stack([heat[k].flip(d) if d else heat[k] for k, d in enumerate(dims)]).mean(0)
    r = torch.stack([reg[k].flip(d) if d else reg[k] for k, d in enumerate(dims)]).mean(0)
    return h[None, :, :ox, :oy], r[None, :, :ox, :oy]


@torch.no_grad()
def flip_averaged(
    model: Cnn3dDetector, x: torch.Tensor, mirrors: tuple[tuple[bool, bool], ...] = MIRRORS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Heatmap probabilities and regressions of (1, C, T, nx, ny) frames averaged over mirror images of
    the grid (`mirrors`, as (flip x, flip y); all four by default), each mapped back: CenterPoint's flip
    test-time augmentation (Yin et al. 2021). The frames are padded with wall to a multiple of twice the
    stride first, so every image's output cells cover the same BEV cells."""
    stride = model.config.stride
    heat, reg = model(mirror_batch(x, mirrors, 2 * stride))
    nx, ny = x.shape[-2:]
    return mirrors_averaged(heat, reg, mirrors, (-(-nx // stride), -(-ny // stride)))

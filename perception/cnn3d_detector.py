"""Running the 3D-CNN on a stack of BEV frames: boxes with class, size, yaw, velocity and covariances.

The covariances are the network's measured errors on held-out sequences (stored with the weights by
`whsim train cnn3d`): per class, the RMS position error of detections matched within 1 m, and the RMS
velocity error — not a guess, so the Kalman tracker can weigh them against the other sensors.
"""

from __future__ import annotations

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


class BoxDetector:
    """A trained `Cnn3dDetector` over one site's grid: (C, T, nx, ny) frames → `Boxes`."""

    def __init__(
        self,
        model: Cnn3dDetector,
        grid: BevGrid,
        threshold: float = 0.3,
        device: str = "cpu",
        covariances: BoxCovariances | None = None,
        flips: int = 1,
        velocity_cells: int = VELOCITY_CELLS,
    ):
        if isinstance(flips, bool) or flips not in MIRROR_SETS:
            raise ValueError(f"flips: images averaged must be one of {sorted(MIRROR_SETS)}, got {flips!r}")
        self.model, self.device, self.threshold, self.flips = model.eval(), device, threshold, flips
        self.velocity_cells = velocity_cells
        self.out = output_grid(grid, model.config.stride)
        self.covariances = covariances or BoxCovariances()

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        grid: BevGrid,
        threshold: float = 0.3,
        device: str = "cpu",
        flips: int = 1,
        velocity_cells: int = VELOCITY_CELLS,
    ):
        model, meta = load_cnn3d(path, device)
        return cls(model, grid, threshold, device, BoxCovariances.from_meta(meta), flips, velocity_cells)

    @torch.inference_mode()
    def maps(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heatmap probabilities (K, ox, oy) and regressions (n_regression, ox, oy) of one stack."""
        frames = frames[: self.model.config.channels]  # weights read the first channels of a frame
        x = torch.from_numpy(np.ascontiguousarray(frames, np.float32))[None].to(self.device)
        if self.flips > 1:
            heat, reg = flip_averaged(self.model, x, MIRROR_SETS[self.flips])
        else:
            heat, reg = self.model(x)
            heat = torch.sigmoid(heat)
        return heat[0].cpu().numpy(), reg[0].cpu().numpy()

    def detect(self, frames: np.ndarray) -> Boxes:
        return decode(*self.maps(frames), self.out, self.threshold, velocity_cells=self.velocity_cells)


# The grid's mirror images, as (flip x, flip y): the training crops are mirrored the same ways.
MIRRORS = ((False, False), (True, False), (False, True), (True, True))
# The images averaged, by how many: the grid alone; the grid and its half turn (mirrored in x and y, the
# pair whose errors differ most: on tuning seeds 11-13 it takes 0.016-0.019 m/s off the velocity RMSE
# against 0.011-0.014 for one mirror, 0.020-0.024 for all four — docs/models/cnn3d.md); all four. On 2
# CPU cores two images take less time than one (14.5-15.6 against 17.1-18.5 ms a step: a batch of one
# falls to PyTorch's own 3D convolution, a batch of two runs on oneDNN, channels last), four about twice two.
MIRROR_SETS = {1: MIRRORS[:1], 2: (MIRRORS[0], MIRRORS[3]), 4: MIRRORS}


@torch.no_grad()
def flip_averaged(
    model: Cnn3dDetector, x: torch.Tensor, mirrors: tuple[tuple[bool, bool], ...] = MIRRORS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Heatmap probabilities and regressions of (1, C, T, nx, ny) frames averaged over mirror images of
    the grid (`mirrors`, as (flip x, flip y); all four by default), each mapped back (offsets measured
    from the other side, yaw and velocity turned): CenterPoint's flip test-time augmentation (Yin et al.
    2021). The frames are padded with wall to a multiple of twice the stride first, so every image's
    output cells cover the same BEV cells."""
    _, C, T, nx, ny = x.shape
    m = 2 * model.config.stride
    shape = (1, C, T, nx + (-nx % m), ny + (-ny % m))
    padded = torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=batch_layout(x.device))
    padded.zero_()
    padded[:, -1] = 1.0  # the static map's outside-the-building value, as training crops are padded
    padded[..., :nx, :ny] = x
    dims = [tuple(d for d, on in ((3, fx), (4, fy)) if on) for fx, fy in mirrors]
    heat, reg = model(torch.cat([padded.flip(d) if d else padded for d in dims]))
    heat = torch.sigmoid(heat)  # reg is changed in place below: a fresh output, no one else holds it
    for k, (fx, fy) in enumerate(mirrors):
        for axis, on in ((0, fx), (1, fy)):
            if on:  # mirrored back along this axis: the offset from the far side, yaw and velocity turned
                reg[k, OFFSET.start + axis] = 1.0 - reg[k, OFFSET.start + axis]
                reg[k, YAW.start + 1 - axis] *= -1  # x: yaw → π − yaw (cos flips); y: yaw → −yaw (sin)
                reg[k, VELOCITY.start + axis] *= -1
                reg[k, N_REGRESSION + axis :: 2] *= -1  # past velocities, if the head has them
    back = [(h.flip([a - 2 for a in d]), r.flip([a - 2 for a in d])) if d else (h, r)
            for d, h, r in zip(dims, heat, reg, strict=True)]  # fmt: skip
    ox, oy = -(-nx // model.config.stride), -(-ny // model.config.stride)
    h = torch.stack([b[0] for b in back]).mean(0)[None, :, :ox, :oy]
    r = torch.stack([b[1] for b in back]).mean(0)[None, :, :ox, :oy]
    return h, r

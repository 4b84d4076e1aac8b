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
from perception.cnn3d import HEAD_CLASSES, Cnn3dConfig, Cnn3dDetector
from perception.cnn3d_boxes import Boxes, decode, output_grid

DEFAULT_SIGMA_M = 0.3
DEFAULT_VELOCITY_SIGMA_MPS = 0.5


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
    ):
        self.model, self.device, self.threshold = model.eval(), device, threshold
        self.out = output_grid(grid, model.config.stride)
        self.covariances = covariances or BoxCovariances()

    @classmethod
    def from_file(cls, path: str | Path, grid: BevGrid, threshold: float = 0.3, device: str = "cpu"):
        model, meta = load_cnn3d(path, device)
        return cls(model, grid, threshold, device, BoxCovariances.from_meta(meta))

    @torch.inference_mode()
    def maps(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heatmap probabilities (K, ox, oy) and regressions (8, ox, oy) of one stack."""
        x = torch.from_numpy(np.ascontiguousarray(frames, np.float32))[None].to(self.device)
        heat, reg = self.model(x)
        return torch.sigmoid(heat)[0].cpu().numpy(), reg[0].cpu().numpy()

    def detect(self, frames: np.ndarray) -> Boxes:
        return decode(*self.maps(frames), self.out, self.threshold)

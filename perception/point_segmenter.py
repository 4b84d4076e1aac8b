"""Running a trained PointNet over whole scans: tiles, features, one batched forward pass, labels and votes.

Inference only; the network and its weights file are in `perception.pointnet`. `passes=2` runs a second
tiling shifted by half a tile and averages the two (a body cut by one grid's tile edge is whole in the
other's), at twice the cost.

The site map is known (a warehouse's racks and walls are in its CAD model, as the BEV map's static layer
has them): `fixed` marks the points that fall on that fixed structure, where no forklift, AGV or worker
can stand, and those points take the likeliest class that is not a moving body (`rule_out`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from perception.classes import TRACKED
from perception.point_tiles import point_features, tile_points
from perception.pointnet import PointNetSeg, load_weights
from perception.weights import POINTNET


@dataclass(frozen=True)
class ScanSegmentation:
    """Per point: class id (P,), its probability (P,), and the vote for its body's centre (P, 2), world xy."""

    labels: np.ndarray
    confidence: np.ndarray
    votes: np.ndarray


def rule_out(probs: np.ndarray, fixed: np.ndarray | None, classes=TRACKED) -> np.ndarray:
    """Labels (P,) from class probabilities (P, K): the argmax, except that points where `fixed` is True
    take the likeliest class outside `classes` (a body cannot stand inside a rack or a wall)."""
    if fixed is None or not np.any(fixed):
        return probs.argmax(1).astype(np.uint8)
    allowed = np.ones(probs.shape[1], bool)
    allowed[list(classes)] = False
    masked = np.where(np.asarray(fixed, bool)[:, None] & ~allowed, -1.0, probs)
    return masked.argmax(1).astype(np.uint8)


class PointSegmenter:
    """Segments range scans (world-frame points) with a PointNet over floor tiles of `tile_m`."""

    def __init__(
        self,
        model: PointNetSeg,
        tile_m: float = 4.0,
        passes: int = 1,
        device: str = "cpu",
    ):
        self.model = model.to(device).eval()
        self.tile_m, self.passes, self.device = float(tile_m), int(passes), device

    @classmethod
    def from_file(cls, path: str | Path = POINTNET, device: str = "cpu", **kw) -> PointSegmenter:
        """A segmenter from a weights file (default: the shipped weights), with its tile size unless given."""
        model, meta = load_weights(path, device)
        kw.setdefault("tile_m", meta.get("tile_m", 4.0))
        return cls(model, device=device, **kw)

    def segment(
        self,
        points: np.ndarray,
        sensor_xyz: np.ndarray,
        intensity: np.ndarray,
        depth_camera: bool = False,
        fixed: np.ndarray | None = None,
    ) -> ScanSegmentation:
        """Segment one scan; `fixed` (P,) marks points on the site map's fixed structure (None: unknown)."""
        probs, votes = self.probabilities(points, sensor_xyz, intensity, depth_camera)
        labels = rule_out(probs, fixed)
        return ScanSegmentation(labels, probs[np.arange(len(labels)), labels], votes)

    @torch.inference_mode()
    def probabilities(
        self, points: np.ndarray, sensor_xyz: np.ndarray, intensity: np.ndarray, depth_camera: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The network's class probabilities (P, K) and centre votes (P, 2; world xy), over its passes."""
        p = np.asarray(points, np.float32).reshape(-1, 3)
        if len(p) == 0:
            return np.zeros((0, self.model.config.n_classes), np.float32), np.zeros((0, 2))
        probs = np.zeros((len(p), self.model.config.n_classes), np.float32)
        votes = np.zeros((len(p), 2))
        half = self.tile_m / 2
        for k in range(self.passes):
            tiles = tile_points(p[:, :2], self.tile_m, (k * half, k * half))
            x = point_features(p, sensor_xyz, intensity, depth_camera, tiles, self.tile_m)
            index = torch.from_numpy(tiles.index).to(self.device)
            column = torch.from_numpy(tiles.column).to(self.device)
            logits, v = self.model(
                torch.from_numpy(x).to(self.device), index, tiles.n, column, tiles.n_columns
            )
            probs += torch.softmax(logits, 1).cpu().numpy()
            votes += p[:, :2] + v.cpu().numpy().astype(float) * half
        return probs / self.passes, votes / self.passes

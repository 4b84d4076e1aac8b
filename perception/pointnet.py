"""PointNet semantic segmentation with a centre-vote head (Qi et al., CVPR 2017; votes after VoteNet,
Qi et al., ICCV 2019), over point clouds cut into tiles.

The network sees one tile of a cloud at a time: a shared per-point MLP, a max-pooled feature of the
tile concatenated back to every point, then a per-point head giving class scores and a vote — the
floor-plane offset from the point to the centre of the body it belongs to. One departure from the plain
PointNet: between the two halves of the point MLP, features are also max-pooled over the point's 0.5 m
column and concatenated back (a pillar, as in PointPillars, Lang et al. 2019) — the vertical profile under
a point tells a worker from a rack upright at the same height, which a single tile-wide pool cannot.
Pools are taken by an index (`scatter_reduce`), not over padded tensors, so a batch is any number of tiles
of any sizes and the whole scan runs as a handful of dense matrix products.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from perception import weights_io
from perception.classes import N_CLASSES
from perception.weights_io import WeightsError, save_weights  # noqa: F401  (this model's API)

N_FEATURES = 6  # tile-local x, y; height above the floor; intensity; range; sensor kind (see point_tiles)


@dataclass(frozen=True)
class PointNetConfig:
    """Widths of the shared point MLP, of the segmentation head, and whether to learn an input T-Net."""

    point_widths: tuple[int, ...] = (48, 96, 192)  # the column pool sits after the second width
    head_widths: tuple[int, ...] = (96, 48)
    input_tnet: bool = False  # Qi et al.'s input transform; rotation augmentation covers most of it
    n_features: int = N_FEATURES
    n_classes: int = N_CLASSES


def _mlp(widths: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Linear(a, b), nn.LayerNorm(b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def tile_max(x: torch.Tensor, tile: torch.Tensor, n_tiles: int) -> torch.Tensor:
    """Max of per-point features (P, C) over each tile's points → (n_tiles, C)."""
    out = torch.full((n_tiles, x.shape[1]), -torch.inf, dtype=x.dtype, device=x.device)
    return out.scatter_reduce(0, tile[:, None].expand_as(x), x, reduce="amax", include_self=True)


class InputTNet(nn.Module):
    """A 2 × 2 rotation-like transform of the tile-local floor coordinates, learned per tile."""

    def __init__(self, n_features: int):
        super().__init__()
        self.point = _mlp((n_features, 32, 64))
        self.out = nn.Linear(64, 4)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, tile: torch.Tensor, n_tiles: int) -> torch.Tensor:
        m = self.out(tile_max(self.point(x), tile, n_tiles)).view(-1, 2, 2)
        m = m + torch.eye(2, device=x.device, dtype=x.dtype)
        xy = torch.einsum("pij,pj->pi", m[tile], x[:, :2])
        return torch.cat([xy, x[:, 2:]], 1)


class PointNetSeg(nn.Module):
    """Per-point class logits (P, n_classes) and floor-plane votes (P, 2) of points (P, F) in tiles."""

    def __init__(self, config: PointNetConfig | None = None):
        super().__init__()
        self.config = c = config or PointNetConfig()
        self.tnet = InputTNet(c.n_features) if c.input_tnet else None
        w = c.point_widths
        self.near = _mlp((c.n_features, *w[:2]))
        self.deep = _mlp((2 * w[1], *w[2:]))
        self.head = _mlp((2 * w[1] + w[-1], *c.head_widths))
        self.classes = nn.Linear(c.head_widths[-1], c.n_classes)
        self.votes = nn.Linear(c.head_widths[-1], 2)

    def forward(
        self, x: torch.Tensor, tile: torch.Tensor, n_tiles: int, column: torch.Tensor, n_columns: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (P, F) features; `tile`, `column` (P,): each point's tile and column (columns nest in tiles)."""
        if self.tnet is not None:
            x = self.tnet(x, tile, n_tiles)
        near = self.near(x)
        near = torch.cat([near, tile_max(near, column, n_columns)[column]], 1)
        pooled = tile_max(self.deep(near), tile, n_tiles)[tile]
        h = self.head(torch.cat([near, pooled], 1))
        return self.classes(h), self.votes(h)


def load_weights(path: str | Path, device: str = "cpu") -> tuple[PointNetSeg, dict]:
    """The model (in eval mode) and its metadata; only tensors and plain values are unpickled."""
    return weights_io.load_weights(path, PointNetSeg, PointNetConfig, "PointNet", device)

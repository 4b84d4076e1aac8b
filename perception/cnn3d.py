"""A 3D-CNN detector over stacked BEV frames: late temporal fusion in the manner of Fast and Furious (Luo,
Yang and Urtasun, CVPR 2018) with a CenterPoint-style head (Yin, Zhou and Krähenbühl, CVPR 2021).

Two 3 × 3 × 3 convolutions without temporal padding fold T = 5 frames into one (5 → 3 → 1), the first also
halving the grid; a small 2D encoder–decoder (one stride-2 level, its output upsampled and concatenated
back) widens the receptive field to ≈ 6 m, enough for a forklift seen from one side. The head predicts, per
output cell (twice the BEV cell): a centre heatmap per tracked class, the sub-cell offset of the centre,
log length and width, yaw as (sin, cos) and the velocity (vx, vy) in m/s; optionally (`past_velocities`)
also the body's mean velocity from each earlier stacked frame to the last — the multi-frame outputs of Fast
and Furious as an auxiliary task, so the network must place the body in every frame. Early stride and
narrow widths keep a 200 × 125 grid at ≈ 15 ms on 2 CPU cores (`whsim perf` `cnn3d_ms_per_step`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from perception.bev_frames import BASE_CHANNELS
from perception.classes import TRACKED_NAMES

HEAD_CLASSES = TRACKED_NAMES  # one heatmap each: forklift, agv, worker (the weights' order)
# Regression channels after the heatmaps: offset (2), log size (2), yaw sin/cos (2), velocity (2); with
# `past_velocities`, then (vx, vy) per earlier frame k = 1 … T − 1: the mean velocity since frame T − 1 − k.
OFFSET, SIZE, YAW, VELOCITY = slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8)
N_REGRESSION = 8


@dataclass(frozen=True)
class Cnn3dConfig:
    """The input it expects and the widths of its layers."""

    channels: int = BASE_CHANNELS  # the frame's first channels it reads: 8, or 10 with the foreground ones
    frames: int = 5  # T: must be 5 (two unpadded 3-deep temporal convolutions fold it to one)
    frame_step: int = 1  # BEV map steps (0.1 s) between stacked frames: a longer baseline for velocity
    widths3d: tuple[int, ...] = (16, 32)
    width2d: int = 64
    head_width: int = 32
    n_classes: int = len(HEAD_CLASSES)
    stride: int = 2  # output cell = stride × BEV cell
    past_velocities: bool = False  # also regress the mean velocity from each earlier frame (auxiliary)

    @property
    def n_regression(self) -> int:
        """Regression channels: the 8 of every box, and 2 per earlier frame with `past_velocities`."""
        return N_REGRESSION + (2 * (self.frames - 1) if self.past_velocities else 0)

    @property
    def window(self) -> int:
        """How many consecutive BEV map steps one stack spans (its first to its last frame)."""
        return (self.frames - 1) * self.frame_step + 1


def batch_layout(device: torch.device | str) -> torch.memory_format:
    """The memory layout batches of frames are run in: channels last on the CPU, where oneDNN runs the
    network about 1.3 times faster on it (it reorders a channels-first batch at every convolution:
    inference on two images 19.4 → 14.7 ms, a training step of 16 crops 232 → 180 ms, 2 cores;
    docs/performance.md). A batch of one takes PyTorch's own 3D convolution either way; CUDA (not
    measured) keeps the default layout."""
    return torch.channels_last_3d if torch.device(device).type == "cpu" else torch.contiguous_format


def _conv_time_last(conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
    """`conv` over (B, C, nx, ny, T): its kernel, stride and padding moved to that axis order."""
    turn = (1, 2, 0)  # (T, nx, ny) → (nx, ny, T)
    stride, padding = tuple(conv.stride[k] for k in turn), tuple(conv.padding[k] for k in turn)
    return F.conv3d(x, conv.weight.permute(0, 1, 3, 4, 2), conv.bias, stride, padding)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Cnn3dDetector(nn.Module):
    """(B, C, T, nx, ny) frames → (B, n_classes, nx/2, ny/2) heatmap logits and (B, n_regression, …)
    regressions."""

    def __init__(self, config: Cnn3dConfig | None = None):
        super().__init__()
        self.config = c = config or Cnn3dConfig()
        if c.frames != 5 or len(c.widths3d) != 2:
            raise ValueError("the temporal stem folds exactly 5 frames with two 3D convolutions")
        if c.frame_step < 1:
            raise ValueError(f"frame_step must be at least 1, got {c.frame_step}")
        a, b = c.widths3d
        self.temporal = nn.Sequential(
            nn.Conv3d(c.channels, a, 3, stride=(1, 2, 2), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(a),
            nn.ReLU(inplace=True),
            nn.Conv3d(a, b, 3, padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(b),
            nn.ReLU(inplace=True),
        )
        self.down = nn.Sequential(_block(b, c.width2d, 2), _block(c.width2d, c.width2d))
        self.fuse = _block(b + c.width2d, c.head_width)
        self.heatmap = nn.Conv2d(c.head_width, c.n_classes, 1)
        self.regression = nn.Conv2d(c.head_width, c.n_regression, 1)
        # CenterNet's prior: heatmap logits start at p = 0.1 so the focal loss is not swamped at first.
        nn.init.constant_(self.heatmap.bias, -2.19)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if frames.shape[0] == 1 and frames.device.type == "cpu" and not self.training:
            f = self._temporal_time_last(frames)
        else:
            f = self.temporal(frames)[:, :, 0]
        g = F.interpolate(self.down(f), size=f.shape[-2:], mode="nearest")
        h = self.fuse(torch.cat([f, g], 1))
        return self.heatmap(h), self.regression(h)

    def _temporal_time_last(self, frames: torch.Tensor) -> torch.Tensor:
        """The temporal stem on (1, C, T, nx, ny) with time as the last convolved axis (input, kernels,
        strides and padding permuted alike: the same sums). PyTorch runs a batch of one whose first four
        sizes multiply to under 20 480 — here 1 × C × T × nx — through its own im2col 3D convolution, not
        oneDNN; with nx × ny in their place it takes oneDNN: the network 18.5 → 12.7 ms on the default
        grid, 2 cores (docs/performance.md)."""
        conv1, bn1, relu1, conv2, bn2, relu2 = self.temporal
        x = relu1(bn1(_conv_time_last(conv1, frames.permute(0, 1, 3, 4, 2))))
        x = relu2(bn2(_conv_time_last(conv2, x)))
        return x[..., 0]

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
    docs/performance.md). A batch of one runs its temporal stem time-last instead (`_features_eval`);
    CUDA (not measured) keeps the default layout."""
    return torch.channels_last_3d if torch.device(device).type == "cpu" else torch.contiguous_format


def _folded(
    conv: nn.Conv2d | nn.Conv3d, bn: nn.BatchNorm2d | nn.BatchNorm3d
) -> tuple[torch.Tensor, torch.Tensor]:
    """`conv` then `bn` in eval mode as one convolution's weight and bias (the statistics are constants
    there: bn(conv(x)) = s · conv(x) + (β − s μ), s = γ / √(σ² + ε)). Refolded at each call: cheap, and
    never stale after new weights are loaded."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return conv.weight * scale.view(-1, *(1,) * (conv.weight.dim() - 1)), bn.bias - bn.running_mean * scale


def _conv_time_last(
    conv: nn.Conv3d, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """`conv` (with `weight`, `bias`) over (B, C, nx, ny, T): kernel, stride and padding moved to that
    axis order."""
    turn = (1, 2, 0)  # (T, nx, ny) → (nx, ny, T)
    stride, padding = tuple(conv.stride[k] for k in turn), tuple(conv.padding[k] for k in turn)
    return F.conv3d(x, weight.permute(0, 1, 3, 4, 2), bias, stride, padding)


def _upsampled_kernel(weight: torch.Tensor) -> torch.Tensor:
    """A 3 × 3 convolution's (out, in, 3, 3) weight as the (in, out, 4, 4) weight of a stride-2 transposed
    convolution (padding 1) over the map before a 2× nearest upsampling: the same sums on even-sized maps.
    Each output cell reads two input rows: even rows w0 on row i − 1 and w1 + w2 on row i, odd rows w0 + w1
    on row i and w2 on row i + 1; a transposed convolution's taps k = 3, 1 and 2, 0 are those."""

    def taps(w: torch.Tensor, axis: int) -> torch.Tensor:
        w0, w1, w2 = w.unbind(axis)
        return torch.stack([w2, w1 + w2, w0 + w1, w0], axis)

    return taps(taps(weight, 2), 3).transpose(0, 1).contiguous()


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
        if self.training:
            f = self.temporal(frames)[:, :, 0]
            g = F.interpolate(self.down(f), size=f.shape[-2:], mode="nearest")
            h = self.fuse(torch.cat([f, g], 1))
        else:
            h = self._features_eval(frames)
        return self.heatmap(h), self.regression(h)

    def _features_eval(self, frames: torch.Tensor) -> torch.Tensor:
        """The head's input in eval mode: the layers as built, with each batch norm folded into its
        convolution, and the fuse block's convolution over the upsampled level run as one transposed
        convolution at the level's resolution (a quarter of the cells, 4 taps instead of 9: the loop's
        two images 1.12 times quicker a step on 2 cores, docs/performance.md). A batch of one on the CPU
        runs the temporal stem with time as its last axis: PyTorch runs a batch of one whose first four
        sizes multiply to under 20 480 — here 1 × C × T × nx — through its own im2col 3D convolution, not
        oneDNN; with nx × ny in their place it takes oneDNN."""
        if frames.shape[0] == 1 and frames.device.type == "cpu":
            conv1, bn1, _, conv2, bn2, _ = self.temporal
            (w1, b1), (w2, b2) = _folded(conv1, bn1), _folded(conv2, bn2)
            x = F.relu(_conv_time_last(conv1, frames.permute(0, 1, 3, 4, 2), w1, b1))
            return self._level_and_fuse(F.relu(_conv_time_last(conv2, x, w2, b2))[..., 0])
        return self._features_from_first(self.first_layer(frames))

    def first_layer(self, frames: torch.Tensor) -> torch.Tensor:
        """The temporal stem's first layer in eval mode (batch norm folded, ReLU): (B, C, T, nx, ny) frames
        → (B, widths3d[0], T − 2, nx/2, ny/2). Its output at time j reads frames j … j + 2 only, so a
        caller may compute it three frames at a time and keep each while those frames stand
        (`maps_from_first`); on the CPU the slices are bit for bit those of the whole."""
        conv, bn = self.temporal[0], self.temporal[1]
        w, b = _folded(conv, bn)
        return F.relu(F.conv3d(frames, w, b, conv.stride, conv.padding))

    def maps_from_first(self, first: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Heatmap logits and regressions in eval mode from the first layer's three outputs
        (`first_layer`, (B, widths3d[0], 3, nx/2, ny/2)): the same as the whole network on the frames."""
        h = self._features_from_first(first)
        return self.heatmap(h), self.regression(h)

    def _features_from_first(self, first: torch.Tensor) -> torch.Tensor:
        conv, bn = self.temporal[3], self.temporal[4]
        w, b = _folded(conv, bn)
        return self._level_and_fuse(F.relu(F.conv3d(first, w, b, conv.stride, conv.padding))[:, :, 0])

    def _level_and_fuse(self, f: torch.Tensor) -> torch.Tensor:
        """The 2D part in eval mode over the stem's output f. Odd-sized levels keep the upsampling: their
        last upsampled row or column is the convolution's zero padding, not a copy."""
        g = f
        for conv, bn, _ in self.down:
            w, b = _folded(conv, bn)
            g = F.relu(F.conv2d(g, w, b, conv.stride, conv.padding))
        w, b = _folded(self.fuse[0], self.fuse[1])
        near = f.shape[1]
        if f.shape[-2] % 2 or f.shape[-1] % 2:  # the upsampled map's last row or column is cut short
            g = F.interpolate(g, size=f.shape[-2:], mode="nearest")
            return F.relu(F.conv2d(torch.cat([f, g], 1), w, b, 1, 1))
        up = F.conv_transpose2d(g, _upsampled_kernel(w[:, near:]), b, stride=2, padding=1)
        return F.relu(F.conv2d(f, w[:, :near], None, 1, 1).add_(up))

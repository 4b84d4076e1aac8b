"""The networks on a CUDA device give what they give on the CPU, train there, and weights trained there load
on a machine without one. Skipped where torch sees no CUDA device (CI has none)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from perception.bev import BevGrid
from perception.bev_frames import FRAME_CHANNELS
from perception.classes import TRACKED
from perception.cnn3d import Cnn3dConfig
from perception.cnn3d_detector import BoxDetector, load_cnn3d
from perception.cnn3d_training import BoxSequence, TrainConfig, train_cnn3d
from perception.point_segmenter import PointSegmenter
from perception.pointnet_training import LabelledScan, train_pointnet
from perception.pointnet_training import TrainConfig as PointNetTrainConfig
from perception.weights import CNN3D, CNN3D_ENSEMBLE
from perception.weights_io import save_weights

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

CH = {name: i for i, name in enumerate(FRAME_CHANNELS)}


@pytest.fixture
def full_float32():
    """cuDNN may run convolutions in TF32 (a 10-bit mantissa) by default: off, the devices agree to 1e-4."""
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


def _site_stack() -> tuple[BevGrid, np.ndarray]:
    """Five frames of a 20 × 16 m floor: a wall, a rack, camera noise, and three bodies moving 0.2–0.4 m a
    frame, seen by the camera and the range sensors (the shipped weights find boxes in it)."""
    grid = BevGrid((0.0, 0.0), 0.2, (100, 80))
    f = np.zeros((len(FRAME_CHANNELS), 5, 100, 80), np.float32)
    f[CH["camera_views"]], f[CH["range_views"]] = 0.5, 0.3
    f[CH["static"], :, :, :2] = f[CH["static"], :, 60:64, 10:70] = 1.0
    f[CH["camera_logodds"]] = np.random.default_rng(0).normal(-0.05, 0.02, f[0].shape)
    for t in range(5):
        for x0, y0, vx, vy in ((30, 40, 2, 0), (50, 20, 0, 1), (20, 60, 1, -1)):
            x, y = x0 + vx * t, y0 + vy * t
            f[CH["camera_logodds"], t, x - 2 : x + 2, y - 2 : y + 2] = 0.4
            f[CH["range_logodds"], t, x - 2 : x + 2, y - 2 : y + 2] = 0.5
            f[CH["range_height"], t, x - 2 : x + 2, y - 2 : y + 2] = 0.6
    return grid, f


@pytest.mark.parametrize("weights", [(CNN3D,), CNN3D_ENSEMBLE], ids=["one", "pair"])
@pytest.mark.parametrize("flips", [1, 2, 4])
def test_the_3d_cnn_gives_the_cpus_maps_on_cuda(full_float32, flips, weights):
    """One network and the shipped pair; the CPU keeps first layers by frame keys, CUDA runs them all."""
    grid, frames = _site_stack()
    keys = tuple(range(frames.shape[1]))
    cpu = BoxDetector.from_file(weights, grid, flips=flips).maps(frames, keys)
    gpu = BoxDetector.from_file(weights, grid, device="cuda", flips=flips).maps(frames, keys)
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=1e-4)


def test_the_3d_cnns_boxes_on_cuda_at_default_precision_are_the_cpus():
    """What a user gets from `pipeline.cnn3d.device: cuda` with torch's defaults (TF32 allowed)."""
    grid, frames = _site_stack()
    cpu = BoxDetector.from_file(CNN3D, grid, threshold=0.3)
    gpu = BoxDetector.from_file(CNN3D, grid, threshold=0.3, device="cuda")
    a, b = cpu.detect(frames), gpu.detect(frames)
    assert len(a.xy) >= 1 and len(b.xy) == len(a.xy)
    np.testing.assert_array_equal(b.cls, a.cls)
    np.testing.assert_allclose(b.xy, a.xy, atol=0.01)
    np.testing.assert_allclose(b.vel, a.vel, atol=0.01)
    np.testing.assert_allclose(b.score, a.score, atol=0.01)


def test_pointnet_gives_the_cpus_probabilities_and_votes_on_cuda(full_float32):
    rng = np.random.default_rng(1)
    points = np.column_stack([rng.uniform(0, 16, (6000, 2)), rng.uniform(0, 3, 6000)])
    intensity = rng.uniform(0, 1, 6000)
    sensor = np.array([8.0, 8.0, 4.0])
    a = PointSegmenter.from_file(passes=2).probabilities(points, sensor, intensity)
    b = PointSegmenter.from_file(device="cuda", passes=2).probabilities(points, sensor, intensity)
    np.testing.assert_allclose(b[0], a[0], atol=1e-4)
    np.testing.assert_allclose(b[1], a[1], atol=1e-4)


def _moving_body(n_frames: int = 12) -> BoxSequence:
    """One body moving +x at 1 m/s through the camera channel, on a 12 × 8 m grid."""
    grid = BevGrid((0.0, 0.0), 0.2, (60, 40))
    frames = np.zeros((n_frames, len(FRAME_CHANNELS), 60, 40), np.float16)
    k = np.arange(n_frames)
    x = 3.0 + 0.1 * k
    for t, xt in enumerate(x):
        i = int(xt / 0.2)
        frames[t, CH["camera_logodds"], i - 1 : i + 2, 15:18] = 1.0
    return BoxSequence(
        grid, frames, k, np.zeros(n_frames, int), np.column_stack([x, np.full(n_frames, 3.3)]),
        np.tile([2.0, 1.0], (n_frames, 1)), np.zeros(n_frames), np.tile([1.0, 0.0], (n_frames, 1)),
        np.ones(n_frames, bool), np.zeros(n_frames, int),
    )  # fmt: skip


def test_a_3d_cnn_trained_on_cuda_loads_on_the_cpu_and_gives_the_same_maps(tmp_path, full_float32):
    config = TrainConfig(epochs=1, steps_per_epoch=3, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8))
    model, history = train_cnn3d([_moving_body()], config, device="cuda")
    assert next(model.parameters()).is_cuda and np.isfinite(history[0].loss)
    save_weights(model, tmp_path / "w.pt")
    on_cpu, _ = load_cnn3d(tmp_path / "w.pt", device="cpu")
    assert not next(on_cpu.parameters()).is_cuda
    x = torch.from_numpy(_moving_body().stack(8, 5))[None]
    with torch.no_grad():
        want = [t.cpu() for t in model(x.cuda())]
        got = on_cpu(x)
    for a, b in zip(want, got, strict=True):
        torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)


def _scans(n: int = 2) -> list[LabelledScan]:
    """Scans of a 12 × 12 m floor: points above 1 m belong to a body (each tracked class in turn)."""
    rng = np.random.default_rng(4)
    out = []
    for k in range(n):
        p = np.column_stack([rng.uniform(0, 12, (4000, 2)), rng.uniform(0, 2, 4000)]).astype(np.float32)
        body = p[:, 2] > 1.0
        cls = np.where(body, TRACKED[k % len(TRACKED)], 0)
        centre = np.where(body[:, None], p[:, :2].round(), np.nan)
        out.append(LabelledScan(p, rng.uniform(0, 1, 4000), np.array([6.0, 6.0, 4.0]), False, cls,
                                np.where(body, 1, -1), centre))  # fmt: skip
    return out


def test_training_on_cuda_repeats_bit_for_bit_and_leaves_torchs_settings_as_they_were():
    """Without deterministic kernels two CUDA runs of 100 steps from one seed differed by up to 1.7 in a
    weight (an H200, torch 2.11): atomic additions in the backward pass sum in a different order."""
    before = torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark
    config = TrainConfig(epochs=1, steps_per_epoch=6, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8))
    a, _ = train_cnn3d([_moving_body()], config, device="cuda")
    b, _ = train_cnn3d([_moving_body()], config, device="cuda")
    pn = PointNetTrainConfig(epochs=1, steps_per_epoch=6, tiles_per_batch=4, eval_scans=1)
    c, _ = train_pointnet(_scans(), _scans(1), pn, device="cuda")
    d, _ = train_pointnet(_scans(), _scans(1), pn, device="cuda")
    for x, y in ((a, b), (c, d)):
        sx, sy = x.state_dict(), y.state_dict()
        assert all(torch.equal(sx[k], sy[k]) for k in sx)
    assert (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark) == before

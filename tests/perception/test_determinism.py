"""Deterministic training settings: switched on for CUDA only, and put back as they were."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from perception.cnn3d_detector import load_cnn3d
from perception.determinism import CUBLAS_WORKSPACE, deterministic_on
from perception.weights import CNN3D


def _settings():
    return (
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )


def test_the_cpu_gets_deterministic_algorithms_and_nothing_of_cudas():
    before = _settings()
    with deterministic_on("cpu"):
        assert _settings() == (before[0], True, before[2], before[3])
    assert _settings() == before


def test_pointnet_training_on_two_cpu_threads_repeats_bit_for_bit():
    """Its scatter and gather gradients summed in a thread-dependent order: runs differed by ~1e-7."""
    from perception.classes import TRACKED
    from perception.pointnet_training import LabelledScan, TrainConfig, train_pointnet

    rng = np.random.default_rng(4)
    scans = []
    for k in range(2):
        p = np.column_stack([rng.uniform(0, 12, (4000, 2)), rng.uniform(0, 2, 4000)]).astype(np.float32)
        body = p[:, 2] > 1.0
        scans.append(LabelledScan(p, rng.uniform(0, 1, 4000), np.array([6.0, 6.0, 4.0]), False,
                                  np.where(body, TRACKED[k], 0), np.where(body, 1, -1),
                                  np.where(body[:, None], p[:, :2].round(), np.nan)))  # fmt: skip
    config = TrainConfig(epochs=1, steps_per_epoch=6, tiles_per_batch=4, eval_scans=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs = [train_pointnet(scans, scans[:1], config)[0].state_dict() for _ in range(3)]
    finally:
        torch.set_num_threads(threads)
    for other in runs[1:]:
        assert all(torch.equal(runs[0][k], other[k]) for k in other)


def test_cuda_gets_deterministic_kernels_inside_and_the_settings_back_after(monkeypatch):
    """Set and restored whether or not a GPU is present: the switches are torch's, not the device's."""
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = _settings()
    with deterministic_on("cuda:0"):
        assert _settings() == (CUBLAS_WORKSPACE, True, True, False)
    assert _settings() == before
    with pytest.raises(KeyError), deterministic_on("cuda"):
        raise KeyError("a failed run")
    assert _settings() == before


def test_a_users_own_cublas_setting_is_kept(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    with deterministic_on("cuda"):
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_loading_onto_cuda_without_one_says_so():
    with pytest.raises(ValueError, match="sees no CUDA device"):
        load_cnn3d(CNN3D, device="cuda")

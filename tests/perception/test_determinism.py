"""Deterministic training settings: switched on for CUDA only, and put back as they were."""

from __future__ import annotations

import os

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


def test_the_cpu_is_left_alone():
    before = _settings()
    with deterministic_on("cpu"):
        assert _settings() == before
    assert _settings() == before


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

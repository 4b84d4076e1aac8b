"""Training that repeats bit for bit: torch's deterministic algorithms while a network trains, with
cuDNN's and cuBLAS's on a CUDA device. Without them two runs from one seed differ — on 2 CPU threads the
PointNet's scatter and gather gradients by ~1e-7 a weight after six batches, on an H200 the 3D-CNN's by
up to 1.7 after a hundred. See torch's reproducibility notes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# cuBLAS repeats its results only with a fixed workspace per stream (NVIDIA's cuBLAS guide, "Results
# reproducibility"); torch refuses a matmul under deterministic mode without this setting.
CUBLAS_WORKSPACE = ":4096:8"


@contextmanager
def deterministic_on(device: str | torch.device) -> Iterator[None]:
    """Inside, every torch operation uses a deterministic algorithm (or raises); on a CUDA `device` cuDNN
    and cuBLAS too. The settings before are restored on leaving."""
    cuda = torch.device(device).type == "cuda"
    before = (
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.use_deterministic_algorithms(True)
    if cuda:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        env, mode, warn_only, torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
        if cuda and env is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)

"""Training that repeats bit for bit on a CUDA device too: deterministic cuDNN and cuBLAS algorithms while
a network trains (on the CPU torch's kernels already repeat). See torch's reproducibility notes."""

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
    """Inside, every torch operation on `device` uses a deterministic algorithm (or raises); nothing
    changes for the CPU. The settings before are restored on leaving."""
    if torch.device(device).type != "cuda":
        yield
        return
    before = (
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        env, mode, warn_only, torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
        if env is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)

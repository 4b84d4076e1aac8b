"""Errors the command line reports as a user's mistake (one line, exit code 2); kept free of imports so
that reporting one never loads the simulator."""

from __future__ import annotations


class UsageError(Exception):
    """A user mistake outside the scenario file (paths, flags); the CLI prints it and exits 2."""


def require_cuda(where: str) -> None:
    """Refuse `where` (the flag or setting that asked for CUDA) where torch sees no CUDA device."""
    import torch  # only here: asking for CUDA already means a network is about to load

    if not torch.cuda.is_available():
        raise UsageError(f"{where}: no CUDA device here (torch {torch.__version__})")

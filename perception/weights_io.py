"""Saving and loading a network's weights safely: a state dict, the config dataclass that shapes the
network, and free-form metadata, all plain tensors and lists — read back with `weights_only=True`, so a
weights file can never run code."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn


class WeightsError(ValueError):
    """A weights file that is not a state dict of the expected network saved by `save_weights`."""


def save_weights(model: nn.Module, path: str | Path, meta: dict | None = None) -> None:
    """`model.config` (a dataclass) shapes the network; tuples are stored as lists."""
    state = {
        "state_dict": model.state_dict(),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.config).items()},
        "meta": meta or {},
    }
    torch.save(state, path)


def load_weights(path: str | Path, model_cls, config_cls, name: str, device: str = "cpu"):
    """(model in eval mode, metadata) of a file written by `save_weights` for `model_cls(config_cls(…))`."""
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: this torch ({torch.__version__}) sees no CUDA device")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises several types for a file that is not a safe checkpoint
        raise WeightsError(f"{path}: not a weights file that loads safely ({type(e).__name__})") from None
    if not isinstance(state, dict) or not {"state_dict", "config"} <= state.keys():
        raise WeightsError(f"{path}: not a {name} weights file (expected state_dict and config)")
    keys = set(config_cls.__dataclass_fields__)
    try:
        cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in state["config"].items() if k in keys}
        config = config_cls(**cfg)
        model = model_cls(config).to(device)
        model.load_state_dict(state["state_dict"])
    except (TypeError, RuntimeError, ValueError, AttributeError) as e:
        raise WeightsError(f"{path}: weights do not fit a {name} ({str(e).splitlines()[0]})") from None
    model.eval()
    return model, dict(state.get("meta") or {})

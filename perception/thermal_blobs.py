"""Warm blobs in a thermal image, projected to the floor (`perception.floor_blobs` does the placing).

A pixel is warm when it exceeds the image's background (its median, robust to a few warm objects) by
`delta_c`.
"""

from __future__ import annotations

import numpy as np

from perception.camera_model import PinholeCamera
from perception.floor_blobs import Blob, floor_blobs, floor_point

__all__ = ["Blob", "floor_point", "warm_blobs", "warm_mask"]


def warm_mask(temperature_c: np.ndarray, delta_c: float = 6.0) -> np.ndarray:
    """Pixels warmer than the image's median by `delta_c`."""
    return temperature_c > float(np.median(temperature_c)) + delta_c


def warm_blobs(
    temperature_c: np.ndarray,
    camera: PinholeCamera,
    delta_c: float = 6.0,
    floor_mask: np.ndarray | None = None,
    **kw,
) -> list[Blob]:
    """Blobs warmer than the image's median by `delta_c` (see `floor_blobs` for the rest)."""
    return floor_blobs(warm_mask(temperature_c, delta_c), camera, temperature_c, floor_mask=floor_mask, **kw)

"""Warm blobs in a thermal image, projected to the floor (`perception.floor_blobs` does the placing).

A pixel is warm when it exceeds the image's background (its median, robust to a few warm objects) by
`delta_c`.
"""

from __future__ import annotations

import numpy as np

from perception.camera_model import PinholeCamera
from perception.floor_blobs import Blob, floor_blobs, floor_point

__all__ = ["Blob", "floor_point", "warm_blobs", "warm_mask"]


WARM_DELTA_C = 6.0  # warmer than the image's median by this much: a body (30–34 °C, engines 50–70 °C)


def warm_mask(temperature_c: np.ndarray, delta_c: float = WARM_DELTA_C) -> np.ndarray:
    """Pixels warmer than the image's median by `delta_c`."""
    return temperature_c > float(np.median(temperature_c)) + delta_c


def warm_blobs(
    temperature_c: np.ndarray,
    camera: PinholeCamera,
    delta_c: float = WARM_DELTA_C,
    floor_mask: np.ndarray | None = None,
    **kw,
) -> list[Blob]:
    """Blobs warmer than the image's median by `delta_c` (see `floor_blobs` for the rest)."""
    return floor_blobs(warm_mask(temperature_c, delta_c), camera, temperature_c, floor_mask=floor_mask, **kw)

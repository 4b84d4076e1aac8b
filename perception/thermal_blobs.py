"""Warm blobs in a thermal image, projected to the floor: positions with covariance for the tracker.

A pixel is warm when it exceeds the image's background (its median, robust to a few warm objects) by
`delta_c`; warm regions, after closing gaps of `bridge_px` pixels (a rack upright in front of a forklift
must not split it in two), of at least `min_pixels` are blobs. The blob's lowest pixels are
where it touches the floor (feet, wheels), so the centre of its bottom row is cast to z = 0 through the
pinhole model. The covariance is the floor footprint of `pixel_sigma` pixels at that point (the Jacobian
of the floor intersection with respect to the pixel), plus the object's own half-depth along the ray,
since the bottom edge of a box may be its near or its far side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.camera_model import PinholeCamera


@dataclass(frozen=True)
class Blob:
    position: np.ndarray  # (2,) floor point
    covariance: np.ndarray  # (2, 2)
    peak_c: float  # hottest pixel
    pixels: int


def floor_point(camera: PinholeCamera, u: float, v: float) -> np.ndarray | None:
    """Where the ray through pixel (u, v) meets the floor z = 0, or None if it does not."""
    d = camera.R_wc @ np.array([(u - camera.cx) / camera.f, (v - camera.cy) / camera.f, 1.0])
    if d[2] >= -1e-9:
        return None
    t = -camera.t_wc[2] / d[2]
    return camera.t_wc + t * d


def warm_blobs(
    temperature_c: np.ndarray,
    camera: PinholeCamera,
    delta_c: float = 6.0,
    min_pixels: int = 4,
    pixel_sigma: float = 1.0,
    object_depth_m: float = 0.5,
    bridge_px: int = 2,
) -> list[Blob]:
    """Blobs warmer than the background by `delta_c`, with floor positions and covariances."""
    background = float(np.median(temperature_c))
    warm = temperature_c > background + delta_c
    # Close gaps of up to `bridge_px` pixels: thin occluders (rack uprights) split one warm body in two.
    grouped = ndimage.binary_closing(warm, structure=np.ones((3, 3), bool), iterations=bridge_px) | warm
    labels, n = ndimage.label(grouped, structure=np.ones((3, 3), bool))
    labels[~warm] = 0  # positions come from the warm pixels themselves
    if n == 0:
        return []
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    peaks = ndimage.maximum(temperature_c, labels, index=np.arange(1, n + 1))
    out = []
    vs, us = np.nonzero(labels)
    lab = labels[vs, us]
    for k in range(1, n + 1):
        if sizes[k] < min_pixels:
            continue
        sel = lab == k
        v_bottom = vs[sel].max()
        u_bottom = us[sel][vs[sel] == v_bottom].mean()
        p = floor_point(camera, u_bottom + 0.0, v_bottom + 0.5)  # the lower edge of the bottom pixel
        if p is None:
            continue
        # Footprint of the pixel uncertainty: numerical Jacobian of the floor point w.r.t. (u, v).
        du = floor_point(camera, u_bottom + 1.0, v_bottom + 0.5)
        dv = floor_point(camera, u_bottom, v_bottom + 1.5)
        if du is None or dv is None:
            continue
        J = np.column_stack([du[:2] - p[:2], dv[:2] - p[:2]])
        cov = J @ J.T * pixel_sigma**2
        ray = p[:2] - camera.t_wc[:2]
        ray /= max(np.linalg.norm(ray), 1e-9)
        cov = cov + np.outer(ray, ray) * (object_depth_m / 2) ** 2 + np.eye(2) * 0.05**2
        out.append(Blob(p[:2], cov, float(peaks[k - 1]), int(sizes[k])))
    return out

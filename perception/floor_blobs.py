"""Foreground blobs of a fixed camera's image placed on the floor: positions with covariance.

Blobs are 8-connected regions of a foreground mask after closing gaps of `bridge_px` pixels (a rack
upright in front of a forklift must not split it in two), of at least `min_pixels`. The blob's lowest
pixels are where it touches the floor (feet, wheels), so the centre of its bottom row is cast to z = 0
through the pinhole model; that is the body's near edge, so the position moves half the body's depth
further along the ray (the depth taken as the blob's width on the floor, at most `max_half_depth_m` × 2).
A blob that would stand taller than `max_height_m` even with its top as far beyond the contact point as
a body is deep (2 × `max_half_depth_m`) is a misplaced fragment and is dropped: seen steeply from above,
a forklift's guard at its far end lies well beyond its near wheels, so its top, projected onto the
vertical line above the contact point, reads 3–4 m tall within one to two mounting heights of the camera.
The covariance is the floor footprint of `pixel_sigma` pixels at that point (the Jacobian of the floor
intersection with respect to the pixel), plus half that shift along the ray. Used by thermal blobs and
camera foreground alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.camera_model import PinholeCamera
from perception.contact_split import contact_runs
from perception.morphology import bounding_box, close_square


def _height_at(camera: PinholeCamera, foot: np.ndarray, v_top: float, u: float) -> float:
    """Height of the point seen at pixel (u, v_top) on the vertical line above the floor point `foot`."""
    d = camera.R_wc @ np.array([(u - camera.cx) / camera.f, (v_top - camera.cy) / camera.f, 1.0])
    horizontal = np.linalg.norm(d[:2])
    if horizontal < 1e-9:
        return np.inf
    reach = np.linalg.norm(foot[:2] - camera.t_wc[:2])
    return float(camera.t_wc[2] + d[2] / horizontal * reach)


@dataclass(frozen=True)
class Blob:
    position: np.ndarray  # (2,) floor point
    covariance: np.ndarray  # (2, 2)
    peak_c: float  # the largest value inside (temperature for thermal blobs)
    pixels: int
    width_m: float = float("nan")  # the blob's width on the floor at its contact point
    height_m: float = float("nan")  # how tall a body standing at the contact point would be to reach its top


def floor_point(camera: PinholeCamera, u: float, v: float) -> np.ndarray | None:
    """Where the ray through pixel (u, v) meets the floor z = 0, as (x, y, 0), or None if it does not.
    `PinholeCamera.floor_points` for one pixel, the same arithmetic without its array set-up (blob
    placement casts thousands of single pixels a minute)."""
    d = np.array([[(u - camera.cx) / camera.f, (v - camera.cy) / camera.f, 1.0]]) @ camera.R_wc.T
    if not d[0, 2] < -1e-9:
        return None
    xy = camera.t_wc[:2] + (-camera.t_wc[2] / d[0, 2]) * d[0, :2]
    return np.array([xy[0], xy[1], 0.0])


def floor_blobs(
    mask: np.ndarray,
    camera: PinholeCamera,
    values: np.ndarray | None = None,
    min_pixels: int = 4,
    pixel_sigma: float = 1.0,
    max_half_depth_m: float = 1.5,
    bridge_px: int = 2,
    max_height_m: float | None = 3.0,
    floor_mask: np.ndarray | None = None,
    split_jump_m: float = 0.0,
    split_min_run_px: int = 3,
    split_min_step_px: int = 1,
    split_min_width_m: float = 0.0,
) -> list[Blob]:
    """Blobs of a foreground `mask` (warm pixels, moving pixels…) with floor positions and covariances;
    `values` (optional, same shape) gives each blob its peak value.

    `floor_mask` (optional, from the site's 3D map) marks the pixels whose static background is the
    floor: a blob whose lowest pixels do not sit on floor pixels has its feet hidden behind something
    (a rack, the image border), so its floor contact is unknown and it is not reported.

    `split_jump_m` > 0: a blob is first cut where one body stands in front of another
    (`perception.contact_split`: its contact line jumps more than `split_jump_m` along the ground and at
    least `split_min_step_px` rows; pieces at least `split_min_run_px` columns and `split_min_width_m`
    wide), and each piece is placed as a blob of its own."""
    # Work in the box around the foreground, grown by the closing's reach (dilation, then erosion): the
    # same blobs, numbered alike, as on the whole image.
    box = bounding_box(mask, pad=2 * bridge_px)
    if box is None:
        return []
    warm = mask[box]
    # Close gaps of up to `bridge_px` pixels: thin occluders (rack uprights) split one warm body in two.
    grouped = close_square(warm, 2 * bridge_px + 1) | warm  # = a 3 × 3 closing iterated bridge_px times
    labels, n = ndimage.label(grouped, structure=np.ones((3, 3), bool))
    labels[~warm] = 0  # positions come from the warm pixels themselves
    if n == 0:
        return []
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    vs, us = np.nonzero(labels)
    lab = labels[vs, us]
    vs, us = vs + box[0].start, us + box[1].start
    peaks = np.full(n + 1, -np.inf)  # ufunc.at over the labelled pixels: far cheaper than ndimage.maximum
    np.maximum.at(peaks, lab, values[vs, us] if values is not None else 1.0)
    peaks = peaks[1:]
    out = []
    order = np.argsort(lab, kind="stable")  # each blob's pixels in one slice, in row-major order
    start = np.r_[0, np.cumsum(sizes[1:])]
    for k in range(1, n + 1):
        if sizes[k] < min_pixels:
            continue
        sl = order[start[k - 1] : start[k]]
        bv, bu = vs[sl], us[sl]
        body = None
        if split_jump_m > 0:
            body = contact_runs(
                bv,
                bu,
                camera,
                split_jump_m,
                split_min_run_px,
                floor_mask,
                split_min_step_px,
                split_min_width_m,
            )
        if body is None or not body.any():
            pieces = [(bv, bu, float(peaks[k - 1]))]
        else:
            parts = [body == b for b in range(int(body.max()) + 1)]
            pieces = [
                (bv[m], bu[m], float(values[bv[m], bu[m]].max()) if values is not None else 1.0)
                for m in parts
                if m.sum() >= min_pixels
            ]
        for pv, pu, peak in pieces:
            blob = _placed(pv, pu, camera, floor_mask, max_height_m, max_half_depth_m, pixel_sigma)
            if blob is not None:
                out.append(Blob(blob[0], blob[1], peak, len(pv), blob[2], blob[3]))
    return out


def _placed(vs, us, camera, floor_mask, max_height_m, max_half_depth_m, pixel_sigma):
    """(centre, covariance, width_m, height_m) of one body's pixels, or None if it cannot be placed."""
    v_bottom = vs.max()
    bottom_us = us[vs == v_bottom]
    u_bottom = bottom_us.mean()
    if floor_mask is not None:
        below = v_bottom + 1
        if below >= floor_mask.shape[0] or not floor_mask[below, bottom_us].mean() > 0.5:
            return None  # feet hidden: the contact point cannot be seen
    p = floor_point(camera, u_bottom + 0.0, v_bottom + 0.5)  # the lower edge of the bottom pixel
    if p is None:
        return None
    height = _height_at(camera, p, vs.min() - 0.5, u_bottom)
    if max_height_m is not None and height > max_height_m:
        # The top may lie as far beyond the contact point as a body is deep; taller even there, nothing
        # that moves stands there: a misplaced fragment.
        ray = p[:2] - camera.t_wc[:2]
        far = p[:2] + ray / max(np.linalg.norm(ray), 1e-9) * 2 * max_half_depth_m
        if _height_at(camera, np.r_[far, 0.0], vs.min() - 0.5, u_bottom) > max_height_m:
            return None
    # Footprint of the pixel uncertainty: numerical Jacobian of the floor point w.r.t. (u, v).
    du = floor_point(camera, u_bottom + 1.0, v_bottom + 0.5)
    dv = floor_point(camera, u_bottom, v_bottom + 1.5)
    if du is None or dv is None:
        return None
    J = np.column_stack([du[:2] - p[:2], dv[:2] - p[:2]])
    cov = J @ J.T * pixel_sigma**2
    ray = p[:2] - camera.t_wc[:2]
    ray /= max(np.linalg.norm(ray), 1e-9)
    # The lowest pixels are the body's near edge: its centre lies about half its depth further along
    # the ray. The depth is taken as the blob's width on the floor (bodies are roughly as deep as wide).
    width_m = (us.max() - us.min() + 1) * float(np.linalg.norm(J[:, 0]))
    half = min(width_m / 2, max_half_depth_m)
    centre = p[:2] + ray * half
    cov = cov + np.outer(ray, ray) * (half / 2) ** 2 + np.eye(2) * 0.05**2
    return centre, cov, width_m, height

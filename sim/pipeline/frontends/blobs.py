"""Shared by the image front-ends (camera, thermal): blobs → floor positions, what a camera covers."""

from __future__ import annotations

import numpy as np

from fusion.measurements import PositionMeasurements
from perception.camera_model import PinholeCamera
from perception.class_priors import DEFAULT_PRIORS


def camera_of(frame) -> PinholeCamera:
    """The pinhole model a camera or thermal frame reports (its intrinsics and its reported pose)."""
    K, T = frame.K, frame.pose
    h, w = (frame.rgb if hasattr(frame, "rgb") else frame.temperature_c).shape[:2]
    return PinholeCamera(w, h, float(K[0, 0]), float(K[0, 2]), float(K[1, 2]), T[:3, :3], T[:3, 3])


def blob_measurements(frame, source: str, blobs, full_score_px: int) -> PositionMeasurements:
    """Blobs (perception.floor_blobs) as floor positions, scored by their pixel count, classed by the
    height and floor width of the body they would be (the class priors' rules, width² as the footprint)."""
    z = np.array([b.position for b in blobs], float).reshape(-1, 2)
    R = np.array([b.covariance for b in blobs], float).reshape(-1, 2, 2)
    score = np.array([min(1.0, b.pixels / full_score_px) for b in blobs], float)
    cls = tuple(blob_class(b) for b in blobs)
    return PositionMeasurements(frame.t, frame.sensor_id, source, z, R, cls, score)


def blob_class(b) -> str:
    if not (np.isfinite(b.height_m) and np.isfinite(b.width_m)):
        return "unknown"
    return DEFAULT_PRIORS.classify(b.height_m, b.width_m**2)


def in_view(camera: PinholeCamera, floor_mask: np.ndarray | None = None):
    """Floor points (n, 2) → whether they project inside the image in front of the camera and, given the
    site map's `floor_mask`, onto floor the empty building shows (not behind a rack: a body standing
    there has its feet hidden, and the blob detector cannot place it, so not seeing it is no miss)."""

    def covered(xy: np.ndarray) -> np.ndarray:
        uv, depth = camera.project(np.column_stack([xy, np.zeros(len(xy))]))
        inside = (
            (depth > 0)
            & (uv[:, 0] >= 0)
            & (uv[:, 0] < camera.width)
            & (uv[:, 1] >= 0)
            & (uv[:, 1] < camera.height)
        )
        if floor_mask is not None and inside.any():
            u = uv[inside, 0].astype(int)
            v = uv[inside, 1].astype(int)
            inside[inside] = floor_mask[v, u]
        return inside

    return covered


def on_free_floor(pm: PositionMeasurements, racks: np.ndarray) -> PositionMeasurements:
    """Drop floor points inside rack rows (rectangles (n, 4), from the layout): a blob whose feet are
    hidden behind a rack projects beyond it, and nothing moving can stand inside a rack."""
    if not len(pm) or not len(racks):
        return pm
    x, y = pm.z[:, 0:1], pm.z[:, 1:2]
    inside = ((x >= racks[:, 0]) & (x <= racks[:, 2]) & (y >= racks[:, 1]) & (y <= racks[:, 3])).any(1)
    keep = ~inside
    return PositionMeasurements(
        pm.t,
        pm.sensor_id,
        pm.source,
        pm.z[keep],
        pm.R[keep],
        tuple(c for c, k in zip(pm.cls, keep, strict=True) if k),
        pm.score[keep],
    )

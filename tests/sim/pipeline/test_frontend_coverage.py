"""What an image front-end says it covered: inside the image, and on floor the empty building shows."""

from __future__ import annotations

import numpy as np

from perception.camera_model import PinholeCamera
from sim.pipeline.frontends.blobs import in_view


def _nadir_camera():
    """8 × 6 pixels looking straight down from 10 m over (5, 5): x right, y down in the image."""
    R_wc = np.array([[1.0, 0, 0], [0, -1, 0], [0, 0, -1]])  # camera axes in world: x, −y, −z
    return PinholeCamera.from_hfov(8, 6, 90.0, [5.0, 5.0, 10.0], R_wc)


def test_points_behind_the_site_maps_occluders_are_not_covered():
    cam = _nadir_camera()
    pts = np.array([[5.0, 5.0], [9.0, 5.0], [40.0, 5.0]])  # centre, right of centre, outside the image
    uv, _ = cam.project(np.column_stack([pts, np.zeros(3)]))
    floor = np.ones((6, 8), bool)
    assert in_view(cam)(pts).tolist() == [True, True, False]
    floor[int(uv[1, 1]), int(uv[1, 0])] = False  # a rack top hides the floor at the second point
    assert in_view(cam, floor)(pts).tolist() == [True, False, False]
    assert in_view(cam, np.ones((6, 8), bool))(pts).tolist() == [True, True, False]

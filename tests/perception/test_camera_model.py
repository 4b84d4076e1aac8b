"""Pinhole model: projection inverts pixel rays; look-at centres the target; the homography agrees."""

from __future__ import annotations

import numpy as np

from perception.camera_model import PinholeCamera, look_at_rotation, ypr_rotation


def _camera():
    return PinholeCamera.from_hfov(320, 240, 90.0, (39, 24, 6), look_at_rotation((39, 24, 6), (25, 12, 0)))


def test_rotation_is_orthonormal_and_looks_at_the_target():
    cam = _camera()
    assert np.allclose(cam.R_wc.T @ cam.R_wc, np.eye(3)) and np.isclose(np.linalg.det(cam.R_wc), 1.0)
    uv, z = cam.project(np.array([[25.0, 12.0, 0.0]]))
    assert np.allclose(uv, [[cam.cx, cam.cy]]) and z[0] > 0
    # Image "down" points towards the floor for a camera looking down.
    assert cam.R_wc[:, 1][2] < 0


def test_pixel_rays_project_back_to_their_pixels():
    cam = _camera()
    d = cam.pixel_directions()
    pts = cam.t_wc + d * np.linspace(1, 30, len(d))[:, None]
    uv, _ = cam.project(pts)
    u, v = np.meshgrid(np.arange(cam.width), np.arange(cam.height))
    assert np.abs(uv - np.stack([u.ravel(), v.ravel()], 1)).max() < 1e-9
    assert np.isclose(np.degrees(2 * np.arctan((cam.width / 2) / cam.f)), 90.0)


def test_ground_homography_matches_projection_of_floor_points():
    cam = _camera()
    rng = np.random.default_rng(0)
    floor = np.column_stack([rng.uniform(0, 40, 50), rng.uniform(0, 25, 50), np.zeros(50)])
    uv, z = cam.project(floor)
    h = (cam.ground_homography() @ np.column_stack([floor[:, :2], np.ones(50)]).T).T
    assert (z > 0).all()
    assert np.allclose(h[:, :2] / h[:, 2:], uv, atol=1e-9)


def test_floor_points_invert_the_projection_and_refuse_rays_that_do_not_descend():
    cam = _camera()
    rng = np.random.default_rng(1)
    floor = np.column_stack([rng.uniform(0, 40, 50), rng.uniform(0, 25, 50), np.zeros(50)])
    uv, z = cam.project(floor)
    assert (z > 0).all()
    np.testing.assert_allclose(cam.floor_points(uv[:, 0], uv[:, 1]), floor[:, :2], atol=1e-9)
    # A point well above the camera, ahead of it: its pixel's ray rises and meets no floor.
    ahead = cam.t_wc + 10 * cam.R_wc[:, 2] + np.array([0, 0, 10.0])
    (up,), _ = cam.project(ahead[None])
    assert np.isnan(cam.floor_points(up[0], up[1])).all()


def test_yaw_pitch_roll_zero_looks_along_x():
    R = ypr_rotation(0.0, 0.0, 0.0)
    assert (
        np.allclose(R[:, 2], [1, 0, 0])
        and np.allclose(R[:, 0], [0, -1, 0])
        and np.allclose(R[:, 1], [0, 0, -1])
    )
    R = ypr_rotation(np.pi / 2, np.radians(30), 0.0)
    assert np.allclose(R[:, 2], [0, np.cos(np.radians(30)), -np.sin(np.radians(30))])


def test_floor_point_is_floor_points_for_one_pixel_to_the_bit():
    """Blob placement's scalar cast must give exactly the vectorised cast's numbers (the docs' figures were
    measured with it), above the horizon included (None there, NaN in floor_points)."""
    from perception.floor_blobs import floor_point

    cam = _camera()
    rng = np.random.default_rng(2)
    for u, v in rng.uniform([-50, -50], [cam.width + 50, cam.height + 50], (2000, 2)):
        one, many = floor_point(cam, u, v), cam.floor_points(u, v)[0]
        if one is None:
            assert np.isnan(many).all()
        else:
            assert one[0] == many[0] and one[1] == many[1] and one[2] == 0.0

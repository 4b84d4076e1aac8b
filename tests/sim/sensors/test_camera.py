"""Camera: the ray caster and the camera model agree; floor depth is the plane intersection; actors show."""

from __future__ import annotations

import numpy as np

from sim.loading import load_scenario
from sim.sensors.camera import Camera
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO
from tests.sim.sensors.conftest import sim_of

EMPTY = {"size_m": [20, 20], "height_m": 8}


def test_hit_points_project_to_their_pixels():
    sim = Simulation(load_scenario(DEFAULT_SCENARIO))
    sim.reset()
    cam = sim.sensors.by_id["cam_ne"]
    assert isinstance(cam, Camera)
    h = cam.static_hits
    rays = cam.grid.rays.astype(float)
    hit = np.flatnonzero(h.hit)
    pts = rays[hit, :3] + rays[hit, 3:] * h.t[hit, None]
    uv, z = cam.model.project(pts)
    u, v = hit % cam.model.width, hit // cam.model.width
    assert hit.size > 0.5 * len(rays) and (z > 0).all()
    assert np.abs(uv[:, 0] - u).max() < 2e-3 and np.abs(uv[:, 1] - v).max() < 2e-3  # float32 ray casting


def test_floor_depth_is_the_plane_intersection():
    sim = sim_of(EMPTY, [], [{"id": "c", "type": "camera", "position": [2, 10, 5], "look_at": [15, 10, 0]}])
    step, _ = sim.reset()
    (frame,) = step.readings
    cam = sim.sensors.by_id["c"].model
    d = cam.pixel_directions()
    floor = (frame.truth_class.ravel() == 0) & (d[:, 2] < -0.05)
    t = -cam.t_wc[2] / d[floor, 2]  # ray parameter where z = 0
    expected = t * (d[floor] @ cam.R_wc[:, 2])  # depth along the optical axis
    got = frame.truth_depth.ravel()[floor]
    assert floor.sum() > 10_000
    assert np.abs(got - expected).max() < 1e-3 * expected.max()


def test_an_actor_in_view_fills_its_mask_with_its_colour():
    actors = [
        {
            "id": "fl",
            "kind": "forklift",
            "motion": {"type": "stationary", "position": [12, 10], "yaw_deg": 90},
        }
    ]
    sim = sim_of(
        EMPTY, actors, [{"id": "c", "type": "camera", "position": [2, 10, 4], "look_at": [12, 10, 1]}]
    )
    step, _ = sim.reset()
    (frame,) = step.readings
    mask = frame.truth_instance == ACTOR_INSTANCE_BASE
    assert mask.sum() > 500
    assert (frame.truth_class[mask] == 4).all()
    r, g, b = frame.rgb[mask].astype(float).mean(axis=0)
    assert r > g > b and r - b > 60  # safety yellow
    assert frame.rgb.shape == (240, 320, 3) and frame.rgb.dtype == np.uint8


def test_image_conversion_equals_the_plain_round_and_transpose():
    from sim.sensors.camera import to_image

    rng = np.random.default_rng(0)
    rgb = rng.uniform(-0.2, 1.2, (3, 6 * 5)).astype(np.float32)  # out of range on purpose: clipped
    rgb[:, 0] = [0.5 / 255, 254.5 / 255, 1.0]  # halfway cases round as the plain formula does
    plain = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8).T.reshape(6, 5, 3)
    got = to_image(rgb.copy(), 6, 5)
    np.testing.assert_array_equal(got, plain)
    assert got.flags["C_CONTIGUOUS"]


def test_pixel_noise_is_one_gaussian_draw_per_pixel_on_background_and_actors_alike():
    """Luminance noise: noisy − clean frame is the same in every channel of a pixel, zero-mean, σ = noise_std
    of full scale, on the empty view and on the actor's pixels alike (they are shaded separately)."""
    actors = [{"id": "fl", "kind": "forklift", "motion": {"type": "stationary", "position": [12, 10]}}]
    spec = {"id": "c", "type": "camera", "position": [2, 10, 4], "look_at": [12, 10, 1]}
    clean = sim_of(EMPTY, actors, [{**spec, "noise_std": 0.0}]).reset()[0].readings[0]
    noisy = sim_of(EMPTY, actors, [{**spec, "noise_std": 0.02}]).reset()[0].readings[0]
    diff = noisy.rgb.astype(float) - clean.rgb.astype(float)
    every = ((clean.rgb > 20) & (clean.rgb < 235)).all(axis=2)  # no channel near clipping at 0 or 255
    green = (clean.rgb[..., 1] > 20) & (clean.rgb[..., 1] < 235)  # safety yellow has little blue
    actor = (clean.truth_instance == ACTOR_INSTANCE_BASE) & green
    rest = (clean.truth_instance == 0) & green
    assert actor.sum() > 500 and rest.sum() > 20_000 and every.sum() > 20_000
    # One draw for the three channels: rounding to uint8 is the only difference between them.
    assert np.abs(diff[..., 0] - diff[..., 1])[every].max() <= 1
    assert np.abs(diff[..., 1] - diff[..., 2])[every].max() <= 1
    expected = np.sqrt((0.02 * 255) ** 2 + 2 / 12)  # σ of full scale, and the rounding of two frames
    for where in (actor, rest):
        d = diff[..., 1][where]
        n = d.size
        assert abs(d.mean()) < 4 * expected / np.sqrt(n)
        assert abs(d.std() / expected - 1) < 4 * np.sqrt(1 / (2 * n)) + 0.01

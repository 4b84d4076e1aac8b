"""Warm blobs: floor position of a real rendered worker; hidden feet are not reported; small blobs dropped."""

from __future__ import annotations

import numpy as np
import yaml

from perception.camera_model import PinholeCamera, look_at_rotation
from perception.thermal_blobs import floor_point, warm_blobs
from sim.loading import parse_scenario
from sim.simulation import Simulation


def _rendered(size_m, height_m, actor: dict, sensor: dict):
    """The first thermal frame of a one-actor, one-camera scene, and that camera's pinhole model."""
    d = {
        "name": "t",
        "duration_s": 1,
        "layout": {"size_m": size_m, "height_m": height_m},
        "actors": [actor],
        "sensors": [{"id": "ir", "type": "thermal", **sensor}],
    }
    step, _ = Simulation(parse_scenario(yaml.safe_dump(d))).reset()
    (frame,) = step.readings
    T = frame.pose
    return frame, PinholeCamera(160, 120, frame.K[0, 0], frame.K[0, 2], frame.K[1, 2], T[:3, :3], T[:3, 3])


def test_a_rendered_worker_is_placed_on_the_floor_where_it_stands():
    frame, cam = _rendered(
        [20, 12],
        9,
        {"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [11, 7]}},
        {"position": [2, 6, 8], "look_at": [11, 6, 0]},
    )
    (blob,) = warm_blobs(frame.temperature_c, cam)
    assert np.linalg.norm(blob.position - [11, 7]) < 0.3
    # The covariance is a real one and covers the error.
    e = blob.position - [11, 7]
    assert np.all(np.linalg.eigvalsh(blob.covariance) > 0) and e @ np.linalg.solve(blob.covariance, e) < 9.21


def test_hidden_feet_and_tiny_blobs_are_not_reported():
    cam = PinholeCamera.from_hfov(80, 60, 60, (0, 0, 5), look_at_rotation((0, 0, 5), (8, 0, 0)))
    img = np.full((60, 80), 18.0)
    img[20:30, 38:42] = 32.0  # a warm body
    img[5, 5] = 40.0  # one hot pixel: noise, not an object
    floor = np.ones((60, 80), bool)
    (blob,) = warm_blobs(img, cam, floor_mask=floor)
    contact = floor_point(cam, 39.5, 29.5)
    assert np.linalg.norm(blob.position - contact[:2]) < 1.0  # shifted along the ray from the near edge
    assert blob.position[0] > contact[0]
    floor[30:, :] = False  # something static right below the body: its feet are hidden
    assert warm_blobs(img, cam, floor_mask=floor) == []


def test_blobs_are_the_whole_images_closed_groups():
    """Blobs are grouped in the box around the warm pixels; they must be the groups a 3 × 3 closing of
    the whole image (twice) makes, blobs at the image border included."""
    from scipy import ndimage

    from perception.floor_blobs import floor_blobs

    cam = PinholeCamera.from_hfov(80, 60, 60, (0, 0, 5), look_at_rotation((0, 0, 5), (8, 0, 0)))
    rng = np.random.default_rng(3)
    for _ in range(30):
        img = rng.normal(18.0, 0.3, (60, 80))
        for _ in range(rng.integers(1, 5)):
            v, u = rng.integers(0, 60), rng.integers(0, 80)
            img[v : v + rng.integers(1, 12), u : u + rng.integers(1, 6)] = rng.uniform(25, 40)
        warm = img > 24
        grouped = ndimage.binary_closing(warm, np.ones((3, 3), bool), iterations=2) | warm
        labels, n = ndimage.label(grouped, structure=np.ones((3, 3), bool))
        labels[~warm] = 0
        sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
        peaks = [img[labels == k].max() for k in range(1, n + 1)]
        expected = sorted((int(s), float(p)) for s, p in zip(sizes, peaks, strict=True) if s >= 4)
        got = floor_blobs(warm, cam, img, min_pixels=4, max_height_m=None, max_half_depth_m=1.5)
        # Blobs whose contact ray misses the floor are dropped; every reported one is an expected group.
        assert set((b.pixels, b.peak_c) for b in got) <= set(expected)
        assert len(got) >= 1 or not expected


def test_a_forklift_seen_steeply_from_a_high_camera_is_reported():
    """Its guard's far end projects onto the vertical line above its near wheels 3–4 m up: the height check
    must allow for the body's depth (it dropped every such forklift within ~1.5 mounting heights)."""
    for yaw, dist in ((0.0, 4.0), (45.0, 6.0), (90.0, 6.0)):
        motion = {"type": "stationary", "position": [2 + dist, 7], "yaw_deg": yaw}
        frame, cam = _rendered(
            [30, 14],
            10,
            {"id": "f", "kind": "forklift", "motion": motion},
            {"position": [2, 7, 8.7], "look_at": [10, 7, 0]},
        )
        (blob,) = warm_blobs(frame.temperature_c, cam)
        assert blob.height_m > 3.0  # as tall as the old check measured it ...
        assert np.linalg.norm(blob.position - [2 + dist, 7]) < 1.0  # ... and placed within the scoring gate


def test_a_blob_too_tall_even_at_a_body_depth_beyond_its_contact_is_dropped():
    cam = PinholeCamera.from_hfov(80, 60, 60, (0, 0, 5), look_at_rotation((0, 0, 5), (8, 0, 0)))
    img = np.full((60, 80), 18.0)
    img[22:30, 38:42] = 32.0  # a body about 1.5 m tall standing ~8 m away
    (blob,) = warm_blobs(img, cam)
    assert 1.0 < blob.height_m < 3.0
    img[2:30, 38:42] = 32.0  # the same contact, reaching far above anything that moves
    assert warm_blobs(img, cam) == []

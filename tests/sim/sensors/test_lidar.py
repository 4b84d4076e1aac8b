"""LiDAR: ranges to known walls within the noise model, labels match the geometry, dropout and presets."""

from __future__ import annotations

import numpy as np

from sim.sensors.lidar import VLP16
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from tests.sim.sensors.conftest import run_readings, sim_of

ROOM = {"size_m": [10, 10], "height_m": 4}


def test_range_to_a_wall_at_known_distance_is_within_noise():
    sim = sim_of(ROOM, [], [{"id": "l", "type": "lidar", "position": [5, 5, 1]}], duration=4.0)
    clouds = run_readings(sim)
    assert len(clouds) == 41
    lidar = sim.sensors.by_id["l"]
    # Channel at +1° elevation, azimuth 0: straight at the east wall 5 m away.
    ray = 8 * 1800
    assert np.isclose(np.degrees(np.arcsin(lidar.grid.rays[ray, 5])), 1.0, atol=1e-4)
    expected = 5 / np.cos(np.radians(1.0))
    ranges = []
    for pc in clouds:
        east = np.flatnonzero(
            np.isclose(pc.points_sensor[:, 1], 0, atol=1e-6)
            & (pc.points_sensor[:, 0] > 0)
            & np.isclose(
                pc.points_sensor[:, 2] / np.linalg.norm(pc.points_sensor, axis=1),
                np.sin(np.radians(1.0)),
                atol=1e-5,
            )
        )
        ranges.append(np.linalg.norm(pc.points_sensor[east[0]]))
    ranges = np.array(ranges)
    sigma = VLP16.range_noise_m
    assert np.abs(ranges - expected).max() < 5 * sigma
    assert abs(ranges.mean() - expected) < 4 * sigma / np.sqrt(len(ranges))
    assert 0.6 * sigma < ranges.std() < 1.5 * sigma


def test_point_labels_match_the_geometry_they_hit():
    actors = [{"id": "a", "kind": "agv", "motion": {"type": "stationary", "position": [7, 5], "yaw_deg": 30}}]
    sim = sim_of(ROOM, actors, [{"id": "l", "type": "lidar", "position": [5, 5, 0.3]}])
    step, _ = sim.reset()
    (pc,) = step.readings
    tol = 5 * VLP16.range_noise_m
    floor = pc.truth_class == 0
    wall = pc.truth_class == 1
    agv = pc.truth_instance == ACTOR_INSTANCE_BASE
    assert floor.any() and wall.any() and agv.sum() > 20
    assert np.abs(pc.points[floor, 2]).max() < tol
    p = pc.points[wall]
    to_wall = np.minimum.reduce([p[:, 0], 10 - p[:, 0], p[:, 1], 10 - p[:, 1]])
    assert np.abs(to_wall).max() < tol + 0.2  # walls are 0.2 m thick outside the interior
    # AGV points lie in its box (1.0 × 0.7 × 0.4 m at (7, 5), yaw 30°).
    q = pc.points[agv] - [7, 5, 0]
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    local = np.column_stack([c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1], q[:, 2]])
    assert (np.abs(local[:, 0]) <= 0.5 + tol).all() and (np.abs(local[:, 1]) <= 0.35 + tol).all()
    assert (local[:, 2] <= 0.4 + tol).all() and pc.intensity.min() >= 0 and pc.intensity.max() <= 1


def test_dropout_fraction_and_depth_camera_limits():
    sensors = [
        {"id": "l", "type": "lidar", "position": [5, 5, 1], "dropout": 0.3},
        {"id": "d", "type": "lidar", "preset": "depth_cam", "position": [1, 5, 1.5], "look_at": [9, 5, 0]},
    ]
    sim = sim_of(ROOM, [], sensors)
    step, _ = sim.reset()
    sweep, depth = step.readings
    n_rays = 16 * 1800
    kept = len(sweep.points) / n_rays
    assert abs(kept - 0.7) < 3.3 * np.sqrt(0.21 / n_rays)  # binomial, 99.9 %
    r = np.linalg.norm(depth.points_sensor, axis=1)
    assert len(r) > 0.9 * 212 * 120 and r.min() > 0.3 * 0.95 and r.max() < 10.0 * 1.05

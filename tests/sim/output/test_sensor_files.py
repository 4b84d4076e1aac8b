"""Saved sensor data reads back in its units: depth in metres, thermal in °C, clouds with their labels."""

from __future__ import annotations

import numpy as np

from sim.output.sensor_files import (
    read_cloud,
    read_depth_m,
    read_png,
    read_thermal_c,
    save_camera,
    save_cloud,
    save_thermal,
)
from sim.sensors.readings import CameraFrame, PointCloud, ThermalFrame

RNG = np.random.default_rng(5)
POSE = np.eye(4)
K = np.array([[160.0, 0, 159.5], [0, 160.0, 119.5], [0, 0, 1]])


def test_camera_rgb_and_depth_round_trip(tmp_path):
    rgb = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    depth = RNG.uniform(0.3, 60.0, (24, 32)).astype(np.float32)
    depth[0, :5] = np.inf  # sky
    depth[1, 0] = 70.0  # beyond the 16-bit millimetre range
    frame = CameraFrame(
        "c", 1.0, 1.0, rgb, K, POSE, depth, np.zeros((24, 32), np.int32), np.zeros((24, 32), np.uint8)
    )
    save_camera(tmp_path, "000001_000", frame)
    np.testing.assert_array_equal(read_png(tmp_path / "000001_000_rgb.png"), rgb)
    back = read_depth_m(tmp_path / "000001_000_depth_truth_mm.png")
    seen = np.isfinite(depth) & (depth <= 65.535)
    np.testing.assert_allclose(back[seen], depth[seen], atol=0.0005 + 1e-6)
    assert np.isnan(back[~seen]).all()


def test_thermal_round_trips_to_a_hundredth_of_a_degree(tmp_path):
    temp = RNG.uniform(-20.0, 120.0, (12, 16)).astype(np.float32)
    frame = ThermalFrame(
        "t", 2.5, 2.5, temp, K, POSE, np.zeros((12, 16), np.int32), np.zeros((12, 16), np.uint8)
    )
    save_thermal(tmp_path, "000002_500", frame)
    np.testing.assert_allclose(
        read_thermal_c(tmp_path / "000002_500_thermal_ck.png"), temp, atol=0.005 + 1e-4
    )


def test_clouds_keep_points_intensity_and_labels(tmp_path):
    n = 1000
    pts = RNG.uniform(-50, 50, (n, 3)).astype(np.float32)
    cls = RNG.integers(0, 8, n).astype(np.uint8)
    inst = np.where(cls >= 4, 100_000 + RNG.integers(0, 9, n), RNG.integers(0, 500, n)).astype(np.int32)
    cloud = PointCloud("l", 0.1, 0.1, pts, pts, RNG.random(n, dtype=np.float32), POSE, cls, inst)
    save_cloud(tmp_path, "000000_100", cloud)
    back = read_cloud(tmp_path / "000000_100.ply")
    np.testing.assert_array_equal(back["points"].astype(np.float32), pts)
    np.testing.assert_array_equal(back["intensity"], cloud.intensity)
    np.testing.assert_array_equal(back["class"], cls)
    np.testing.assert_array_equal(back["instance"], inst)
    assert not list(tmp_path.glob(".*"))  # the temporary file was renamed into place

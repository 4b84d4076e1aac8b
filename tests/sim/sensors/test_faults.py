"""Faults: dropout removes readings in its window; latency delays delivery; miscalibration moves the cloud."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sim.sensors.conftest import sim_of

ROOM = {"size_m": [10, 10], "height_m": 4}
LIDAR = {"id": "l", "type": "lidar", "position": [5, 5, 1], "rate_hz": 10}


def _deliveries(sim):
    step, _ = sim.reset()
    out = [(step.t, r) for r in step.readings]
    done = False
    while not done:
        step, done, _ = sim.step()
        out += [(step.t, r) for r in step.readings]
    return out


def test_dropout_window_loses_readings_and_counts_them():
    sim = sim_of(ROOM, [], [LIDAR], faults=[{"sensor": "l", "type": "dropout", "start_s": 0.5, "end_s": 1.0}])
    got = _deliveries(sim)
    ts = [round(r.t, 6) for _, r in got]
    assert ts == [round(0.1 * k, 6) for k in range(21) if not 0.5 <= 0.1 * k < 1.0 - 1e-9]
    assert sim.sensors.summary()["l"] == {
        "type": "lidar",
        "readings": 16,
        "dropped": 5,
        "delayed": 0,
        "miscalibrated": 0,
        "restamped": 0,
    }


def test_latency_delays_delivery_but_keeps_the_measurement_time():
    sim = sim_of(
        ROOM, [], [LIDAR], faults=[{"sensor": "l", "type": "latency", "start_s": 1.0, "latency_s": 0.27}]
    )
    for delivered_at, r in _deliveries(sim):
        if r.t < 1.0 - 1e-9:
            assert delivered_at == r.t and r.delivered_t == r.t
        else:
            assert np.isclose(r.delivered_t, r.t + 0.27)
            # Delivered at the first tick at or after t + latency.
            assert r.delivered_t <= delivered_at + 1e-9 < r.delivered_t + 0.05


def test_miscalibration_reports_the_believed_pose():
    fault = {
        "sensor": "l",
        "type": "miscalibration",
        "start_s": 0.0,
        "offset_m": [0.3, -0.2, 0.0],
        "yaw_deg": 2.0,
    }
    clean = sim_of(ROOM, [], [LIDAR], duration=0.1)
    bad = sim_of(ROOM, [], [LIDAR], faults=[fault], duration=0.1)
    (a,) = clean.reset()[0].readings
    (b,) = bad.reset()[0].readings
    # Same measurement (same seed), reported through a pose offset by 0.3, −0.2 m and rotated 2° about z.
    assert np.array_equal(a.points_sensor, b.points_sensor)
    yaw = np.radians(2.0)
    rz = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    expected = a.points_sensor.astype(float) @ rz.T + [5.3, 4.8, 1.0]
    assert np.abs(b.points - expected).max() < 1e-4
    assert np.allclose(b.pose[:3, 3], [5.3, 4.8, 1.0])


def test_drift_grows_the_believed_pose_linearly_from_the_fault_start():
    """0.02 m/s along x and 0.5°/s from t = 0.5 s: at t = 1.5 s the believed pose is 0.02 m and 0.5° off."""
    fault = {
        "sensor": "l",
        "type": "miscalibration",
        "start_s": 0.5,
        "drift_m_per_s": [0.02, 0.0, 0.0],
        "drift_deg_per_s": 0.5,
    }
    sim = sim_of(ROOM, [], [LIDAR], faults=[fault], duration=2.0)
    poses = {round(r.t, 6): r.pose for _, r in _deliveries(sim)}
    true_pose = poses[0.4]
    for t in (0.5, 1.0, 1.5, 2.0):
        since = t - 0.5
        yaw = np.radians(0.5 * since)
        rz = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
        np.testing.assert_allclose(poses[t][:3, 3], true_pose[:3, 3] + [0.02 * since, 0, 0], atol=1e-12)
        np.testing.assert_allclose(poses[t][:3, :3], rz @ true_pose[:3, :3], atol=1e-12)
    counts = sim.sensors.summary()["l"]
    assert counts["miscalibrated"] == 16 and counts["readings"] == 21  # 0.5 s … 2.0 s of 0 … 2.0 s


def test_a_drift_faster_than_a_metre_a_second_is_refused_in_one_line():
    import pytest
    import yaml

    from sim.loading import parse_scenario
    from sim.scenario.loader import ScenarioError
    from tests.conftest import scenario_dict

    d = scenario_dict(faults=[{"sensor": "cam", "type": "miscalibration", "drift_m_per_s": [0, 2, 0]}])
    with pytest.raises(ScenarioError) as e:
        parse_scenario(yaml.safe_dump(d), "s.yaml")
    (problem,) = e.value.problems
    assert "faults[0]" in str(problem) and "within ±1 m/s" in str(problem)


def test_burst_dropout_is_a_gilbert_elliott_channel():
    """Stationary loss p / (p + 1/mean_burst) and bursts of mean_burst readings (geometric), fixed seed."""
    p, mean_burst = 0.05, 6.0
    fault = {"sensor": "l", "type": "burst_dropout", "p_enter": p, "mean_burst": mean_burst}
    sim = sim_of(ROOM, [], [LIDAR], faults=[fault], duration=0.1)
    sim.reset()
    lost = np.array([sim.sensors._dropped("l", 0.0) for _ in range(40_000)])
    q = 1 / mean_burst
    assert abs(lost.mean() - p / (p + q)) < 0.02  # 0.231; the estimate's σ ≈ 0.006 with these bursts
    edges = np.flatnonzero(np.diff(np.r_[0, lost.astype(int), 0]))
    bursts = edges[1::2] - edges[::2]
    assert abs(bursts.mean() - mean_burst) < 0.5 and len(bursts) > 1000


def test_a_clock_fault_restamps_readings_and_a_run_takes_future_stamps_at_arrival(tmp_path):
    fault = {"sensor": "l", "type": "clock", "offset_s": 0.3, "start_s": 0.5}
    sim = sim_of(ROOM, [], [LIDAR], faults=[fault], duration=1.0)
    got = _deliveries(sim)
    for arrived, r in got:
        assert r.t == pytest.approx(arrived + (0.3 if arrived >= 0.5 - 1e-9 else 0.0))
    assert sim.sensors.summary()["l"]["restamped"] == 6
    jitter = {"sensor": "l", "type": "clock", "jitter_s": 0.02}
    stamps = [
        r.t - arrived for arrived, r in _deliveries(sim_of(ROOM, [], [LIDAR], faults=[jitter], duration=20.0))
    ]
    assert abs(np.std(stamps) - 0.02) < 0.003 and abs(np.mean(stamps)) < 0.003  # 201 readings


def test_future_stamps_are_clamped_so_other_sensors_are_not_dropped(tmp_path):
    import io
    import json

    import yaml

    from sim.loading import parse_scenario
    from sim.runner import run_scenario
    from tests.conftest import scenario_dict, with_lidar

    d = with_lidar(scenario_dict(duration_s=3, pipeline={"strategy": "central"}))
    d["faults"] = [{"sensor": "cam", "type": "clock", "offset_s": 0.3}]
    run_scenario(parse_scenario(yaml.safe_dump(d)), tmp_path / "r", plots=False, log=io.StringIO())
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["pipeline"]["future_stamps_clamped"] == m["sensors"]["cam"]["restamped"] == 31
    assert m["pipeline"]["out_of_sequence_dropped"] == 0


def test_every_fault_type_is_shaded_in_the_metrics_figure(tmp_path, monkeypatch):
    import io

    import matplotlib.axes
    import yaml

    from sim.loading import parse_scenario
    from sim.runner import run_scenario
    from tests.conftest import scenario_dict

    spans = []
    real = matplotlib.axes.Axes.axvspan
    monkeypatch.setattr(
        matplotlib.axes.Axes, "axvspan", lambda ax, *a, **k: spans.append(k.get("label")) or real(ax, *a, **k)
    )
    kinds = ["dropout", "burst_dropout", "latency", "miscalibration", "clock"]
    d = scenario_dict(duration_s=2, pipeline={"strategy": "central"})
    d["faults"] = [
        {"sensor": "cam", "type": k, "start_s": 0.2 * i, "end_s": 0.2 * i + 0.1}
        | ({"latency_s": 0.1} if k == "latency" else {})
        for i, k in enumerate(kinds)
    ]
    run_scenario(parse_scenario(yaml.safe_dump(d)), tmp_path / "r", log=io.StringIO())
    labels = [s for s in spans if s]
    assert labels == [f"{k.replace('_', ' ')}: cam" for k in kinds]  # one legend entry each
    assert (tmp_path / "r" / "plots" / "metrics.png").stat().st_size > 20_000

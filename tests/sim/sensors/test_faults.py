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
    kinds = ["dropout", "burst_dropout", "latency", "miscalibration", "clock", "multipath", "hot_spot"]
    sensor = {"multipath": "rf", "hot_spot": "ir"}
    extra = {"latency": {"latency_s": 0.1}, "hot_spot": {"position": [12, 6]}}
    d = scenario_dict(duration_s=2, pipeline={"strategy": "central"})
    d["sensors"] += [
        {"id": "rf", "type": "rfid", "position": [1, 5.3, 1.5], "boresight": [1, 0, 0]},
        {"id": "ir", "type": "thermal", "position": [19, 1, 4], "look_at": [10, 6, 0]},
    ]
    d["faults"] = [
        {"sensor": sensor.get(k, "cam"), "type": k, "start_s": 0.2 * i, "end_s": 0.2 * i + 0.1}
        | extra.get(k, {})
        for i, k in enumerate(kinds)
    ]
    run_scenario(parse_scenario(yaml.safe_dump(d)), tmp_path / "r", log=io.StringIO())
    labels = [s for s in spans if s]
    # One legend entry each, in the fault's own style.
    assert labels == [f"{k.replace('_', ' ')}: {sensor.get(k, 'cam')}" for k in kinds]
    from sim.plots.metrics_plot import FAULT_STYLE

    assert set(FAULT_STYLE) == set(kinds) and len(set(FAULT_STYLE.values())) == len(kinds)
    assert (tmp_path / "r" / "plots" / "metrics.png").stat().st_size > 20_000


# ------------------------------------------------------------------------------------- RFID multipath
HALL = {"size_m": [30, 20], "height_m": 6}


def _always_multipath(**changes) -> dict:
    """A multipath fault that is always in a burst (p_enter 1, bursts of 10⁴ rounds)."""
    return {"sensor": "r", "type": "multipath", "p_enter": 1.0, "mean_burst": 10_000} | changes


def _tagged(xs):
    return [
        {
            "id": f"w{k}",
            "kind": "worker",
            "tags": [f"T{k}"],
            "motion": {"type": "stationary", "position": [x, 10]},
        }
        for k, x in enumerate(xs)
    ]


def _rounds(fault=None):
    from tests.sim.sensors.test_rfid import UNCAPPED_READER

    sim = sim_of(
        HALL, _tagged([3, 8, 12, 20, 25]), [UNCAPPED_READER], faults=[fault] if fault else [], duration=30
    )
    return [r for _, r in _deliveries(sim)], sim


def test_multipath_ghost_reads_are_poisson_weak_and_within_range():
    """Always in a burst (p_enter 1, bursts of 10⁴ rounds): ghosts per round Poisson(2) capped by the unread
    tags in range; each ghost a tag the direct path did not read this round, ≤ 15 m away, with the RSSI
    of a barely powered tag: mean 2·(S + 3 dB) − P_tx − L_mod."""
    from sim.sensors.rfid import MODULATION_LOSS_DB, TAG_SENSITIVITY_DBM

    fault = _always_multipath(ghost_reads=2.0, rssi_jump_db=0.0, ghost_range_m=15.0)
    clean, _ = _rounds()
    bad, sim = _rounds(fault)
    assert len(clean) == len(bad) == 301
    ghosts, ghost_rssi = [], []
    for a, b in zip(clean, bad, strict=True):
        assert b.tags[: len(a.tags)] == a.tags  # the direct reads are untouched (same sensor generator)
        np.testing.assert_array_equal(b.rssi_dbm[: len(a.tags)], a.rssi_dbm)
        extra = b.tags[len(a.tags) :]
        assert not set(extra) & set(a.tags) and len(set(extra)) == len(extra)
        assert set(extra) <= {"T0", "T1", "T2"}  # at 2, 7 and 11 m; T3 (19 m) and T4 (24 m) out of range
        ghosts.append(len(extra))
        ghost_rssi += list(b.rssi_dbm[len(a.tags) :])
        assert np.all(b.truth_distance_m[len(a.tags) :] <= 15.0)
    counts = sim.sensors.summary()["r"]
    assert counts["multipath_rounds"] == 301 and counts["ghost_reads"] == sum(ghosts) > 50
    tx = sim.sensors.by_id["r"].tx_dbm
    expected = 2 * (TAG_SENSITIVITY_DBM + 3.0) - tx - MODULATION_LOSS_DB
    sd = 6.0 / np.sqrt(len(ghost_rssi))  # 2 × an exponential of mean 3 dB has σ 6 dB
    assert abs(np.mean(ghost_rssi) - expected) < 4 * sd
    # The direct path reads T0 almost always, so ghosts come from T1 and T2 mostly.
    assert np.mean(ghosts) < 2.0


def test_multipath_bursts_fade_the_rssi_of_real_reads():
    fault = _always_multipath(ghost_reads=0.0, rssi_jump_db=6.0)
    clean, _ = _rounds()
    bad, sim = _rounds(fault)
    diff = np.concatenate([b.rssi_dbm - a.rssi_dbm for a, b in zip(clean, bad, strict=True)])
    assert len(diff) > 500 and abs(diff.std() - 6.0) < 0.5 and abs(diff.mean()) < 0.5
    assert sim.sensors.summary()["r"]["ghost_reads"] == 0


def test_multipath_outside_its_bursts_and_window_changes_nothing():
    fault = {"sensor": "r", "type": "multipath", "p_enter": 0.2, "mean_burst": 3, "start_s": 10, "end_s": 20}
    clean, _ = _rounds()
    bad, sim = _rounds(fault)
    changed = [not np.array_equal(a.rssi_dbm, b.rssi_dbm) for a, b in zip(clean, bad, strict=True)]
    times = np.array([a.t for a in clean])
    assert not any(np.array(changed)[(times < 10 - 1e-9) | (times >= 20 - 1e-9)])
    rounds = sim.sensors.summary()["r"]["multipath_rounds"]
    # Stationary share of a two-state channel: p / (p + 1/mean_burst) = 0.375 of 100 rounds.
    assert 20 < rounds < 55 and sum(changed) <= rounds


# ---------------------------------------------------------------------------------- thermal hot spots
IR_ROOM = {"size_m": [20, 12], "height_m": 6, "ambient_c": 18}
IR = {"id": "ir", "type": "thermal", "position": [4, 6, 4], "look_at": [14, 6, 0]}


def test_a_hot_spot_shows_on_its_thermal_camera_only_inside_its_window():
    fault = {
        "sensor": "ir",
        "type": "hot_spot",
        "position": [12, 6],
        "temperature_c": 40,
        "radius_m": 0.8,
        "start_s": 0.5,
        "end_s": 1.0,
    }
    sim = sim_of(IR_ROOM, [], [IR], faults=[fault], duration=1.5)
    frames = [r for _, r in _deliveries(sim)]
    ir = sim.sensors.by_id["ir"]
    for f in frames:
        hot = f.temperature_c > 30 + ir.offset
        if 0.5 - 1e-9 <= f.t < 1.0 - 1e-9:
            assert hot.sum() > 20 and abs(f.temperature_c[hot].mean() - (40 + ir.offset)) < 0.1
        else:
            assert not hot.any()
    assert (
        sim.sensors.summary()["ir"]["hot_spot_frames"]
        == sum(0.5 - 1e-9 <= f.t < 1.0 - 1e-9 for f in frames)
        == 5
    )


def test_an_unmapped_hot_spot_becomes_thermal_false_detections_where_a_mapped_one_does_not(tmp_path):
    """The thermal front-end masks the layout's heat sources (site map) but cannot know an unmapped one:
    a warm disc on the floor at (12, 6) is detected there — the fault's purpose."""
    import csv
    import io

    import yaml

    from sim.loading import parse_scenario
    from sim.runner import run_scenario

    spot = {"position": [12, 6], "temperature_c": 40, "radius_m": 0.5}
    base = {
        "name": "t",
        "seed": 1,
        "duration_s": 2,
        "dt_s": 0.05,
        "layout": IR_ROOM,
        "actors": [],
        "sensors": [IR],
        "pipeline": {"strategy": "thermal"},
    }

    def near_spot(d):
        run_scenario(parse_scenario(yaml.safe_dump(d)), tmp_path / d["name"], plots=False, log=io.StringIO())
        with open(tmp_path / d["name"] / "detections.csv", newline="") as f:
            return sum(np.hypot(float(r["x"]) - 12, float(r["y"]) - 6) < 1.0 for r in csv.DictReader(f))

    mapped = base | {"name": "mapped", "layout": IR_ROOM | {"heat_sources": [spot]}}
    unmapped = base | {"name": "unmapped", "faults": [{"sensor": "ir", "type": "hot_spot", **spot}]}
    assert near_spot(mapped) == 0
    assert near_spot(unmapped) >= 15  # of 18 frames (2 s at 8.7 Hz)


def test_fault_kinds_must_match_their_sensor_and_a_hot_spot_must_be_inside():
    import yaml

    from sim.loading import parse_scenario
    from sim.scenario.loader import ScenarioError
    from tests.conftest import scenario_dict

    d = scenario_dict(
        faults=[
            {"sensor": "cam", "type": "multipath"},
            {"sensor": "cam", "type": "hot_spot", "position": [50, 6]},
        ]
    )
    with pytest.raises(ScenarioError) as e:
        parse_scenario(yaml.safe_dump(d), "s.yaml")
    text = [str(p) for p in e.value.problems]
    assert any("faults[0].type" in t and "needs a rfid sensor; 'cam' is a camera" in t for t in text), text
    assert any("faults[1].type" in t and "needs a thermal sensor" in t for t in text), text
    assert any("faults[1].position" in t and "outside the building" in t for t in text), text

"""The command line end to end: exit codes, one-line errors, run directory, determinism, plot, perf."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from sim import cli
from sim.output.sensor_files import read_calibration, read_cloud
from sim.simulation import Simulation
from tests.conftest import ROOT, scenario_dict, write_scenario


def whsim_process(*args, cwd=None):
    """Run `python -m sim` in a subprocess, exactly as a user would (the smoke tests)."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )


def whsim(*args):
    """`whsim ARGS` in this process (`cli.main`): the exit code, stdout and stderr a user would see,
    without a new interpreter's start-up for every call."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse's usage errors and --help
            code = e.code if isinstance(e.code, int) else 0
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture
def scenario_file(tmp_path):
    return write_scenario(tmp_path, scenario_dict(duration_s=6))


def test_validate_good_and_bad(tmp_path, scenario_file):
    ok = whsim_process("validate", scenario_file, ROOT / "scenarios" / "default.yaml")
    assert ok.returncode == 0 and ok.stdout.count(": ok") == 2
    bad = write_scenario(
        tmp_path,
        "name: b\nduration_s: 5\nlayout: {size_m: [10, 10]}\nactors:\n  - {id: a, kind: agv,"
        " motion: {type: stationary, position: [5, 5]}, colour: red}\n",
        "bad.yaml",
    )
    r = whsim_process("validate", scenario_file, bad)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"{bad}:5: actors[0].colour: unknown key 'colour' (allowed: id, kind, motion, size_m,"
        " max_speed_mps, spawn_s, leave_s, tags, temperature_c)"
    )
    assert "Traceback" not in r.stderr


def test_run_writes_the_run_directory(tmp_path, scenario_file):
    out = tmp_path / "run"
    r = whsim_process("run", scenario_file, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("scenario.resolved.yaml", "ground_truth.csv", "metrics.json", "plots/trajectories.png"):
        assert (out / name).is_file(), name
    assert (out / "plots" / "trajectories.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = json.loads((out / "metrics.json").read_text())
    assert m["schema"] == "whsim.metrics/1" and m["status"] == "complete"
    assert (m["scenario"], m["seed"], m["steps"], m["sim_time_s"]) == ("small", 3, 120, 6.0)
    assert m["wall_time_s"] > 0 and m["realtime_factor"] > 0
    ratio = m["sim_time_s"] / m["wall_time_s"]
    assert abs(m["realtime_factor"] - ratio) <= 0.006 * ratio
    from sim.runner import realtime_factor

    # Three significant digits: it was rounded to 0.01, so a 300 m × 200 m site's 0.0052× read 0.01×.
    assert realtime_factor(1.0, 193.94) == 0.00516 and realtime_factor(60.0, 48.0) == 1.25
    assert set(m["timing"]) >= {"world_step", "write_truth"}
    lines = (out / "ground_truth.csv").read_text().splitlines()
    assert lines[0] == "t,id,class,x,y,z,yaw,vx,vy,length,width,height,tags,temperature_c"
    assert lines[1].startswith("0.00,fl1,forklift,2.0000,5.3000,1.1000,")
    assert len(lines) == 1 + 2 * 121  # two actors, ticks 0..120
    resolved = (out / "scenario.resolved.yaml").read_text()
    assert "size_m:\n  - 2.5\n  - 1.2\n  - 2.2" in resolved  # per-kind defaults filled in
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_same_seed_same_bytes_and_overwrite_rules(tmp_path, scenario_file):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 4), (b, 4), (c, 5)):
        assert whsim("run", scenario_file, "--out", out, "--seed", seed, "--quiet").returncode == 0
    for name in ("ground_truth.csv", "scenario.resolved.yaml", "plots/trajectories.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "ground_truth.csv").read_bytes() != (c / "ground_truth.csv").read_bytes()
    # Reusing a directory needs --overwrite, and a refusal touches nothing.
    before = (a / "ground_truth.csv").read_bytes()
    r = whsim("run", scenario_file, "--out", a, "--seed", 5, "--quiet")
    assert r.returncode == 2 and "pass --overwrite" in r.stderr and "Traceback" not in r.stderr
    assert (a / "ground_truth.csv").read_bytes() == before
    assert whsim("run", scenario_file, "--out", a, "--seed", 5, "--quiet", "--overwrite").returncode == 0
    assert (a / "ground_truth.csv").read_bytes() == (c / "ground_truth.csv").read_bytes()


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--strategy", "rfid"], "strategy 'rfid' needs an RFID reader; the scenario has none"),
        (["--strategy", "centrl"], "did you mean 'central'?"),
        (["--duration", "-3"], "argument --duration: must be positive, got -3"),
        (["--seed", "x"], "argument --seed: expected a non-negative integer"),
        (["--save-sensors", "0"], "--save-sensors: EVERY must be a positive number of readings, got 0"),
    ],
)
def test_bad_flags_exit_2_with_one_line(tmp_path, scenario_file, args, needle):
    r = whsim("run", scenario_file, "--out", tmp_path / "o", *args)
    assert r.returncode == 2
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_missing_scenario_file(tmp_path):
    r = whsim("run", tmp_path / "nope.yaml")
    assert r.returncode == 2 and r.stderr.strip() == f"{tmp_path / 'nope.yaml'}: no such file"


def test_a_shortened_run_never_reaches_later_spawns(tmp_path, capsys):
    d = scenario_dict(pipeline={"strategy": "camera"})
    d["actors"][1]["spawn_s"] = 10
    d["faults"] = [{"sensor": "cam", "type": "dropout", "start_s": 8}]
    path, out = write_scenario(tmp_path, d), tmp_path / "o"
    assert cli.main(["run", str(path), "--duration", "2", "--out", str(out), "--quiet"]) == 0
    ids = {line.split(",")[1] for line in (out / "ground_truth.csv").read_text().splitlines()[1:]}
    assert ids == {"fl1"}
    m = json.loads((out / "metrics.json").read_text())
    assert m["sensors"]["cam"]["dropped"] == 0
    assert m["notes"] == [
        "this run ends at 2 s, so these events do not happen: actors[1].spawn_s 10 s, faults[0].start_s 8 s"
    ]
    args = ["run", str(path), "--set", "duration_s=1", "--out", str(out), "--overwrite", "--quiet"]
    assert cli.main(args) == 0


def test_plot_redraws_from_the_saved_files(tmp_path, scenario_file):
    out = tmp_path / "run"
    assert whsim("run", scenario_file, "--out", out, "--quiet").returncode == 0
    png = out / "plots" / "trajectories.png"
    png.unlink()
    r = whsim("plot", out, "--step", 40)
    assert r.returncode == 0 and png.is_file()
    r = whsim("plot", out, "--step", 9999)
    assert r.returncode == 2 and "outside this run's ticks 0..120" in r.stderr
    r = whsim("plot", tmp_path)
    assert r.returncode == 2 and "not a run directory" in r.stderr


def test_strategies_lists_every_spec_strategy_with_needs_parts_and_fuser(capsys):
    assert cli.main(["strategies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    heads = [line for line in lines if not line.startswith(" ")]
    assert [h.split()[0] for h in heads] == [
        "none",
        "oracle",
        "rfid",
        "thermal",
        "camera",
        "lidar",
        "pointnet",
        "central",
        "central-pointnet",
        "cnn3d",
        "cnn3d-kf",
        "t2t-ci",
    ]
    assert "IDEALISED" in heads[1]  # the oracle says what it is
    central = lines[lines.index(heads[7]) + 1 : lines.index(heads[8])]
    assert central[0].split(None, 1) == ["needs", "a camera or a LiDAR or a thermal camera or an RFID reader"]
    assert central[1].startswith("    front-ends camera (") and "beam (line crossings)" in central[1]
    assert central[2].startswith("    fuser      central")
    assert "groups camera: camera; lidar: lidar; thermal: thermal+beam; rfid: rfid" in lines[-1]
    cnn3d = lines[lines.index(heads[9]) + 1 : lines.index(heads[10])]
    assert cnn3d[0].split(None, 1) == ["needs", "a camera or a LiDAR or a thermal camera"]
    assert "camera (background subtraction, blobs placed by contact points; BEV evidence only)" in cnn3d[1]
    assert cnn3d[2].startswith("    fuser      greedy")


def test_perf_json_reports_a_figure():
    r = whsim("perf", "--json", "--only", "lidar_efficiency", "--repeats", "1")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == {"lidar_efficiency"} and json.loads(r.stdout)["lidar_efficiency"] > 0
    r = whsim("perf", "--only", "realtim_factor")
    assert r.returncode == 2 and "did you mean 'realtime_factor'?" in r.stderr


def test_interrupted_run_leaves_valid_files_and_exit_130(tmp_path, scenario_file, monkeypatch, capsys):
    real_step = Simulation.step

    def step(self):
        if self.tick == 50:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Simulation, "step", step)
    out = tmp_path / "run"
    assert cli.main(["run", str(scenario_file), "--out", str(out), "--quiet"]) == 130
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "interrupted" and m["steps"] == 50
    lines = (out / "ground_truth.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 51 and all(line.count(",") == 13 for line in lines)
    assert (out / "plots" / "trajectories.png").is_file()
    assert "interrupted" in capsys.readouterr().err


def test_internal_error_is_one_line_unless_debug(tmp_path, scenario_file, monkeypatch, capsys):
    def boom(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Simulation, "step", boom)
    assert cli.main(["run", str(scenario_file), "--out", str(tmp_path / "a"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "whsim: internal error: RuntimeError: boom (rerun with --debug" in err and "Traceback" not in err
    assert cli.main(["--debug", "run", str(scenario_file), "--out", str(tmp_path / "b"), "--quiet"]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert not (tmp_path / "a" / "ground_truth.csv").exists()  # a failed run publishes no half file


def test_save_sensors_writes_images_clouds_and_reads(tmp_path):
    d = scenario_dict(duration_s=2)
    d["sensors"] += [
        {"id": "lid", "type": "lidar", "position": [10, 10, 3]},
        {"id": "rf", "type": "rfid", "position": [1, 5.3, 1.5], "boresight": [1, 0, 0]},
        {"id": "ir", "type": "thermal", "position": [19, 1, 4], "look_at": [10, 6, 0]},
    ]
    out = tmp_path / "run"
    r = whsim("run", write_scenario(tmp_path, d), "--out", out, "--save-sensors", 10, "--quiet")
    assert r.returncode == 0, r.stderr
    sensors = out / "sensors"
    assert len(list((sensors / "cam").glob("*_rgb.png"))) == 3  # 21 frames at 10 Hz, every 10th
    assert len(list((sensors / "cam").glob("*_depth_truth_mm.png"))) == 3
    assert len(list((sensors / "ir").glob("*_thermal_ck.png"))) == 2  # 18 frames at 8.7 Hz
    clouds = sorted((sensors / "lid").glob("*.ply"))
    cloud = read_cloud(clouds[0])
    assert len(clouds) == 3 and len(cloud["points"]) > 20_000
    assert {0, 2} <= set(np.unique(cloud["class"]).tolist())  # floor and racks, labelled
    cal = read_calibration(sensors / "cam")
    assert cal["type"] == "camera" and cal["resolution"] == [320, 240] and cal["K"].shape == (3, 3)
    assert cal["world_from_sensor"][:3, 3].tolist() == [19, 11, 5] and cal["rate_hz"] == 10
    assert read_calibration(sensors / "rf")["boresight"] == [1, 0, 0]
    rows = (sensors / "rf" / "reads.csv").read_text().splitlines()
    assert rows[0] == "t,delivered_t,tag,rssi_dbm,phase_rad,frequency_hz" and any(
        ",T-1," in row for row in rows[1:]
    )
    m = json.loads((out / "metrics.json").read_text())
    assert m["sensors"]["cam"] == {
        "type": "camera",
        "readings": 21,
        "dropped": 0,
        "delayed": 0,
        "miscalibrated": 0,
        "restamped": 0,
    }
    assert m["sensors"]["lid"]["readings"] == 21 and "sensor:lid" in m["timing"]


def test_tracking_strategies_write_detections_and_tracks(tmp_path):
    d = scenario_dict(duration_s=4)
    d["sensors"] += [
        {"id": "rf", "type": "rfid", "position": [1, 5.3, 1.5], "boresight": [1, 0, 0]},
        {"id": "ir", "type": "thermal", "position": [19, 1, 4], "look_at": [10, 6, 0]},
    ]
    path = write_scenario(tmp_path, d)
    for strategy in ("oracle", "thermal", "rfid", "central", "t2t-ci"):
        out = tmp_path / strategy
        r = whsim("run", path, "--out", out, "--strategy", strategy, "--quiet")
        assert r.returncode == 0, r.stderr
        det = (out / "detections.csv").read_text().splitlines()
        trk = (out / "tracks.csv").read_text().splitlines()
        assert det[0] == "t,source,sensor_id,x,y,cov_xx,cov_xy,cov_yy,class,score,tag"
        assert trk[0] == "t,track_id,x,y,vx,vy,cov_xx,cov_xy,cov_yy,class,tag,status"
        m = json.loads((out / "metrics.json").read_text())
        assert m["strategy"] == strategy and "pipeline" in m["timing"]
        if strategy in ("oracle", "thermal"):  # no tag reader among their front-ends: not applicable
            assert m["tracking"]["identity_accuracy"] is None
        for key in (
            "mota",
            "motp_m",
            "idf1",
            "hota",
            "gospa",
            "gospa_missed",
            "rmse_m",
            "nees_in_bounds",
            "per_class",
        ):
            assert key in m["tracking"], key
        assert (out / "metrics_timeseries.csv").is_file() and (out / "plots" / "metrics.png").is_file()
        times = sorted({row.split(",")[0] for row in trk[1:]})
        assert all(float(t) * 10 == round(float(t) * 10) for t in times)  # tracks every 0.1 s
        # Every strategy with a camera keeps the BEV map: scored, and drawn half-way through the run.
        has_bev = strategy != "oracle" and strategy != "rfid"
        assert ("bev" in m) == has_bev and (out / "plots" / "bev.png").is_file() == has_bev
        if has_bev:
            assert 0 <= m["bev"]["iou_graphcut"] <= 1 and 0 <= m["bev"]["iou_threshold"] <= 1
            assert m["bev"]["semantic"]["per_class_iou"]["rack"] > 0.9  # racks come from the layout
        if strategy == "oracle":
            assert all(",oracle (idealised)," in row for row in det[1:])  # labelled idealised
            assert any(row.endswith(",confirmed") for row in trk[1:])
            assert m["tracking"]["mota"] > 0.5 and "oracle (idealised)" in m["detection"]


def test_strategies_that_cannot_run_exit_2(tmp_path):
    path = write_scenario(tmp_path, scenario_dict())  # a camera and a beam, no thermal or RFID sensor
    r = whsim("run", path, "--out", tmp_path / "a", "--strategy", "thermal")
    assert (
        r.returncode == 2 and "strategy 'thermal' needs a thermal camera; the scenario has none" in r.stderr
    )
    r = whsim("run", path, "--out", tmp_path / "b", "--strategy", "lidar")
    assert r.returncode == 2 and "strategy 'lidar' needs a LiDAR; the scenario has none" in r.stderr
    assert not (tmp_path / "b").exists()


def test_animate_writes_a_gif(tmp_path):
    d = scenario_dict(duration_s=2, pipeline={"strategy": "oracle"})
    out = tmp_path / "run"
    r = whsim("run", write_scenario(tmp_path, d), "--out", out, "--animate", "--quiet")
    assert r.returncode == 0, r.stderr
    gif = (out / "animation.gif").read_bytes()
    assert gif[:6] in (b"GIF89a", b"GIF87a") and not list(out.glob(".*.tmp*"))
    from PIL import Image

    # Regression: it played 3× too fast (6 frames a second of 0.5 s each); now real time.
    with Image.open(out / "animation.gif") as im:
        assert im.n_frames == 5 and im.info["duration"] == 500


@pytest.mark.parametrize(
    "args, needle",
    [
        (
            ["--strategies", "central,bogus", "--seeds", "1"],
            "--strategies: 'bogus' is not a tracking strategy",
        ),
        (["--strategies", "none", "--seeds", "1"], "'none' is not a tracking strategy"),
        (["--strategies", "central", "--seeds", "0"], "--seeds: must be at least 1"),
        (["--strategies", "central", "--seeds", "1", "--workers", "0"], "--workers: must be at least 1"),
    ],
)
def test_bench_bad_flags_exit_2_with_one_line(tmp_path, scenario_file, args, needle):
    r = whsim("bench", scenario_file, "--out", tmp_path / "b", *args)
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists()


def test_bench_keeps_a_non_empty_directory_unless_resuming(tmp_path, scenario_file):
    out = tmp_path / "b"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = whsim("bench", scenario_file, "--strategies", "oracle", "--seeds", "1", "--out", out)
    assert r.returncode == 2 and "pass --resume" in r.stderr and (out / "notes.txt").read_text() == "mine"
    (out / "results.csv").write_text("a,b\n1,2\n")
    r = whsim("bench", scenario_file, "--strategies", "oracle", "--seeds", "1", "--out", out, "--resume")
    assert r.returncode == 2 and "not a whsim bench results file" in r.stderr


def test_sigterm_ends_a_run_like_ctrl_c(tmp_path):
    """Regression: SIGTERM left no metrics.json and .tmp files in the run directory."""
    import signal
    import time

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(ROOT / "scenarios" / "default.yaml"),
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while not (out / "scenario.resolved.yaml").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # well inside the loop
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "interrupted" and 0 < m["steps"] < 1200
    assert not [p for p in out.rglob("*") if ".tmp" in p.name], "temporary files left behind"


def test_plot_on_damaged_run_files_exits_2_with_one_line(tmp_path, scenario_file):
    import shutil

    run = tmp_path / "run"
    assert whsim("run", scenario_file, "--out", run, "--quiet", "--strategy", "oracle").returncode == 0

    def damaged(name, damage):
        copy = tmp_path / name
        shutil.copytree(run, copy)
        damage(copy)
        return whsim("plot", copy)

    cases = {
        "truncated": lambda d: (d / "ground_truth.csv").write_text(
            (run / "ground_truth.csv").read_text()[:3000]
        ),
        "series": lambda d: (d / "metrics_timeseries.csv").write_text("t,gospa\n0.0\n"),
        "npz": lambda d: (d / "bev_snapshot.npz").write_bytes(b"not a zip"),
        "plots": lambda d: (shutil.rmtree(d / "plots"), (d / "plots").write_text("x")),
        "metrics": lambda d: (d / "metrics.json").write_text("{"),
        "no-metrics": lambda d: (d / "metrics.json").unlink(),
    }
    for name, damage in cases.items():
        r = damaged(name, damage)
        assert r.returncode == 2, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, (name, r.stderr)


def test_actor_colours_are_never_the_red_of_docks_and_switches_or_the_grey_of_unmatched_tracks():
    from matplotlib.colors import to_rgba

    from sim.plots.trajectories import ACTOR_PALETTE

    reserved = {to_rgba(c) for c in ("tab:red", "tab:gray", "#d62728", "red", "grey")}
    assert len(set(ACTOR_PALETTE)) == 12 and not reserved & set(ACTOR_PALETTE)

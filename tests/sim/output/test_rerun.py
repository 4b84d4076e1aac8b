"""Rerun recordings: opened with Rerun's own reader (`rerun rrd verify` / `rerun rrd print`), every entity
there with as many time points as the run's files and the logging rates give."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sim.output.rerun_recording import CLOUD_HZ, IMAGE_HZ, ellipses
from tests.conftest import scenario_dict, with_lidar, write_scenario
from tests.sim.test_cli import whsim

pytest.importorskip("rerun")
RERUN = shutil.which("rerun") or str(Path(sys.executable).parent / "rerun")


def rows_per_entity(path: Path) -> Counter:
    """Entity path → rows over all its chunks, from `rerun rrd print -v` (Rerun's reader)."""
    out = subprocess.run([RERUN, "rrd", "print", "-v", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows: Counter = Counter()
    for m in re.finditer(r"^Chunk\(\S+\) with (\d+) rows \([^)]*\) - (\S+) - ", out.stdout, re.M):
        rows[m.group(2)] += int(m.group(1))
    return rows


def _times(path: Path) -> int:
    with open(path, newline="") as f:
        return len({row["t"] for row in csv.DictReader(f)})


def _kept(rate_hz: float, log_hz: float, ticks: int = 41, dt: float = 0.05) -> int:
    """Brute force: the sensor's reading times (its schedule), greedily kept ≥ 1/log_hz apart."""
    from sim.scheduler import Scheduler

    sched, last, n = Scheduler({"s": rate_hz}, dt), -1e9, 0
    for tick in range(ticks):
        if sched.due(tick) and tick * dt >= last + 1 / log_hz - 1e-9:
            last, n = tick * dt, n + 1
    return n


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rr")
    d = with_lidar(scenario_dict(duration_s=2.0, pipeline={"strategy": "central"}))
    d["sensors"].append({"id": "ir", "type": "thermal", "position": [19, 1, 4], "look_at": [10, 6, 0]})
    scenario = write_scenario(tmp, d)
    r = whsim(
        "run", scenario, "--out", tmp / "run", "--rerun", tmp / "live.rrd", "--save-sensors", 5, "--quiet"
    )
    assert r.returncode == 0, r.stderr
    return tmp


def test_the_recording_verifies_and_holds_every_entity_at_its_rate(recorded):
    path, run = recorded / "live.rrd", recorded / "run"
    check = subprocess.run([RERUN, "rrd", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    rows = rows_per_entity(path)
    assert rows["/world/truth"] == _times(run / "ground_truth.csv") == 41  # every 0.05 s tick, 0..2 s
    assert rows["/world/tracks"] == _times(run / "tracks.csv")
    with open(run / "detections.csv", newline="") as f:
        per_source = Counter(source for _, source in {(r["t"], r["source"]) for r in csv.DictReader(f)})
    assert per_source and all(rows[f"/world/detections/{s}"] == n for s, n in per_source.items())
    with open(run / "metrics_timeseries.csv", newline="") as f:
        n_series = sum(1 for _ in csv.DictReader(f))
    assert rows["/metrics/gospa"] == rows["/metrics/n_tracks"] == n_series > 10
    # 2 s of frames: the camera (10 Hz) and the thermal camera (8.7 Hz) at IMAGE_HZ, the LiDAR at CLOUD_HZ.
    assert rows["/world/sensors/cam/image"] == _kept(10.0, IMAGE_HZ) == 5
    assert rows["/world/sensors/ir/image"] == _kept(8.7, IMAGE_HZ) == 4
    assert rows["/world/clouds/lidar"] == _kept(10.0, CLOUD_HZ) == 3
    assert rows["/world/layout"] == 1 and rows["/world/sensors/cam"] == 2  # pose and pinhole, static
    assert rows["/bev/logodds"] == rows["/bev/graph_cut"] == 1
    assert not list(recorded.glob(".*.tmp"))


def test_export_of_the_run_directory_gives_the_same_run_entities_and_the_saved_sensor_data(recorded):
    r = whsim("export", recorded / "run", "--rerun", recorded / "export.rrd")
    assert r.returncode == 0, r.stderr
    live, exported = rows_per_entity(recorded / "live.rrd"), rows_per_entity(recorded / "export.rrd")
    for entity in ("/world/truth", "/world/tracks", "/metrics/gospa", "/world/layout", "/bev/semantics"):
        assert exported[entity] == live[entity], entity
    saved = lambda sid, pattern: len(list((recorded / "run" / "sensors" / sid).glob(pattern)))  # noqa: E731
    assert exported["/world/sensors/cam/image"] == saved("cam", "*_rgb.png") == 5  # every 5th of 21 frames
    assert exported["/world/sensors/ir/image"] == saved("ir", "*_thermal_ck.png")
    assert exported["/world/clouds/lidar"] == saved("lidar", "*.ply")


def test_ellipses_are_the_covariance_eigen_axes():
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 2, 2))
    cov = a @ a.transpose(0, 2, 1) + 0.01 * np.eye(2)
    half, angle = ellipses(np.column_stack([cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]]))
    for c, h, th in zip(cov, half, angle, strict=True):
        w, v = np.linalg.eigh(c)
        assert np.allclose(sorted(h[:2] / 2), np.sqrt(w))
        major = v[:, 1]
        assert abs(abs(major @ [np.cos(th), np.sin(th)]) - 1) < 1e-9


@pytest.mark.parametrize(
    ("name", "setup", "needle"),
    [
        ("x.txt", None, "a Rerun recording must end in .rrd"),
        ("x.rrd", "file", "exists (--overwrite replaces it)"),
        ("x.rrd", "dir", "is a directory"),
        ("missing/x.rrd", None, "is not a directory"),
    ],
)
def test_a_recording_that_cannot_be_written_is_refused_before_the_run(tmp_path, name, setup, needle):
    path = tmp_path / name
    if setup == "file":
        path.write_bytes(b"keep me")
    elif setup == "dir":
        path.mkdir()
    r = whsim("run", write_scenario(tmp_path, scenario_dict(duration_s=1)), "--out", tmp_path / "run",
              "--rerun", path, "--quiet")  # fmt: skip
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    if setup == "file":
        assert path.read_bytes() == b"keep me"


def test_without_rerun_sdk_the_flag_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rerun", None)  # `import rerun` raises ImportError
    r = whsim("run", write_scenario(tmp_path, scenario_dict(duration_s=1)), "--out", tmp_path / "run",
              "--rerun", tmp_path / "x.rrd", "--quiet")  # fmt: skip
    assert r.returncode == 2 and "pip install 'whsim[rerun]'" in r.stderr and not (tmp_path / "run").exists()


def test_export_of_damaged_run_files_is_one_line_and_writes_nothing(recorded, tmp_path):
    """Regression: a truncated ground_truth.csv was an internal error (exit 1)."""
    run = tmp_path / "run"
    shutil.copytree(recorded / "run", run)
    text = (run / "ground_truth.csv").read_text()
    (run / "ground_truth.csv").write_text(text[:3000] + "\n1.0,w1,worker,abc\n")
    r = whsim("export", run, "--rerun", tmp_path / "x.rrd")
    assert r.returncode == 2 and "damaged run files, no recording written" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not list(tmp_path.glob("*.rrd*")) + list(
        tmp_path.glob(".*")
    )

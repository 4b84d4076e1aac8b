"""tools/cnn3d_thresholds.py: a replayed threshold drops exactly the boxes under it and lets only boxes
over the birth score start tracks; reporting seeds, pairs it cannot replay and missing files are refused
in one line with exit 2. (That a replay at the shipped pair reproduces a recording at the shipped
thresholds was checked by hand on seeds 11–12 of `default`: identical MOTA, IDF1, HOTA, NEES, switches.)"""

import subprocess
import sys
from pathlib import Path

import numpy as np

from fusion.measurements import PositionMeasurements

ROOT = Path(__file__).resolve().parents[3]


def _tool(*args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "tools" / "cnn3d_thresholds.py"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def test_a_threshold_keeps_the_boxes_at_or_over_it_and_births_from_the_birth_score():
    sys.path.insert(0, str(ROOT / "tools"))
    import cnn3d_thresholds

    score = np.array([0.31, 0.4, 0.45, 0.5, 0.9])
    n = len(score)
    z, eye = np.arange(2 * n, dtype=float).reshape(n, 2), np.tile(np.eye(2), (n, 1, 1))
    cls = ("worker", "agv", "forklift", "worker", "agv")
    pm = PositionMeasurements(0.0, "cnn3d", "cnn3d", z, eye, cls, score, v=np.ones((n, 2)), Rv=eye)
    f = cnn3d_thresholds.filtered(pm, 0.4, 0.5)
    assert f.score.tolist() == [0.4, 0.45, 0.5, 0.9] and f.cls == ("agv", "forklift", "worker", "agv")
    assert np.array_equal(f.z, pm.z[1:]) and len(f.R) == len(f.v) == len(f.Rv) == 4
    assert f.may_start.tolist() == [False, False, True, True]


def test_reporting_seeds_are_refused():
    r = _tool("scenarios/default.yaml", "--seeds", "1-5")
    assert r.returncode == 2 and "tune on seeds 11 and above" in r.stderr


def test_a_pair_under_the_recorded_threshold_is_refused():
    r = _tool("scenarios/default.yaml", "--pair", "0.2,0.5")
    assert r.returncode == 2 and "threshold in [0.3, 1)" in r.stderr and "Traceback" not in r.stderr
    r = _tool("scenarios/default.yaml", "--pair", "0.4")
    assert r.returncode == 2 and "THRESHOLD,BIRTH_SCORE" in r.stderr


def test_a_missing_scenario_is_one_line():
    r = _tool("scenarios/nope.yaml")
    assert r.returncode == 2 and "scenarios/nope.yaml: no such scenario file" in r.stderr
    assert "Traceback" not in r.stderr

"""tools/pointnet_grouping.py: it refuses reporting seeds and a setting the scenario schema refuses, in one
line with exit 2 (its figures are the scorer's, tested with the scorer)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _tool(*args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "tools" / "pointnet_grouping.py"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def test_reporting_seeds_are_refused():
    r = _tool("scenarios/quickstart.yaml", "--seeds", "1-5")
    assert r.returncode == 2 and "tune on seeds 11 and above" in r.stderr


def test_a_setting_out_of_range_is_one_line():
    r = _tool("scenarios/quickstart.yaml", "--seeds", "11", "--duration", "0.5", "radius_m=9")
    assert r.returncode == 2, r.stderr
    assert "pipeline.pointnet.radius_m" in r.stderr and "Traceback" not in r.stderr

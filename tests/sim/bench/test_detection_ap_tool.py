"""tools/detection_ap.py --pair: one strategy's detections against another's on the same seeds."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(sweep: Path, seed: int, strategy: str, source: str, ap_all: float, ap_seen: float) -> None:
    d = sweep / "runs" / "default" / f"seed{seed}" / strategy
    d.mkdir(parents=True)
    figures = {"ap_at_m": {t: ap_all for t in ("0.5", "1", "2")}}
    figures["ap_seen_at_m"] = {t: ap_seen for t in ("0.5", "1", "2")}
    metrics = {"scenario": "default", "strategy": strategy, "detection": {source: figures}}
    (d / "metrics.json").write_text(json.dumps(metrics))


def _tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "detection_ap.py"), *map(str, args)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip


def test_pair_differences_by_seed_with_named_sources(tmp_path):
    """B's AP minus A's on each seed: a constant offset has a zero-width interval although both spread
    over the seeds; a seed only one strategy ran is left out; `STRATEGY:SOURCE` picks the source."""
    for seed, ap in enumerate([0.2, 0.3, 0.4, 0.5], start=1):
        _run(tmp_path, seed, "central", "lidar", ap, ap + 0.5)
        _run(tmp_path, seed, "central-pointnet", "pointnet", ap + 0.02, ap + 0.4)
    _run(tmp_path, 9, "central", "lidar", 0.9, 0.9)  # no partner
    r = _tool(tmp_path, "--pair", "central:lidar,central-pointnet:pointnet")
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if "AP@1 " in line]
    assert len(rows) == 2
    assert "every actor central 0.350  central-pointnet 0.370" in rows[0]
    assert "+0.020 [+0.020, +0.020] (n=4)" in rows[0]
    assert "actors held" in rows[1] and "-0.100 [-0.100, -0.100] (n=4)" in rows[1]


def test_pair_refuses_what_it_cannot_compare(tmp_path):
    _run(tmp_path, 1, "lidar", "lidar", 0.3, 0.8)
    r = _tool(tmp_path, "--pair", "lidar")
    assert r.returncode == 2 and "--pair" in r.stderr
    r = _tool(tmp_path, "--pair", "lidar,pointnet")
    assert r.returncode == 2 and "no seed run by both" in r.stderr and "Traceback" not in r.stderr

"""Detection rates: the kind's rate for each class where the sensor covers the cell, and the measuring
tool's counts on a hand-written run (detected within 1 m, in the frame or the next)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.bench.results import COLUMNS
from sim.coverage.detection_rates import DetectionRates
from sim.coverage.site_coverage import covers_of, static_world
from sim.coverage.visibility import TRACKED, Cover, Floor
from sim.loading import parse_scenario
from tests.conftest import scenario_dict

ROOT = Path(__file__).resolve().parents[3]


def test_probability_is_the_kinds_rate_for_the_class_where_covered():
    rng = np.random.default_rng(0)
    seen = rng.random((len(TRACKED), 500)) < 0.6
    rates = DetectionRates({"camera": {"forklift": 0.5, "agv": 0.7, "worker": 0.9}})
    got = rates.probability(Cover("c", "camera", seen))
    for k, p in enumerate((0.5, 0.7, 0.9)):
        assert np.array_equal(got[k], np.where(seen[k], p, 0.0))
    # Kinds that place nothing (no rate) detect nothing.
    assert not rates.probability(Cover("r", "rfid", seen)).any()


def _run_dir(tmp_path: Path, seed: int) -> tuple[Path, np.ndarray]:
    """A run of SMALL (its camera only) with hand-written truth and detections of a worker standing on a
    floor point the camera covers; returns the run directory and that point."""
    d = scenario_dict(seed=seed)
    d["sensors"] = [s for s in d["sensors"] if s["type"] == "camera"]
    sc = parse_scenario(yaml.safe_dump(d))
    static = static_world(sc)
    floor = Floor.of(static)
    (cover,) = covers_of(sc.sensors, static, floor, sc.pipeline.camera.min_pixels)
    spot = floor.xy[np.flatnonzero(cover.seen[TRACKED.index("worker")])[0]]
    run = tmp_path / "sweep" / "runs" / "small" / f"seed{seed}" / "central"
    run.mkdir(parents=True)
    (run / "scenario.resolved.yaml").write_text(yaml.safe_dump(d))
    truth = ["t,id,class,x,y"] + [f"{k * 0.1:.2f},w1,worker,{spot[0]},{spot[1]}" for k in range(10)]
    truth += ["0.05,w1,worker,0,0"]  # between frames: not an actor-frame
    (run / "ground_truth.csv").write_text("\n".join(truth) + "\n")
    dets = ["t,sensor_id,x,y"]
    dets += [f"{k * 0.1 + 0.01:.2f},cam,{spot[0] + 0.9},{spot[1]}" for k in (2, 3, 7)]  # inside 1 m
    dets += [f"{k * 0.1:.2f},cam,{spot[0] + 1.2},{spot[1]}" for k in (5,)]  # outside the gate
    (run / "detections.csv").write_text("\n".join(dets) + "\n")
    return run, spot


def test_the_tool_counts_detections_within_a_metre_in_the_frame_or_the_next(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import detection_rates as tool

    run, _ = _run_dir(tmp_path, 11)
    counts = tool.counts_of_run(run)
    n, hit, clear = counts[("camera", "worker")]
    assert n.sum() == 10  # ten actor-frames on a covered cell, none of the other classes
    assert hit.sum() == 5  # frames 1, 2, 3 (by 2 and 3), 6, 7 (by 7); not 4–5 (1.2 m off)
    assert counts[("camera", "forklift")].sum() == 0
    # Alone on the floor, nobody stands in the camera's way (its own traffic does not hide it).
    assert clear.sum() == pytest.approx(10.0)
    assert counts[("clear", "camera")][:, -1].tolist() == [10, 5, pytest.approx(10.0)]
    out = tmp_path / "rates.json"
    assert tool.main([str(tmp_path / "sweep"), "--write", str(out)]) == 0
    assert DetectionRates.load(out).rates["camera"]["worker"] == 0.5
    assert "camera   worker    0.50 (0.50 raw, 10)" in capsys.readouterr().out


def test_the_tool_refuses_reporting_seeds(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import detection_rates as tool

    _run_dir(tmp_path, 3)
    with pytest.raises(SystemExit) as e:
        tool.main([str(tmp_path / "sweep")])
    assert e.value.code == 2


def test_coverage_vs_ceiling_reads_one_strategys_runs(tmp_path, capsys):
    """A full sweep holds every strategy's ceiling (a camera-only run sees less): the table takes only
    the asked strategy's, and refuses, in one line, a strategy the sweep did not run."""
    sys.path.insert(0, str(ROOT / "tools"))
    import coverage_vs_ceiling as tool

    d = scenario_dict(seed=11, duration_s=2.0)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(d))
    bench = tmp_path / "bench"
    bench.mkdir()
    runs = [(11, "central", "ok", 0.8), (11, "camera", "ok", 0.2), (12, "central", "failed", "")]
    with open(bench / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, restval="")
        w.writeheader()
        for seed, strategy, status, ceiling in runs:
            w.writerow(
                {"scenario": d["name"], "seed": seed, "strategy": strategy, "status": status}
                | {"coverage_ceiling": ceiling}
            )
    tool.main([str(bench), str(path)])
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith(f"| {d['name']} |") and row.rstrip(" |").endswith("0.800")
    with pytest.raises(SystemExit) as e:
        tool.main([str(bench), str(path), "--strategy", "lidar"])
    assert e.value.code == 2 and "no finished 'lidar' runs" in capsys.readouterr().err

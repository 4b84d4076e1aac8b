"""tools/bench_compare.py: paired differences over shared seeds, and a worse metric flagged."""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _sweep(path: Path, motas: list[float], gospas: list[float], other: list[float] | None = None) -> Path:
    """A results.csv of `central` (and, with `other`, a `camera` strategy with those MOTAs)."""
    path.mkdir()
    cols = ["scenario", "seed", "strategy", "status", "mota", "gospa"]
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for seed, (m, g) in enumerate(zip(motas, gospas, strict=True), start=1):
            w.writerow(["default", seed, "central", "ok", m, g])
        for seed, m in enumerate(other or [], start=1):
            w.writerow(["default", seed, "camera", "ok", m, 5.0])
        w.writerow(["default", 9, "central", "failed", "", ""])  # not finished: left out
    return path


def test_paired_difference_and_worse_metric_flagged(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_compare

    before = _sweep(tmp_path / "a", [0.60, 0.62, 0.64, 0.66, 0.68], [4.0, 4.1, 4.2, 4.3, 4.4])
    same = _sweep(tmp_path / "b", [0.61, 0.62, 0.64, 0.66, 0.69], [4.0, 4.1, 4.2, 4.3, 4.4])
    rows = {
        r["metric"]: r for r in bench_compare.compare(bench_compare.read(before), bench_compare.read(same))
    }
    assert set(rows) == {"mota", "gospa"} and rows["mota"]["seeds"] == 5
    assert abs(rows["mota"]["delta"] - 0.004) < 1e-12 and rows["mota"]["ok"] and rows["gospa"]["ok"]
    assert bench_compare.main([str(before), str(same)]) == 0
    # GOSPA (lower is better) beyond the first sweep's interval: flagged, exit 1.
    worse = _sweep(tmp_path / "c", [0.60, 0.62, 0.64, 0.66, 0.68], [5.0, 5.1, 5.2, 5.3, 5.4])
    assert bench_compare.main([str(before), str(worse)]) == 1
    assert "**no**" in capsys.readouterr().out
    assert bench_compare.main([str(before), str(tmp_path / "missing")]) == 2


def test_two_strategies_of_one_sweep_pair_by_seed(tmp_path, capsys):
    """`--strategies A,B`: B's runs minus A's on the same seeds: a constant offset has a zero-width
    interval even though both strategies' means spread widely over the seeds."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_compare

    sweep = _sweep(tmp_path / "s", [0.40, 0.50, 0.60, 0.70, 0.80], [4.0] * 5, [0.30, 0.40, 0.50, 0.60, 0.70])
    assert bench_compare.main([str(sweep), "--strategies", "central,camera"]) == 1  # camera is worse
    out = capsys.readouterr().out
    assert "camera − central" in out and "-0.100 [-0.100, -0.100]" in out
    assert bench_compare.main([str(sweep)]) == 2
    assert bench_compare.main([str(sweep), "--strategies", "central"]) == 2

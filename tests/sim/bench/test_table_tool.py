"""tools/bench_table.py: the docs' rows are each metric's mean and Student-t interval over finished seeds."""

import csv
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[3]


def _sweep(path: Path, rows: list[tuple]) -> Path:
    path.mkdir()
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "seed", "strategy", "status", "mota", "gospa"])
        w.writerows(rows)
    return path


def test_rows_are_means_with_t_intervals_in_sweep_order(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_table

    mota = [0.60, 0.62, 0.67, 0.66, 0.70]
    rows = [("busy", s, "central", "ok", m, 4 + s / 10) for s, m in enumerate(mota, start=1)]
    rows += [("busy", 9, "central", "failed", "", ""), ("busy", 1, "camera", "ok", -0.25, 9.0)]
    a = _sweep(tmp_path / "a", rows)
    b = _sweep(
        tmp_path / "b", [("default", 1, "central", "ok", 0.5, 3.0), ("default", 2, "central", "ok", 0.7, 5.0)]
    )
    assert (
        bench_table.main([str(a), str(b), "--strategies", "central,camera", "--metrics", "mota,gospa"]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "| scenario | strategy | seeds | MOTA | GOSPA (m) |"
    m, h = np.mean(mota), stats.t.ppf(0.975, 4) * np.std(mota, ddof=1) / np.sqrt(5)
    assert out[2].startswith(f"| `busy` | central | 5 | {m:.3f} [{m - h:.3f}, {m + h:.3f}] | 4.30 [")
    assert out[3] == "| `busy` | camera | 1 | −0.250 | 9.00 |"  # one seed: no interval; a minus sign
    assert out[4].startswith("| `default` | central | 2 | 0.600 [")
    assert bench_table.main([str(a), "--metrics", "mota,nope"]) == 2
    assert bench_table.main([str(tmp_path / "missing")]) == 2
    assert "nope" in capsys.readouterr().err

"""tools/bench_table.py: the docs' rows are each metric's mean and Student-t interval over finished seeds."""

import csv
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[3]


def _sweep(path: Path, rows: list[tuple]) -> Path:
    """A results.csv with bench's columns, these rows' (scenario, seed, strategy, status, mota, gospa)."""
    from sim.bench.jobs import COLUMNS

    path.mkdir()
    names = ("scenario", "seed", "strategy", "status", "mota", "gospa")
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(dict(zip(names, r, strict=True)) for r in rows)
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


def test_summary_of_sweeps_read_together_lists_only_what_ran_and_the_later_run_wins(tmp_path):
    """Regression: a strategy absent from one scenario of several sweeps read together showed as
    '0 (failed)' there."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_table

    from sim.bench.jobs import COLUMNS

    def sweep(path, rows):
        path.mkdir()
        with open(path / "results.csv", "w", newline="") as f:
            w = csv.DictWriter(f, COLUMNS)
            w.writeheader()
            for sc, seed, strategy, mota in rows:
                values = {"mota": mota, "hota": mota, "gospa": 5 - mota}
                w.writerow({"scenario": sc, "seed": seed, "strategy": strategy, "status": "ok", **values})
        return path

    a = [("busy", 1, "camera", 0.4), ("busy", 2, "camera", 0.5), ("busy", 1, "central", 0.6)]
    a = sweep(tmp_path / "a", [*a, ("busy", 2, "central", 0.1)])
    b = [("busy", 2, "central", 0.7), ("default", 1, "central", 0.8), ("default", 2, "central", 0.9)]
    b = sweep(tmp_path / "b", b)
    out = tmp_path / "summary.md"
    assert bench_table.main([str(a), str(b), "--summary", str(out)]) == 0
    text = out.read_text()
    busy, default = text.split("## busy")[1].split("## default")
    assert "| camera | 2 | 0.450 [" in busy and "| central | 2 | **0.650 [" in busy  # seed 2 from sweep b
    assert "camera" not in default and "failed" not in text
    assert "| central | 2 | **0.850 [" in default
    assert f"Sweeps read together (`tools/bench_table.py --summary`): `{a}`, `{b}`." in text


def test_figures_are_the_bars_a_sweep_draws_from_the_runs_read_together(tmp_path):
    """Two sweeps read together (the later run of a seed wins) draw, per scenario, the same bars as one
    sweep holding exactly those runs, with strategies in `whsim strategies` order as `--strategies all`."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_table

    from sim.bench.figures import bar_figure
    from sim.bench.results import read_results

    c1, c2_old, c2 = ("busy", 1, "central", "ok", 0.4, 3.0), ("busy", 2, "central", "ok", 0.1, 9.0), (
        "busy", 2, "central", "ok", 0.6, 2.0)  # fmt: skip
    cam = ("busy", 1, "camera", "ok", 0.3, 4.0)
    a, b = _sweep(tmp_path / "a", [c1, c2_old]), _sweep(tmp_path / "b", [c2, cam])
    one = _sweep(tmp_path / "one", [c1, c2, cam])
    assert bench_table.main([str(a), str(b), "--figures", str(tmp_path / "fig")]) == 0
    bar_figure(tmp_path / "want.png", read_results(one / "results.csv"), "busy", ["camera", "central"])
    assert (tmp_path / "fig" / "busy_metrics.png").read_bytes() == (tmp_path / "want.png").read_bytes()

"""tools/bench_compare.py: paired differences over shared seeds, and a worse metric flagged."""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _sweep(
    path: Path, motas: list[float], gospas: list[float], other: list[float] | None = None, first: int = 1
) -> Path:
    """A results.csv of `central` (and, with `other`, a `camera` strategy with those MOTAs), seeds from
    `first`."""
    from sim.bench.jobs import COLUMNS

    path.mkdir()
    names = ("scenario", "seed", "strategy", "status", "mota", "gospa")
    rows = [
        ("default", seed, "central", "ok", m, g)
        for seed, (m, g) in enumerate(zip(motas, gospas, strict=True), start=first)
    ]
    rows += [("default", seed, "camera", "ok", m, 5.0) for seed, m in enumerate(other or [], start=first)]
    rows.append(("default", 9, "central", "failed", "", ""))  # not finished: left out
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(dict(zip(names, r, strict=True)) for r in rows)
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


def test_sweeps_of_other_seeds_join_as_one_and_a_run_held_twice_is_refused(tmp_path, capsys):
    """Seeds 1–3 and 4–5 joined with `+` pair exactly as one sweep of seeds 1–5 does."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_compare

    motas, other = [0.40, 0.55, 0.60, 0.75, 0.80], [0.30, 0.40, 0.52, 0.60, 0.73]
    whole = _sweep(tmp_path / "whole", motas, [4.0] * 5, other)
    low = _sweep(tmp_path / "low", motas[:3], [4.0] * 3, other[:3])
    high = _sweep(tmp_path / "high", motas[3:], [4.0] * 2, other[3:], first=4)
    assert bench_compare.main([str(whole), "--strategies", "central,camera"]) == 1
    one = capsys.readouterr().out
    assert bench_compare.main([f"{low}+{high}", "--strategies", "central,camera"]) == 1
    # Differences −0.10, −0.15, −0.08, −0.15, −0.07: mean −0.110, t(0.975, 4) × 0.0381 / √5 = 0.047.
    assert capsys.readouterr().out == one and "-0.110 [-0.157, -0.063]" in one
    assert bench_compare.main([f"{low}+{whole}", "--strategies", "central,camera"]) == 2
    assert "seed 1 is in an earlier sweep too" in capsys.readouterr().err


def test_a_file_that_is_not_a_bench_results_file_is_refused(tmp_path, capsys):
    """Read as `whsim bench` reads its own: other columns are a one-line refusal, exit 2, not a KeyError."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_compare

    good = _sweep(tmp_path / "good", [0.6] * 3, [4.0] * 3)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "results.csv").write_text("scene,seed,mota\ndefault,1,0.5\n")
    assert bench_compare.main([str(good), str(tmp_path / "foreign")]) == 2
    assert "not a whsim bench results file" in capsys.readouterr().err

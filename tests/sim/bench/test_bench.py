"""whsim bench: the same results on any executor, failures isolated, resume runs nothing twice, and the
statistics against hand-worked values and scipy."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from scipy import stats

from sim.bench.jobs import TIMING_COLUMNS
from sim.bench.stats import mean_ci, wilcoxon_p
from sim.bench.sweep import run_sweep
from tests.conftest import scenario_dict, write_scenario

STRATEGIES = ["oracle", "camera", "central"]


def _scenario(tmp_path):
    d = scenario_dict(duration_s=2)
    return [(str(write_scenario(tmp_path, d, "small.yaml")), "small")]


def _rows(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in csv.DictReader(f)]


def test_results_do_not_depend_on_the_executor(tmp_path):
    from distributed import LocalCluster

    sc = _scenario(tmp_path)
    one = run_sweep(sc, STRATEGIES, 2, tmp_path / "w1", workers=1)
    run_sweep(sc, STRATEGIES, 2, tmp_path / "w2", workers=2)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        run_sweep(sc, STRATEGIES, 2, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert all(r["status"] == "ok" for r in one.rows) and len(one.rows) == 6
    expected = _rows(tmp_path / "w1" / "results.csv")
    assert _rows(tmp_path / "w2" / "results.csv") == expected
    assert _rows(tmp_path / "dask" / "results.csv") == expected
    assert [(r["seed"], r["strategy"]) for r in expected] == [
        (str(s), name) for s in (1, 2) for name in STRATEGIES
    ]
    summary = (tmp_path / "w1" / "summary.md").read_text()
    assert "| central | 2 |" in summary and "Wilcoxon" in summary
    assert (tmp_path / "w1" / "figures" / "small_metrics.png").is_file()
    assert (tmp_path / "w1" / "figures" / "small_gospa_seed1.png").is_file()


def test_a_bench_row_is_what_whsim_run_gives(tmp_path):
    """Replaying the shared recording gives the run a plain `whsim run --seed --strategy` gives."""
    import json

    from sim.loading import load_scenario
    from sim.runner import apply_overrides, run_scenario

    sc = _scenario(tmp_path)
    rows = run_sweep(sc, ["central"], 1, tmp_path / "b", workers=1).rows
    scenario = apply_overrides(load_scenario(sc[0][0]), sc[0][0], seed=1, strategy="central")
    run_scenario(scenario, tmp_path / "direct", plots=False)
    m = json.loads((tmp_path / "direct" / "metrics.json").read_text())
    assert rows[0]["mota"] == m["tracking"]["mota"] and rows[0]["hota"] == m["tracking"]["hota"]
    assert rows[0]["bev_iou_graphcut"] == m["bev"]["iou_graphcut"]
    assert rows[0]["nees_position_in_bounds"] == m["tracking"]["nees_position_in_bounds"] != ""
    assert rows[0]["nees_velocity_mean"] == m["tracking"]["nees_velocity_mean"] != ""
    direct = (tmp_path / "direct" / "tracks.csv").read_bytes()
    assert (tmp_path / "b" / "runs" / "small" / "seed1" / "central" / "tracks.csv").read_bytes() == direct


def test_a_crashing_strategy_is_reported_and_the_rest_complete(tmp_path, monkeypatch):
    import sim.runner

    real = sim.runner.make_pipeline

    def flaky(strategy, *args):
        if strategy == "camera":
            raise RuntimeError("camera pipeline exploded\nsecond line")
        return real(strategy, *args)

    monkeypatch.setattr(sim.runner, "make_pipeline", flaky)
    result = run_sweep(_scenario(tmp_path), STRATEGIES, 2, tmp_path / "b", workers=1, log=io.StringIO())
    status = {(r["seed"], r["strategy"]): (r["status"], r["error"]) for r in result.rows}
    assert status[(1, "camera")] == ("error", "RuntimeError: camera pipeline exploded")
    assert all(status[(s, n)][0] == "ok" for s in (1, 2) for n in ("oracle", "central"))
    assert len(result.failed) == 2
    assert (
        "camera, seed 1: RuntimeError: camera pipeline exploded"
        in (tmp_path / "b" / "summary.md").read_text()
    )


def test_resume_runs_nothing_twice(tmp_path, monkeypatch):
    import sim.recording
    import sim.runner

    calls, records = [], []
    real_run, real_record = sim.runner.run_scenario, sim.recording.Recording.record

    def counting_run(scenario, out, **kw):
        calls.append((scenario.seed, scenario.pipeline.strategy))
        return real_run(scenario, out, **kw)

    def counting_record(scenario):
        records.append(scenario.seed)
        return real_record(scenario)

    monkeypatch.setattr(sim.runner, "run_scenario", counting_run)
    monkeypatch.setattr(sim.recording.Recording, "record", staticmethod(counting_record))
    sc = _scenario(tmp_path)
    out = tmp_path / "b"
    run_sweep(sc, STRATEGIES, 2, out, workers=1)
    assert len(calls) == 6 and records == [1, 2]
    full = (out / "results.csv").read_text().splitlines()
    first = _rows(out / "results.csv")
    # An interrupted sweep: seed 2's central run never finished.
    (out / "results.csv").write_text("\n".join(full[:-1]) + "\n")
    calls.clear(), records.clear()
    again = run_sweep(sc, STRATEGIES, 2, out, workers=1, resume=True)
    assert calls == [(2, "central")] and records == [2] and again.ran == 1
    assert _rows(out / "results.csv") == first  # the same rows, in sweep order
    calls.clear(), records.clear()
    assert run_sweep(sc, STRATEGIES, 2, out, workers=1, resume=True).ran == 0
    assert calls == [] and records == []
    assert len((out / "results.csv").read_text().splitlines()) == len(full)


def test_confidence_interval_and_wilcoxon_against_hand_values_and_scipy():
    m, lo, hi = mean_ci([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) · s / √n
    assert m == 3 and lo == pytest.approx(3 - half, abs=1e-12) and hi == pytest.approx(3 + half, abs=1e-12)
    rng = np.random.default_rng(0)
    x = rng.normal(0.5, 0.2, 9)
    ref = stats.t.interval(0.95, 8, loc=x.mean(), scale=stats.sem(x))
    assert mean_ci(x)[1:] == pytest.approx(ref, abs=1e-12)
    assert math.isnan(mean_ci([0.4])[1]) and mean_ci([0.3, 0.3]) == (0.3, 0.3, 0.3)
    # Five pairs, every difference positive, no ties: exact two-sided p = 2 / 2⁵.
    a, b = np.array([3.0, 5, 2, 8, 7]), np.array([1.0, 2, 1.5, 4, 6.9])
    assert wilcoxon_p(a, b) == pytest.approx(2 / 32)
    y = x + rng.normal(0.05, 0.1, 9)
    assert wilcoxon_p(x, y) == pytest.approx(stats.wilcoxon(x, y).pvalue)
    assert wilcoxon_p(a, a) == 1.0 and math.isnan(wilcoxon_p([np.nan], [1.0]))


def test_bench_duration_shortens_every_run_and_resume_keeps_it(tmp_path, capsys):
    from sim import cli
    from tests.conftest import scenario_dict, write_scenario

    d = scenario_dict(duration_s=30)
    d["actors"][1]["spawn_s"] = 20  # after the shortened end: simply never spawns
    path, out = write_scenario(tmp_path, d), tmp_path / "b"
    args = ["bench", str(path), "--strategies", "oracle", "--seeds", "1", "--out", str(out), "--workers", "1"]
    assert cli.main([*args, "--duration", "2", "--quiet"]) == 0
    metrics = json.loads((out / "runs" / "small" / "seed1" / "oracle" / "metrics.json").read_text())
    assert metrics["sim_time_s"] == 2.0 and metrics["world"]["actors"] == 2
    assert (
        (out / "summary.md")
        .read_text()
        .splitlines()[2]
        .startswith("2 s runs (`--duration`), 1 seeds per scenario (seed 1)")
    )
    capsys.readouterr()
    assert cli.main([*args, "--resume", "--quiet"]) == 2  # not the duration it ran with
    assert "ran with --duration 2; resume it with the same" in capsys.readouterr().err
    assert cli.main([*args, "--duration", "2", "--resume", "--quiet"]) == 0


def test_first_seed_moves_the_seeds_and_resume_keeps_it(tmp_path, capsys):
    """Tuning seeds (≥ 11) and reporting seeds (1–5) never overlap: `--first-seed` picks where seeds start."""
    from sim import cli
    from tests.conftest import scenario_dict, write_scenario

    path, out = write_scenario(tmp_path, scenario_dict(duration_s=2)), tmp_path / "b"
    args = ["bench", str(path), "--strategies", "oracle", "--seeds", "2", "--out", str(out), "--workers", "1"]
    assert cli.main([*args, "--first-seed", "11", "--quiet"]) == 0
    assert [r["seed"] for r in _rows(out / "results.csv")] == ["11", "12"]
    assert sorted(p.name for p in (out / "runs" / "small").iterdir()) == ["seed11", "seed12"]
    assert "2 seeds per scenario (seeds 11–12)" in (out / "summary.md").read_text()
    capsys.readouterr()
    assert cli.main([*args, "--resume", "--quiet"]) == 2
    assert "ran with --first-seed 11; resume it with the same" in capsys.readouterr().err
    assert cli.main([*args, "--first-seed", "-1", "--quiet"]) == 2


def test_an_interrupted_inline_sweep_keeps_its_finished_runs(tmp_path, monkeypatch):
    """Regression: `--workers 1` ran every job inside submit(), so an interrupt lost all finished runs."""
    import sim.bench.sweep

    real = sim.bench.sweep.run_job
    ran = []

    def interrupted_on_the_second_job(job, out):
        if ran:
            raise KeyboardInterrupt
        ran.append(job.seed)
        return real(job, out)

    monkeypatch.setattr(sim.bench.sweep, "run_job", interrupted_on_the_second_job)
    sc, out = _scenario(tmp_path), tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sc, ["oracle"], 2, out, workers=1)
    assert [(r["seed"], r["status"]) for r in _rows(out / "results.csv")] == [("1", "ok")]
    monkeypatch.setattr(sim.bench.sweep, "run_job", real)
    assert run_sweep(sc, ["oracle"], 2, out, workers=1, resume=True).ran == 1


def test_a_scheduler_that_cannot_be_used_is_a_usage_error_and_nothing_is_written(
    tmp_path, capsys, monkeypatch
):
    """Regression: a malformed or unreachable --scheduler was an internal error (exit 1) after the sweep
    directory had been created."""
    import sim.bench.executors
    from sim import cli
    from tests.conftest import scenario_dict, write_scenario

    monkeypatch.setattr(sim.bench.executors, "CONNECT_TIMEOUT_S", 1)
    path = write_scenario(tmp_path, scenario_dict(duration_s=2))
    for address, why in (("garbage", "missing port number"), ("tcp://127.0.0.1:1", "Timed out")):
        out = tmp_path / "b"
        args = ["bench", str(path), "--strategies", "oracle", "--seeds", "1", "--out", str(out)]
        assert cli.main([*args, "--scheduler", address, "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"whsim: --scheduler {address}: ") and why in err[0]
        assert not out.exists()


def test_resume_refuses_a_results_csv_that_is_not_a_file_before_simulating(tmp_path, capsys):
    from sim import cli
    from tests.conftest import scenario_dict, write_scenario

    path, out = write_scenario(tmp_path, scenario_dict(duration_s=2)), tmp_path / "b"
    (out / "results.csv").mkdir(parents=True)
    args = ["bench", str(path), "--strategies", "oracle", "--seeds", "1", "--out", str(out), "--resume"]
    assert cli.main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"whsim: --resume: {out / 'results.csv'}: exists and is not a regular file"]
    assert not (out / "runs").exists()


def _fake_rows(seeds, with_identity: bool):
    from sim.bench.summary import HEADLINE

    rows = []
    for seed in seeds:
        for s in ("central", "camera"):
            r = {"scenario": "x", "seed": str(seed), "strategy": s, "status": "ok"}
            r |= {c: str(0.5 + 0.01 * seed) for c, _, _ in HEADLINE}
            r |= {"gospa": "3.0"}
            if s == "camera" or not with_identity:
                r["identity_accuracy"] = ""  # the camera reads no tags: not available, not 0
            rows.append(r)
    return rows


def test_bars_leave_out_what_a_strategy_cannot_give_and_draw_intervals_only_with_two_seeds(
    tmp_path, monkeypatch
):
    """Regression: an unavailable metric was drawn as a bar of height 0, and one seed drew error caps."""
    import matplotlib.axes

    from sim.bench.figures import bar_figure

    bars, caps, texts = [], [], []
    real_bar, real_err, real_text = (
        matplotlib.axes.Axes.bar,
        matplotlib.axes.Axes.errorbar,
        matplotlib.axes.Axes.text,
    )
    monkeypatch.setattr(
        matplotlib.axes.Axes, "bar", lambda ax, *a, **k: bars.append(ax.get_title()) or real_bar(ax, *a, **k)
    )
    monkeypatch.setattr(
        matplotlib.axes.Axes, "errorbar", lambda ax, *a, **k: caps.append(1) or real_err(ax, *a, **k)
    )
    monkeypatch.setattr(
        matplotlib.axes.Axes, "text", lambda ax, *a, **k: texts.append(a[2]) or real_text(ax, *a, **k)
    )
    from sim.bench.summary import HEADLINE

    bar_figure(tmp_path / "a.png", _fake_rows([1, 2, 3], True), "x", ["central", "camera"])
    n = len(HEADLINE)
    assert len(bars) == 2 * n - 1 and texts == ["n/a"] and len(caps) == 2 * n - 1
    bars.clear(), caps.clear(), texts.clear()
    bar_figure(tmp_path / "b.png", _fake_rows([1], True), "x", ["central", "camera"])
    assert len(bars) == 2 * n - 1 and caps == []


def test_the_summary_says_what_the_p_values_can_show_with_few_seeds():
    from sim.bench.stats import smallest_wilcoxon_p
    from sim.bench.summary import _paired_table

    assert smallest_wilcoxon_p(5) == pytest.approx(stats.wilcoxon([1, 2, 3, 4, 5], [0] * 5).pvalue)
    five = "\n".join(_paired_table(_fake_rows(range(1, 6), True), "x", ["central", "camera"]))
    assert "smallest p the test can give is 0.0625" in five and "6 or more seeds" in five
    one = "\n".join(_paired_table(_fake_rows([1], True), "x", ["central", "camera"]))
    assert "one seed there is no test" in one and "| camera | +0.000 | — |" in one
    eight = "\n".join(_paired_table(_fake_rows(range(1, 9), True), "x", ["central", "camera"]))
    assert "smallest p" not in eight


def test_results_of_a_sweep_from_before_the_nees_parts_still_read(tmp_path):
    """A results.csv written before metric columns were added resumes with those columns empty; one
    with a column whsim never wrote is refused."""
    from sim.bench.jobs import COLUMNS
    from sim.bench.results import read_results

    old_columns = [
        c for c in COLUMNS if not c.startswith("nees_position") and not c.startswith("nees_velocity")
    ]
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(old_columns)
        w.writerow(["default" if c == "scenario" else "1" if c == "seed" else "ok" if c == "status" else "0.5"
                    for c in old_columns])  # fmt: skip
    (row,) = read_results(path)
    assert list(row) == list(COLUMNS) and row["mota"] == "0.5" and row["nees_position_mean"] == ""
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([[*old_columns, "surprise"], ["x"] * (len(old_columns) + 1)])
    with pytest.raises(ValueError, match="columns differ"):
        read_results(path)


def test_the_paired_table_gives_the_student_t_interval_of_the_per_seed_differences():
    """camera = central − 0.05 ± a little on every seed, while both swing ±0.1 from seed to seed: the paired
    interval is scipy's t-interval of the differences, and far narrower than either strategy's own."""
    from sim.bench.summary import _paired_table

    rng = np.random.default_rng(4)
    base = rng.normal(0.6, 0.1, 6)
    diff = -0.05 + rng.normal(0, 0.01, 6)
    rows = []
    for seed in range(6):
        for s, v in (("central", base[seed]), ("camera", base[seed] + diff[seed])):
            row = {"scenario": "x", "seed": str(seed + 1), "strategy": s, "status": "ok", "mota": str(v)}
            rows.append(row | {c: "0.5" for c in ("idf1", "hota", "gospa")})
    lo, hi = stats.t.interval(0.95, 5, loc=diff.mean(), scale=diff.std(ddof=1) / np.sqrt(6))
    line = next(x for x in _paired_table(rows, "x", ["central", "camera"]) if x.startswith("| camera"))
    assert f"| camera | {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] |" in line
    assert hi - lo < 0.05 < 2 * stats.t.ppf(0.975, 5) * base.std(ddof=1) / np.sqrt(6)

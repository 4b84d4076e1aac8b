"""tools/tune_tracker.py replays recorded front-end outputs through a fresh fuser: its scores must be the
ones `whsim run` writes for the same scenario, seed and strategy, or tuning on it tunes something else."""

import io
import sys
from pathlib import Path

import pytest

from sim.runner import run_scenario

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("strategy", ["central", "cnn3d-kf"])
def test_replay_scores_equal_a_run(tmp_path, strategy):
    sys.path.insert(0, str(ROOT / "tools"))
    import tune_tracker

    path, seed, duration = str(ROOT / "scenarios" / "quickstart.yaml"), 3, 3.0
    pkl = tune_tracker.record(path, seed, strategy, duration, tmp_path / "cache")
    row = tune_tracker.replay(path, seed, strategy, duration, [], pkl)
    sc = tune_tracker._scenario(path, seed, strategy, duration)
    run = run_scenario(sc, tmp_path / "run", plots=False, log=io.StringIO()).metrics
    assert row["metrics"]["tracking"] == run["tracking"]
    assert row["metrics"]["tracking"]["mota"] is not None
    # a changed tracker setting reaches the replay (the cache holds front-end outputs, not tracks)
    other = tune_tracker.replay(path, seed, strategy, duration, ["pipeline.tracker.confirm_hits=5"], pkl)
    assert other["metrics"]["tracking"] != row["metrics"]["tracking"]


def test_a_front_end_setting_is_refused_rather_than_silently_ignored(capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import tune_tracker

    with pytest.raises(SystemExit) as e:
        tune_tracker.main(["scenarios/default.yaml", "--set", "pipeline.rfid.phase_ranging=false"])
    assert e.value.code == 2 and "re-records" in capsys.readouterr().err


def test_a_bad_value_is_a_one_line_error_not_a_workers_traceback(capsys):
    """Regression: `--set pipeline.tracker.association=foo` printed a process pool's traceback."""
    sys.path.insert(0, str(ROOT / "tools"))
    import tune_tracker

    assert (
        tune_tracker.main(
            ["scenarios/default.yaml", "--seeds", "11", "--set", "pipeline.tracker.association=foo"]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "allowed: gnn, jpda, enn-jpda" in err and "Traceback" not in err and "\n" not in err


def test_the_cache_key_changes_with_the_weights_a_front_end_loads(tmp_path, monkeypatch):
    """Recordings made with one set of PointNet or 3D-CNN weights are not replayed for another."""
    sys.path.insert(0, str(ROOT / "tools"))
    import tune_tracker

    (tmp_path / "perception" / "weights").mkdir(parents=True)
    (tmp_path / "perception" / "net.py").write_text("x = 1\n")
    weights = tmp_path / "perception" / "weights" / "net.pt"
    weights.write_bytes(b"one")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    monkeypatch.setattr(tune_tracker, "ROOT", tmp_path)
    monkeypatch.setattr(tune_tracker, "UPSTREAM", ("perception",))
    key = tune_tracker._upstream_hash(str(scenario), 1, "pointnet", None)
    assert tune_tracker._upstream_hash(str(scenario), 1, "pointnet", None) == key
    weights.write_bytes(b"two")
    assert tune_tracker._upstream_hash(str(scenario), 1, "pointnet", None) != key


def test_the_table_takes_a_fuser_that_counts_no_out_of_sequence_readings():
    """Regression: the greedy tracker's stats have no `out_of_sequence_dropped`, and the table raised a
    KeyError after every replay of `--strategy cnn3d` had run (losing the rows for `--json` too)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import tune_tracker

    figures = dict.fromkeys(tune_tracker.COLUMNS, 0.5)
    rows = [
        {"scenario": "default", "seed": 11, **figures, "stats": {"tracks_started": 40}},
        {"scenario": "default", "seed": 12, **figures, "mota": 0.7, "stats": {"tracks_started": 60}},
        {
            "scenario": "busy",
            "seed": 11,
            **figures,
            "stats": {"tracks_started": 9, "out_of_sequence_dropped": 3},
        },
    ]
    lines = tune_tracker.table(rows).splitlines()
    default_mean = next(line for line in lines if line.startswith("default mean")).split()
    assert default_mean[2] == "0.600" and default_mean[-2:] == ["50", "-"]  # MOTA mean, started, ooseq
    assert next(line for line in lines if line.startswith("busy mean")).split()[-2:] == ["9", "3"]


def test_the_tool_runs_the_code_of_the_tree_it_is_in(tmp_path):
    """Run from another tree (a git worktree sharing this checkout's editable install), the tool imports
    that tree's packages, whose files its cache keys hash — not the installed checkout's."""
    import shutil
    import subprocess

    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "tune_tracker.py", tmp_path / "tools")
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "__init__.py").write_text("MARK = 'other tree'\n")
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import tune_tracker, sim; print(sim.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "tools")], capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()) == tmp_path / "sim" / "__init__.py"

"""No scenario content chooses where whsim writes: the default run directory is always under runs/."""

from __future__ import annotations

import pytest

from sim import cli
from sim.bench.jobs import run_dir
from sim.output.paths import folder_name
from tests.conftest import scenario_dict, write_scenario


@pytest.mark.parametrize(
    "name, folder",
    [
        ("small", "small"),
        ("../x", "_x"),
        ("/etc/cron.d/evil", "_etc_cron.d_evil"),
        ("..", "scenario"),
        (".hidden", "hidden"),
        ("a\x00b", "a_b"),
        ("warehouse nord (2026)", "warehouse_nord_2026_"),
    ],
)
def test_folder_names_are_plain(name, folder):
    assert folder_name(name) == folder


def test_a_hostile_name_writes_under_runs(tmp_path, monkeypatch):
    """Regression: `name: '../x'` wrote outside runs/, an absolute name anywhere on the disk."""
    monkeypatch.chdir(tmp_path)
    for name in ("../escaped", str(tmp_path / "absolute")):
        path = write_scenario(tmp_path, scenario_dict(name=name, duration_s=1), "s.yaml")
        assert cli.main(["run", str(path), "--quiet", "--overwrite"]) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == sorted(
        [folder_name("../escaped"), folder_name(str(tmp_path / "absolute"))]
    )
    assert not (tmp_path.parent / "escaped").exists() and not (tmp_path / "absolute").exists()
    assert run_dir(tmp_path, "../../up", 1, "central").resolve().is_relative_to(tmp_path.resolve())

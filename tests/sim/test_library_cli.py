"""Command-line conventions: --version, shipped scenarios by name, `whsim scenarios`, `run --json`, the
summary's file list and the real-time factor's digits."""

from __future__ import annotations

import json
from importlib.metadata import version

import pytest
import yaml

from sim.library import shipped
from sim.timing import times_real_time
from tests.conftest import ROOT
from tests.sim.test_cli import whsim, whsim_process


def test_version():
    r = whsim("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"whsim {version('whsim')}"


def test_scenarios_lists_every_shipped_file_with_its_description():
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert {p.stem: p.resolve() for p in files} == {k: p.resolve() for k, p in shipped().items()}
    r = whsim("scenarios")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == len(files)
    for line, path in zip(lines, files, strict=True):
        name, description = line.split(None, 1)
        assert name == path.stem and description == yaml.safe_load(path.read_text())["description"]


def test_run_finds_a_shipped_scenario_by_name_from_anywhere_and_prints_json(tmp_path):
    out = tmp_path / "run"
    r = whsim_process("run", "quickstart", "--duration", 1, "--out", out, "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["scenario"] == "quickstart" and summary["status"] == "complete"
    assert summary["run_dir"] == str(out)
    assert {"metrics.json", "tracks.csv", "detections.csv", "plots/trajectories.png"} <= set(summary["files"])
    assert all((out / f).exists() for f in summary["files"])


def test_a_misspelt_name_gets_the_closest_shipped_ones():
    r = whsim("validate", "defualt")
    assert r.returncode == 2 and "did you mean 'default'" in r.stderr and len(r.stderr.splitlines()) == 1


def test_the_summary_lists_every_file_the_run_wrote(tmp_path):
    out = tmp_path / "run"
    r = whsim("run", "quickstart", "--duration", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    listed = r.stdout.split("run directory:")[1]
    for path in out.rglob("*"):
        if path.is_file():
            assert path.relative_to(out).as_posix() in listed


@pytest.mark.parametrize(
    "factor, text",
    [
        (0.9812, "0.98×"),
        (0.05, "0.050×"),
        (1.0, "1.0×"),
        (1.44, "1.4×"),
        (9.96, "10×"),
        (12.4, "12×"),
        (231, "231×"),
    ],
)
def test_real_time_factor_has_two_significant_digits(factor, text):
    assert times_real_time(factor) == text

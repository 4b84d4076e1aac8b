"""The shipped scenario library: every file validates, opens with a comment saying what it stresses and
what to look for, and runs (shortened) without an error."""

from __future__ import annotations

import io

import pytest

from sim.loading import load_scenario
from sim.runner import apply_overrides, run_scenario
from tests.conftest import ROOT

LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))
NAMES = [p.stem for p in LIBRARY]


def test_the_library_has_the_scenarios_the_docs_name():
    assert set(NAMES) >= {
        "default",
        "busy",
        "sensor_failure",
        "noisy_cameras",
        "quickstart",
        "narrow_aisles",
        "cross_dock_rush",
        "rfid_dense",
        "night_shift",
        "miscalibrated_lidar",
        "crowd",
        "large_dc",
    }


@pytest.mark.parametrize("path", LIBRARY, ids=NAMES)
def test_every_shipped_scenario_validates_and_says_what_it_is_for(path):
    sc = load_scenario(path)
    assert sc.name == path.stem and sc.description
    if path.stem not in ("default", "busy", "sensor_failure", "noisy_cameras"):
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        assert head[0].startswith(f"# {path.stem} — ") and any("Look at" in line for line in head), head


def test_the_large_scenario_is_large():
    sc = load_scenario(ROOT / "scenarios" / "large_dc.yaml")
    assert sc.layout.size_m[0] * sc.layout.size_m[1] >= 80 * 60 and len(sc.actors) >= 50


@pytest.mark.slow
@pytest.mark.parametrize("path", LIBRARY, ids=NAMES)
def test_every_shipped_scenario_runs_shortened(path, tmp_path):
    sc = apply_overrides(load_scenario(path), str(path), duration=1.5)
    result = run_scenario(sc, tmp_path / "run", plots=False, log=io.StringIO())
    assert result.status == "complete" and result.metrics["tracking"]["mota"] is not None

"""`whsim perf --scaling`: each sweep changes one thing of the default scenario, validly."""

from __future__ import annotations

import json

import pytest
import yaml

from sim import perf_scaling as ps
from sim.loading import parse_scenario
from tests.sim.test_cli import whsim


def _load(doc):
    return parse_scenario(yaml.safe_dump(doc))


def test_each_sweep_changes_only_its_own_size():
    base = _load(ps.with_actors(9))
    for n in ps.ACTORS:
        assert len(_load(ps.with_actors(n)).actors) == n
    for n in ps.CAMERAS:
        sc = _load(ps.with_cameras(n))
        assert sum(s.type == "camera" for s in sc.sensors) == n and len(sc.actors) == len(base.actors)
    for length, width in ps.AREAS:
        sc = _load(ps.with_area(length, width))
        assert tuple(sc.layout.size_m) == (length, width)
        assert [s.id for s in sc.sensors] == [s.id for s in base.sensors] and len(sc.actors) == len(
            base.actors
        )
    assert len(_load(ps.with_area(120, 80)).layout.racks) == 9


def test_slope_recovers_a_power_law():
    sizes = [10, 20, 40, 80]
    assert ps.slope(sizes, [100 / s**1.5 for s in sizes]) == pytest.approx(1.5)


@pytest.mark.slow
def test_scaling_writes_its_table_figure_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(ps, "DURATION_S", 1.0)
    monkeypatch.setattr(ps, "ACTORS", (9, 12))
    monkeypatch.setattr(ps, "CAMERAS", (1, 2))
    monkeypatch.setattr(ps, "AREAS", ((40, 25), (60, 40)))
    r = whsim("perf", "--scaling", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    results = json.loads((tmp_path / "scaling.json").read_text())
    assert set(results["actors"]) == {"9", "12"} and all(v > 0 for v in results["cameras"].values())
    assert (tmp_path / "scaling.png").stat().st_size > 10_000 and "| actors |" in r.stdout

"""The thermal front-end against fixed hot equipment: a charger in view is masked, not tracked."""

from __future__ import annotations

import io

import pandas as pd
import yaml

from sim.loading import parse_scenario
from sim.runner import run_scenario
from tests.conftest import scenario_dict

IR = {"id": "ir", "type": "thermal", "position": [19, 11, 6], "look_at": [12, 4, 0]}
CHARGER = {"position": [15, 2], "temperature_c": 45, "radius_m": 0.4}  # in the camera's view


def _thermal_rows(tmp_path, heat, actors):
    d = scenario_dict(duration_s=2, actors=actors, sensors=[IR], pipeline={"strategy": "thermal"})
    d["layout"]["heat_sources"] = heat
    sc = parse_scenario(yaml.safe_dump(d))
    run_scenario(sc, tmp_path / "run", plots=False, log=io.StringIO())
    return pd.read_csv(tmp_path / "run" / "detections.csv")


def test_a_charger_in_view_gives_no_detections(tmp_path):
    rows = _thermal_rows(tmp_path, [CHARGER], [])
    assert len(rows) == 0  # before the mask: a warm blob at the charger in every frame


def test_a_worker_beside_the_charger_is_still_detected(tmp_path):
    worker = {"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [13, 2]}}
    rows = _thermal_rows(tmp_path, [CHARGER], [worker])
    assert len(rows) >= 15  # 8.7 Hz for 2 s
    assert ((rows.x - 13).abs() < 1).all() and ((rows.y - 2).abs() < 1).all()

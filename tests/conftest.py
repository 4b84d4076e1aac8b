"""Shared helpers: small scenarios built in code, so each test states what it depends on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "default.yaml"

# One aisle between two rack rows (rows at y 3..4.1 and 6.5..7.6, aisle 4.1..6.5), open floor around them.
SMALL = {
    "name": "small",
    "seed": 3,
    "duration_s": 20,
    "dt_s": 0.05,
    "layout": {
        "size_m": [20, 12],
        "racks": [
            {
                "origin": [4, 3],
                "rows": 2,
                "row_spacing_m": 3.5,
                "bays": 4,
                "bay_length_m": 2.7,
                "depth_m": 1.1,
                "levels": 3,
                "level_height_m": 1.5,
            }
        ],
        "docks": [{"position": [20, 6], "width_m": 3}],
    },
    "actors": [
        {
            "id": "fl1",
            "kind": "forklift",
            "tags": ["T-1"],
            "motion": {"type": "waypoints", "points": [[2, 5.3], [17, 5.3]], "loop": True},
        },
        {"id": "w1", "kind": "worker", "motion": {"type": "patrol", "start": [17, 10]}},
    ],
    "sensors": [
        {"id": "cam", "type": "camera", "position": [19, 11, 5], "look_at": [10, 6, 0]},
        {"id": "beam", "type": "beam", "from": [10, 9, 0.5], "to": [10, 11.5, 0.5]},
    ],
    "pipeline": {"strategy": "none"},
}


def scenario_dict(**changes) -> dict:
    """A deep copy of SMALL with top-level keys replaced."""
    d = copy.deepcopy(SMALL)
    d.update(changes)
    return d


LIDAR = {
    "id": "lidar",
    "type": "lidar",
    "preset": "vlp16",
    "position": [18.5, 5.3, 3],
}  # east end of the aisle


def with_lidar(data: dict) -> dict:
    """The scenario with a VLP-16 looking down the aisle (the range-sensor strategies need one)."""
    data["sensors"] = [*data["sensors"], dict(LIDAR)]
    return data


def write_scenario(tmp_path: Path, data: dict | str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def small() -> dict:
    return scenario_dict()

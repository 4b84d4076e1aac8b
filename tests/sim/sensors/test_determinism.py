"""Same scenario and seed ⇒ the same readings to the bit; another seed ⇒ other noise."""

from __future__ import annotations

import numpy as np

from tests.sim.sensors.conftest import run_readings, sim_of

ROOM = {"size_m": [12, 10], "height_m": 4}
SENSORS = [
    {"id": "c", "type": "camera", "position": [1, 1, 3], "look_at": [8, 6, 0], "resolution": [64, 48]},
    {"id": "l", "type": "lidar", "position": [6, 5, 1], "dropout": 0.1},
    {"id": "r", "type": "rfid", "position": [1, 5, 1]},
    {"id": "t", "type": "thermal", "position": [11, 9, 3], "look_at": [6, 5, 0]},
]
ACTORS = [{"id": "w", "kind": "worker", "tags": ["B1"], "motion": {"type": "patrol", "start": [6, 3]}}]


def _arrays(readings):
    out = []
    for r in readings:
        for name in ("rgb", "points", "intensity", "temperature_c", "rssi_dbm", "phase_rad"):
            if hasattr(r, name):
                out.append(np.asarray(getattr(r, name)))
    return out


def test_same_seed_same_readings_other_seed_other_noise():
    a = _arrays(run_readings(sim_of(ROOM, ACTORS, SENSORS, seed=4)))
    b = _arrays(run_readings(sim_of(ROOM, ACTORS, SENSORS, seed=4)))
    c = _arrays(run_readings(sim_of(ROOM, ACTORS, SENSORS, seed=5)))
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(a, c, strict=False))

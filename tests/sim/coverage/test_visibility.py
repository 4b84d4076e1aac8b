"""The coverage model against closed forms and against the simulated sensors themselves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.coverage.visibility import BODIES, LATERAL, SAMPLE_FRACTIONS, TRACKED, Floor, sensor_cover
from sim.scenario.models import Scenario
from sim.sensors.geometry import static_mesh
from sim.sensors.raycast import StaticScene
from sim.simulation import Simulation
from sim.world.kinds import CLASS_IDS
from tests.conftest import scenario_dict


def _room(walls=(), sensors=()) -> Scenario:
    """An empty 20 m × 20 m hall, 10 m high (no racks, no actors)."""
    d = scenario_dict(actors=[], sensors=list(sensors))
    d["layout"] = {"size_m": [20, 20], "height_m": 10, "walls": list(walls)}
    return Scenario.model_validate(d)


def _covers(scenario: Scenario):
    sim = Simulation(scenario, sensors=False)
    sim.reset()
    static = sim.world.static
    floor = Floor.of(static)
    scene = StaticScene(static_mesh(static))
    return floor, [sensor_cover(s, scene, static, floor, 12) for s in scenario.sensors]


def test_a_downward_camera_covers_its_analytic_footprint():
    """Looking straight down from 8 m, a point at height z is in the image iff |dx| ≤ (w/2)/f · (8 − z)
    and |dy| ≤ (h/2)/f · (8 − z); a body is seen where part of its lowest row of samples and half of all
    its samples are."""
    cam = {"id": "c", "type": "camera", "position": [10, 10, 8], "look_at": [10, 10, 0], "hfov_deg": 60}
    floor, (cover,) = _covers(_room(sensors=[cam]))
    w, h = 320, 240
    f = (w / 2) / math.tan(math.radians(60) / 2)
    d = floor.xy - 10
    side = np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(np.linalg.norm(d, axis=1), 1e-9)[:, None]
    for k, body in enumerate(BODIES):
        inside = np.zeros((len(d), len(SAMPLE_FRACTIONS), len(LATERAL)), bool)
        for i, z in enumerate(SAMPLE_FRACTIONS * body.height_m):
            for j, a in enumerate(LATERAL):
                p = d + a * body.radius_m * side
                inside[:, i, j] = (np.abs(p[:, 0]) <= (w / 2) / f * (8 - z)) & (
                    np.abs(p[:, 1]) <= (h / 2) / f * (8 - z)
                )
        expected = inside[:, 0].any(axis=1) & (inside.mean(axis=(1, 2)) >= 0.5)
        assert cover.seen[k].sum() > 1000
        np.testing.assert_array_equal(cover.seen[k], expected, err_msg=TRACKED[k])


def test_a_wall_between_sensor_and_cell_removes_it():
    cam = {"id": "c", "type": "camera", "position": [1, 10, 3], "look_at": [10, 10, 0]}
    wall = {"from": [5, 8], "to": [5, 12], "height_m": 4.0}
    floor, (open_,) = _covers(_room(sensors=[cam]))
    _, (walled,) = _covers(_room(walls=[wall], sensors=[cam]))
    behind = (np.abs(floor.xy[:, 1] - 10) < 0.5) & (floor.xy[:, 0] > 6) & (floor.xy[:, 0] < 9)
    worker = TRACKED.index("worker")
    assert open_.seen[worker, behind].all()
    assert not walled.seen[worker, behind].any()
    in_front = (np.abs(floor.xy[:, 1] - 10) < 0.5) & (floor.xy[:, 0] > 2.5) & (floor.xy[:, 0] < 4.5)
    np.testing.assert_array_equal(walled.seen[worker, in_front], open_.seen[worker, in_front])


@pytest.mark.parametrize(
    "height, distance", [(2, 3.0), (2, 8.0), (2, 20.0), (2, 60.0), (5, 4.0)]
)  # seen, seen, seen, too few returns far away, under the lowest beam
def test_a_lidar_covers_a_worker_where_the_simulated_scan_puts_enough_returns_on_it(height, distance):
    """Brute force: the simulated VLP-16 (every ray cast) against one worker standing at `distance`."""
    from sim.coverage.visibility import MIN_RETURNS

    lidar = {"id": "l", "type": "lidar", "preset": "vlp16", "position": [2, 5, height]}
    d = scenario_dict(
        actors=[
            {"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [2 + distance, 5]}}
        ],
        sensors=[lidar],
    )
    d["layout"] = {"size_m": [70, 10], "height_m": 10}
    scenario = Scenario.model_validate(d)
    sim = Simulation(scenario)
    step, _ = sim.reset()
    while "l" not in step.due:
        step, _, _ = sim.step()
    cloud = next(r for r in step.readings if r.sensor_id == "l")
    returns = int(((cloud.truth_class == CLASS_IDS["worker"]) & (cloud.points[:, 2] > 0.15)).sum())
    floor = Floor.of(sim.world.static)
    static = sim.world.static
    cover = sensor_cover(scenario.sensors[0], StaticScene(static_mesh(static)), static, floor, 12)
    cell = np.argmin(np.linalg.norm(floor.xy - [2 + distance, 5], axis=1))
    assert cover.seen[TRACKED.index("worker"), cell] == (returns >= MIN_RETURNS), returns


def test_rfid_coverage_stops_behind_a_rack_row_and_far_away():
    """A tag 7.9 m away at 29° off boresight is read with p ≈ 0.59 in the open (covered) and ≈ 0.08 with
    a stocked rack row (10 dB) in between (not covered)."""
    reader = {"id": "r", "type": "rfid", "position": [2, 5.3, 2.5], "boresight": [1, 0, 0]}
    floor, (open_,) = _covers(_room(sensors=[reader]))
    racked, (behind,) = _covers(Scenario.model_validate(scenario_dict(actors=[], sensors=[reader])))

    def at(fl, x, y):
        return int(np.argmin(np.linalg.norm(fl.xy - [x, y], axis=1)))

    assert open_.seen[:, at(floor, 9, 1.5)].all()
    assert not behind.seen[:, at(racked, 9, 1.5)].any()  # the row at y 3..4.1 is in the way
    assert behind.seen[:, at(racked, 6, 5.3)].all()  # down the aisle, 4 m
    assert not open_.seen[:, at(floor, 19, 11)].any()  # 18 m away


def test_a_beam_covers_the_bodies_that_would_cut_it():
    beam = {"id": "b", "type": "beam", "from": [10, 5, 0.5], "to": [10, 15, 0.5]}
    floor, (cover,) = _covers(_room(sensors=[beam]))
    dist = np.where(
        (floor.xy[:, 1] >= 5) & (floor.xy[:, 1] <= 15),
        np.abs(floor.xy[:, 0] - 10),
        np.hypot(floor.xy[:, 0] - 10, np.minimum(np.abs(floor.xy[:, 1] - 5), np.abs(floor.xy[:, 1] - 15))),
    )
    for k, body in enumerate(BODIES):
        expected = (dist <= body.radius_m) & (0.5 < body.height_m)
        np.testing.assert_array_equal(cover.seen[k], expected, err_msg=body.name)
    assert not cover.seen[TRACKED.index("agv")].any()  # a 0.4 m deck passes under a 0.5 m beam

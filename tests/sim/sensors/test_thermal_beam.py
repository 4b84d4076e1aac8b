"""Thermal: actors read at their surface temperature above ambient; heat sources show. Beams: exact events."""

from __future__ import annotations

import numpy as np

from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from tests.sim.sensors.conftest import sim_of

ROOM = {
    "size_m": [20, 12],
    "height_m": 6,
    "ambient_c": 18,
    "heat_sources": [{"position": [16, 6], "temperature_c": 45, "radius_m": 0.5}],
}


def test_worker_reads_warmer_than_the_floor_and_heat_source_shows():
    actors = [{"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [10, 6]}}]
    sensors = [{"id": "ir", "type": "thermal", "position": [4, 6, 4], "look_at": [14, 6, 0]}]
    sim = sim_of(ROOM, actors, sensors)
    step, _ = sim.reset()
    (frame,) = step.readings
    ir = sim.sensors.by_id["ir"]
    worker = frame.truth_instance == ACTOR_INSTANCE_BASE
    hot_spot = frame.temperature_c > 40 + ir.offset  # the heat source's disc on the floor
    floor = (frame.truth_class == 0) & ~worker & ~hot_spot
    assert worker.sum() > 30
    netd = 0.05
    assert abs(frame.temperature_c[worker].mean() - (32.0 + ir.offset)) < 4 * netd
    assert abs(frame.temperature_c[floor].mean() - (18.0 + ir.offset)) < 4 * netd
    assert frame.temperature_c[worker].min() > frame.temperature_c[floor].max()
    assert hot_spot.sum() > 5 and abs(frame.temperature_c[hot_spot].mean() - (45.0 + ir.offset)) < 4 * netd
    assert 0.04 < frame.temperature_c[floor].std() < 0.06
    assert abs(ir.offset) <= 5.0


def _box_hits_segment(xy, yaw, size, a, b) -> bool:
    """Brute force: is any of 2000 points along a→b inside the oriented box?"""
    p = a + np.linspace(0, 1, 2000)[:, None] * (b - a)
    q = p - [xy[0], xy[1], 0]
    c, s = np.cos(yaw), np.sin(yaw)
    lx, ly = c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1]
    return bool(
        (
            (np.abs(lx) <= size[0] / 2) & (np.abs(ly) <= size[1] / 2) & (q[:, 2] >= 0) & (q[:, 2] <= size[2])
        ).any()
    )


def test_beam_fires_exactly_when_an_actor_crosses_it():
    a, b = np.array([10.0, 4.0, 0.2]), np.array([10.0, 8.0, 0.2])
    actors = [
        {
            "id": "agv",
            "kind": "agv",
            "motion": {"type": "waypoints", "points": [[4, 6], [16, 6]], "speed_mps": 1.3},
        }
    ]
    sim = sim_of(
        ROOM, actors, [{"id": "beam", "type": "beam", "from": a.tolist(), "to": b.tolist()}], duration=14
    )
    step, _ = sim.reset()
    events, truth = list(step.readings), [step.truth]
    done = False
    while not done:
        step, done, _ = sim.step()
        events += step.readings
        truth.append(step.truth)
    expected, state = [], False
    for fr in truth:
        now = _box_hits_segment(fr.xyz[0, :2], fr.yaw[0], fr.size[0], a, b)
        if now != state:
            expected.append((round(fr.t, 6), now))
            state = now
    assert [(round(e.t, 6), e.blocked) for e in events] == expected
    assert [e.blocked for e in events] == [True, False]

"""World: actors stay out of racks and walls, obey their kinematic limits, follow the traffic rules."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from sim.loading import load_scenario, parse_scenario
from sim.world.actor_spec import actor_specs
from sim.world.traffic import MIN_GAP_M
from sim.world.world import World
from tests.conftest import DEFAULT_SCENARIO, scenario_dict


def _scenario(**changes):
    return parse_scenario(yaml.safe_dump(scenario_dict(**changes)), "test.yaml")


def _run(scenario, seed=None, ticks=None):
    w = World(scenario)
    frames = [w.reset(seed)]
    for _ in range(scenario.n_ticks if ticks is None else ticks):
        frames.append(w.step())
    return w, frames


def _polygons_hit_rects(polys: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Separating-axis test of convex polygons (n, k, 2) against axis-aligned rectangles (m, 4: x0, y0, x1,
    y1): (n, m) True where they overlap by more than 1e-9 along every axis (the polygons' edge normals and
    x, y)."""
    corners = rects[:, [[0, 1], [2, 1], [2, 3], [0, 3]]]  # (m, 4, 2)
    e = np.roll(polys, -1, axis=1) - polys  # (n, k, 2) edges
    normals = np.stack([-e[..., 1], e[..., 0]], -1)
    axes = np.concatenate([normals, np.broadcast_to(np.eye(2), (len(polys), 2, 2))], 1)
    a = np.einsum("nkd,nad->nak", polys, axes)  # (n, axes, k): the polygon on its axes
    b = np.einsum("mcd,nad->nmac", corners, axes)  # (n, m, axes, 4): each rectangle on them
    lo_a, hi_a = a.min(-1)[:, None], a.max(-1)[:, None]
    apart = (hi_a <= b.min(-1) + 1e-9) | (b.max(-1) <= lo_a + 1e-9)
    return ~apart.any(-1)


def _tracks(frames):
    """Per actor id: arrays of (t, x, y, yaw, vx, vy)."""
    out: dict[str, list] = {}
    for f in frames:
        for k, i in enumerate(f.ids):
            out.setdefault(i, []).append((f.t, *f.xyz[k, :2], f.yaw[k], *f.vel[k]))
    return {i: np.array(v) for i, v in out.items()}


@pytest.mark.parametrize("seed", [7, pytest.param(11, marks=pytest.mark.slow)])
def test_long_run_stays_clear_and_within_limits(seed):
    sc = load_scenario(DEFAULT_SCENARIO).model_copy(update={"duration_s": 300.0})
    w, frames = _run(sc, seed)
    obstacles = w.static.obstacles
    rects = np.array([(r.x0, r.y0, r.x1, r.y1) for r in obstacles])
    for f in frames[::2]:  # every 0.1 s
        hits = _polygons_hit_rects(np.asarray(f.corners(), float), rects)
        assert not hits.any(), f"actor box in a rack or wall at t={f.t}"
    specs = {s.id: s for s in actor_specs(sc.actors)}
    for actor_id, tr in _tracks(frames).items():
        s = specs[actor_id]
        speed = np.hypot(tr[:, 4], tr[:, 5])
        assert speed.max() <= s.max_speed + 1e-9
        acc = np.linalg.norm(np.diff(tr[:, 4:6], axis=0), axis=1) / sc.dt_s
        # Tangential (accel or decel) plus lateral (v·ω) components, each bounded.
        assert acc.max() <= max(s.accel, s.decel) + s.lat_accel + 1e-6
        yaw_rate = np.abs((np.diff(tr[:, 3]) + np.pi) % (2 * np.pi) - np.pi) / sc.dt_s
        assert yaw_rate.max() <= s.yaw_rate + 1e-6
        moved = np.hypot(*(tr[-1, 1:3] - tr[0, 1:3])) + np.abs(np.diff(tr[:, 1:3], axis=0)).sum()
        assert moved > 20, f"{actor_id} hardly moved in 300 s"


def test_same_seed_same_truth_and_different_seed_different_truth():
    sc = load_scenario(DEFAULT_SCENARIO)
    _, a = _run(sc, 5, ticks=400)
    _, b = _run(sc, 5, ticks=400)
    _, c = _run(sc, 6, ticks=400)
    assert all(
        np.array_equal(x.xyz, y.xyz) and np.array_equal(x.vel, y.vel) for x, y in zip(a, b, strict=True)
    )
    assert any(x.ids != y.ids or not np.array_equal(x.xyz, y.xyz) for x, y in zip(a, c, strict=True))


def test_spawn_and_leave_times():
    sc = load_scenario(DEFAULT_SCENARIO)
    _, frames = _run(sc)
    present = {round(f.t, 6): set(f.ids) for f in frames}
    assert "fl3" not in present[4.95] and "fl3" in present[5.0]
    assert "w4" in present[49.95] and "w4" not in present[50.0]


def test_follower_stops_behind_a_parked_agv_then_goes_round():
    sc = _scenario(
        actors=[
            {
                "id": "fl1",
                "kind": "forklift",
                "motion": {"type": "waypoints", "points": [[2, 5.3], [17, 5.3]]},
            },
            {"id": "agv", "kind": "agv", "motion": {"type": "stationary", "position": [10, 5.3]}},
        ],
        duration_s=60,
    )
    w, frames = _run(sc)
    tr = _tracks(frames)["fl1"]
    gap = np.abs(tr[:, 1] - 10) - (2.5 + 1.0) / 2  # bumper gap along the aisle while in the aisle
    in_aisle = np.abs(tr[:, 2] - 5.3) < 0.3
    assert gap[in_aisle].min() >= MIN_GAP_M - 0.1  # braking is evaluated once per tick
    waited = np.flatnonzero(in_aisle & (np.hypot(tr[:, 4], tr[:, 5]) < 1e-6) & (tr[:, 1] < 10))
    assert waited.size * sc.dt_s >= 2.5, "it should wait before replanning"
    assert np.hypot(tr[-1, 1] - 17, tr[-1, 2] - 5.3) < 0.2, "it should reach its goal by the detour"
    assert w.overlap_events == 0


def test_worker_gives_way_to_a_forklift_crossing_its_path():
    sc = _scenario(
        actors=[
            {
                "id": "fl1",
                "kind": "forklift",
                "motion": {"type": "waypoints", "points": [[2, 9.8], [18, 9.8]], "speed_mps": 2.0},
            },
            {
                "id": "w1",
                "kind": "worker",
                "spawn_s": 2.5,
                "motion": {"type": "waypoints", "points": [[10, 11.4], [10, 8.2]]},
            },
        ],
        duration_s=15,
    )
    w, frames = _run(sc)
    tr = _tracks(frames)
    fl, wk = tr["fl1"], tr["w1"]
    t_fl = {round(t, 6): k for k, t in enumerate(fl[:, 0])}
    # The worker stands still at some point before the forklift has passed it...
    stopped = [
        k
        for k, row in enumerate(wk)
        if np.hypot(row[4], row[5]) < 1e-6 and 0.2 < k * sc.dt_s and fl[t_fl[round(row[0], 6)], 1] < 10 + 1.25
    ]
    assert stopped, "worker did not give way"
    # ... the forklift keeps going ...
    crossing = np.abs(fl[:, 1] - 10) < 2
    assert np.hypot(fl[crossing, 4], fl[crossing, 5]).min() > 1.0
    # ... and the worker gets there after it.
    assert abs(wk[-1, 2] - 8.2) < 0.2
    assert w.overlap_events == 0


@pytest.mark.slow
def test_an_hour_of_default_traffic_never_freezes():
    """Regression: an hour-long run froze at 40 min — seven actors in a jam whose blocker changed every
    second (restarting the gridlock escape's clock), forklifts held by a rack end beside their goal or
    with no room to turn into an aisle (seed 2: one stood still 55 minutes). No actor may now stand
    still for more than a minute (dwells are at most 6 s)."""
    sc = load_scenario(DEFAULT_SCENARIO).model_copy(update={"duration_s": 3600.0})
    w = World(sc)
    w.reset(2)
    still: dict[str, float] = {}
    worst = 0.0
    for _ in range(sc.n_ticks):
        w.step()
        for a in w.actors:
            if a.active:
                still[a.spec.id] = still.get(a.spec.id, 0.0) + sc.dt_s if abs(a.v) < 0.05 else 0.0
                worst = max(worst, still[a.spec.id])
    assert worst < 60.0, f"an actor stood still {worst:.0f} s"

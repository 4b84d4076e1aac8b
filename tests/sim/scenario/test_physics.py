"""Physics checks: inside the building, clear of racks, reachable, rates below 1/dt, consistent ids."""

from __future__ import annotations

import pytest

from sim.loading import load_scenario
from sim.scenario.loader import ScenarioError
from tests.conftest import scenario_dict, write_scenario


def errors(tmp_path, data) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        load_scenario(write_scenario(tmp_path, data))
    return [str(p) for p in e.value.problems]


def actor(points, kind="forklift", **kw):
    return {"id": "a", "kind": kind, "motion": {"type": "waypoints", "points": points, **kw}}


def test_small_scenario_is_valid(tmp_path, small):
    sc = load_scenario(write_scenario(tmp_path, small))
    assert sc.n_ticks == 400


def test_waypoint_inside_a_rack(tmp_path):
    (msg,) = errors(tmp_path, scenario_dict(actors=[actor([[2, 5.3], [6, 3.5]])]))
    assert "actors[0].motion.points[1]: [6, 3.5] is inside a rack row (4..14.8 × 3..4.1 m)" in msg


def test_waypoint_too_close_to_a_rack_for_a_forklift_but_fine_for_a_worker(tmp_path):
    (msg,) = errors(tmp_path, scenario_dict(actors=[actor([[2, 5.3], [8, 4.6]])]))
    assert "actors[0].motion.points[1]" in msg and "a forklift needs 0.85 m" in msg
    load_scenario(
        write_scenario(tmp_path, scenario_dict(actors=[actor([[2, 5.3], [8, 4.6]], kind="worker")]))
    )


def test_waypoint_outside_the_building(tmp_path):
    (msg,) = errors(tmp_path, scenario_dict(actors=[actor([[2, 5.3], [25, 5]])]))
    assert "actors[0].motion.points[1]: [25, 5] is outside the building" in msg


def test_unreachable_waypoint(tmp_path):
    # An interior wall from the south wall to the north wall at x = 16 cuts the building in two.
    d = scenario_dict(actors=[actor([[2, 5.3], [18, 5.3]])])
    d["layout"]["walls"] = [{"from": [16, 0], "to": [16, 12]}]
    msgs = errors(tmp_path, d)
    assert any("no path for a forklift from [2, 5.3] to [18, 5.3]" in m for m in msgs)


def test_sensor_outside_and_rate_above_tick_rate(tmp_path):
    d = scenario_dict(
        sensors=[
            {"id": "c", "type": "camera", "position": [21, 5, 3], "look_at": [5, 5, 0]},
            {"id": "l", "type": "lidar", "position": [10, 9, 3], "rate_hz": 40},
        ]
    )
    msgs = errors(tmp_path, d)
    assert any(
        m.endswith("sensors[0].position: [21, 5, 3] is outside the building (0..20 × 0..12 × 0..10 m)")
        for m in msgs
    )
    assert any(
        "sensors[1].rate_hz: 40 Hz is faster than the simulation tick (dt_s = 0.05 s allows at most 20 Hz)"
        in m
        for m in msgs
    )


def test_duplicate_ids_fault_on_unknown_sensor_and_unknown_strategy(tmp_path):
    d = scenario_dict(
        faults=[{"sensor": "cma", "type": "dropout", "start_s": 1, "end_s": 2}],
        pipeline={"strategy": "centrl"},
    )
    d["actors"].append({"id": "fl1", "kind": "agv", "motion": {"type": "stationary", "position": [17, 2]}})
    msgs = errors(tmp_path, d)
    assert any("actors[2].id: duplicate actor id 'fl1' (also actors[0])" in m for m in msgs)
    assert any("faults[0].sensor: no sensor 'cma'; did you mean 'cam'?" in m for m in msgs)
    assert any("pipeline.strategy: unknown strategy 'centrl'; did you mean 'central'?" in m for m in msgs)


def test_speed_above_the_kind_limit(tmp_path):
    (msg,) = errors(
        tmp_path, scenario_dict(actors=[actor([[2, 5.3], [17, 5.3]], kind="worker", speed_mps=3)])
    )
    assert "actors[0].motion.speed_mps: 3 m/s is above the worker's max 1.4 m/s" in msg


def test_rack_block_outside_the_building_and_dock_off_the_wall(tmp_path):
    d = scenario_dict()
    d["layout"]["racks"][0]["bays"] = 7  # 4 + 7 × 2.7 = 22.9 m > 20 m
    d["layout"]["docks"] = [{"position": [10, 6]}]
    msgs = errors(tmp_path, d)
    assert any("layout.racks[0]: rack block spans 4..22.9" in m for m in msgs)
    assert any("layout.docks[0].position: [10, 6] is not on the perimeter wall" in m for m in msgs)


def test_events_past_the_files_own_end_are_errors_but_a_shortened_run_skips_them(tmp_path):
    """In a file, a spawn or fault after its own duration_s is a mistake; shortening the run from the
    command line is not: those events simply do not happen."""
    d = scenario_dict()
    d["actors"][1]["spawn_s"] = 30
    d["faults"] = [{"sensor": "cam", "type": "dropout", "start_s": 25, "end_s": 28}]
    msgs = errors(tmp_path, d)
    assert any("actors[1].spawn_s: 30 s is not before duration_s (20 s)" in m for m in msgs)
    assert any("faults[0].start_s: 25 s is not before duration_s (20 s)" in m for m in msgs)
    d["duration_s"] = 40
    path = write_scenario(tmp_path, d)
    sc = load_scenario(path, sets=["duration_s=10"])
    assert sc.duration_s == 10 and sc.actors[1].spawn_s == 30


def test_lines_are_reported_for_physics_errors(tmp_path):
    text = tmp_path / "p.yaml"
    text.write_text("""name: p
duration_s: 10
layout: {size_m: [20, 12]}
actors:
  - id: a
    kind: worker
    motion: {type: stationary, position: [30, 5]}
""")
    with pytest.raises(ScenarioError) as e:
        load_scenario(text)
    assert str(e.value.problems[0]).startswith(f"{text}:7: actors[0].motion.position:")


def test_an_image_sensor_at_floor_height_is_refused(tmp_path):
    """Regression: a camera at z = 0 sees the floor edge-on; the run ended in a LinAlgError (singular
    homography) instead of a scenario error."""
    d = scenario_dict()
    d["sensors"][0]["position"] = [19, 11, 0]
    msgs = errors(tmp_path, d)
    assert any(
        "sensors[0].position: [19, 11, 0] is 0 m up; an image sensor must be mounted" in m for m in msgs
    )


def test_an_actor_tag_of_the_pallet_tag_form_is_refused(tmp_path):
    d = scenario_dict()
    d["layout"]["racks"][0]["pallet_tag_prefix"] = "P"
    d["actors"][0]["tags"] = ["P-0003"]
    (msg,) = errors(tmp_path, d)
    assert "actors[0].tags: tag 'P-0003' has the form of a pallet tag ('P-NNNN', layout.racks)" in msg
    d["actors"][0]["tags"] = ["P-X3", "Q-0003"]  # not the form: fine
    assert load_scenario(write_scenario(tmp_path, d)).actors[0].tags == ["P-X3", "Q-0003"]


def test_schema_and_physics_problems_come_in_one_round(tmp_path):
    """Regression: a thermal rate of 9 Hz (above 8.7) hid a waypoint inside a rack row until it was fixed."""
    d = scenario_dict(actors=[actor([[2, 5.3], [6, 3.5]])])
    d["sensors"].append(
        {"id": "ir", "type": "thermal", "position": [19, 1, 4], "look_at": [10, 6, 0], "rate_hz": 9}
    )
    msgs = errors(tmp_path, d)
    assert len(msgs) == 2
    assert "sensors[2].rate_hz: input should be less than or equal to 8.7 (got 9)" in msgs[0]
    assert "actors[0].motion.points[1]: [6, 3.5] is inside a rack row" in msgs[1]
    assert all(m.startswith(str(tmp_path)) and ".yaml:" in m for m in msgs)  # each with its file line
    # A problem that cannot be set aside (a required field missing) still gives the schema's list alone.
    del d["sensors"][2]["position"]
    msgs = errors(tmp_path, d)
    assert len(msgs) == 2 and "required field is missing" in msgs[0] and "rack" not in " ".join(msgs)

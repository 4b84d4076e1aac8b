"""Scenario errors: one line each, naming file, line, field path, what was given and what is allowed."""

from __future__ import annotations

import pytest

from sim.loading import load_scenario, parse_scenario
from sim.scenario.loader import ScenarioError
from tests.conftest import DEFAULT_SCENARIO, scenario_dict, write_scenario

HEAD = "name: t\nduration_s: 10\nlayout: {size_m: [20, 12]}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "x.yaml")
    return [str(p) for p in e.value.problems]


def test_default_scenario_loads():
    sc = load_scenario(DEFAULT_SCENARIO)
    assert sc.name == "default"
    assert len(sc.actors) == 9 and {a.kind for a in sc.actors} == {"forklift", "agv", "worker"}
    assert {s.type for s in sc.sensors} == {"camera", "lidar", "rfid", "thermal", "beam"}


def test_invalid_yaml_names_the_line():
    (msg,) = problems("name: a\nlayout: {size_m: [10, 10]\nactors: []\n")
    assert msg.startswith("x.yaml:3: invalid YAML")


def test_top_level_must_be_a_mapping():
    (msg,) = problems("- a\n- b\n")
    assert msg == "x.yaml:1: expected a mapping of scenario keys, got a list"


def test_unknown_key_suggests_the_closest_and_gives_its_line():
    text = """name: t
duration_s: 10
layout: {size_m: [20, 12]}
sensors:
  - {id: c, type: camera, position: [1, 1, 3], look_at: [5, 5, 0]}
  - {id: d, type: camera, position: [1, 1, 3], look_at: [5, 5, 0], rat_hz: 5}
"""
    (msg,) = problems(text)
    assert msg.startswith("x.yaml:6: sensors[1].rat_hz: unknown key 'rat_hz'; did you mean 'rate_hz'?")
    assert "allowed:" in msg and "hfov_deg" in msg


def test_missing_required_field():
    (msg,) = problems("name: t\nlayout: {size_m: [20, 12]}\n")
    assert msg == "x.yaml:1: duration_s: required field is missing"  # the line of the mapping it belongs in


def test_wrong_type_says_what_was_given():
    (msg,) = problems("name: t\nduration_s: ten\nlayout: {size_m: [20, 12]}\n")
    assert msg.startswith("x.yaml:2: duration_s: input should be a valid number")
    assert "'ten'" in msg


def test_bad_literal_suggests_the_allowed_value():
    text = """name: t
duration_s: 10
layout: {size_m: [20, 12]}
actors:
  - id: a
    kind: forklfit
    motion: {type: stationary, position: [2, 2]}
"""
    (msg,) = problems(text)
    assert msg.startswith("x.yaml:6: actors[0].kind: got 'forklfit'; did you mean 'forklift'?")
    assert "allowed: forklift, agv, worker" in msg


def test_unknown_sensor_type_suggests_one():
    text = HEAD + "sensors:\n  - {id: l, type: lidr, position: [1, 1, 3]}\n"
    (msg,) = problems(text)
    assert msg.startswith("x.yaml:5: sensors[0]: unknown type 'lidr'; did you mean 'lidar'?")


def test_out_of_range_value_names_the_limit():
    text = HEAD + "sensors:\n  - {id: c, type: camera, position: [1, 1, 3], hfov_deg: 200}\n"
    (msg,) = problems(text)
    assert msg.startswith("x.yaml:5: sensors[0].hfov_deg: input should be less than 180")


def test_several_problems_are_all_reported():
    text = "name: t\nduration_s: -1\ndt_s: 0\nlayout: {size_m: [20, 12]}\n"
    msgs = problems(text)
    assert [m.split(": ")[1] for m in msgs] == ["duration_s", "dt_s"]


def test_too_many_actors_is_refused(tmp_path):
    actors = [{"id": f"w{i}", "kind": "worker", "motion": {"type": "patrol"}} for i in range(501)]
    path = write_scenario(tmp_path, scenario_dict(actors=actors))
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert "actors: list should have at most 500 items" in str(e.value)


@pytest.mark.parametrize(
    ("size", "why"),
    [
        ([301, 10], "size_m along x must be in (0, 300] m, got 301"),
        ([300, 201], "300 × 201 m is 60,300 m² of floor; at most 60,000 m²"),
    ],
)
def test_buildings_past_the_measured_scale_limits_are_refused(size, why):
    text = f"name: t\nduration_s: 1\nlayout: {{size_m: {size}}}\n"
    (msg,) = problems(text)
    assert "layout" in msg and why in msg, msg


def test_a_building_at_the_scale_limits_is_accepted():
    sc = parse_scenario("name: t\nduration_s: 1\nlayout: {size_m: [300, 200]}\n")
    assert sc.layout.size_m == (300, 200)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_unsafe_yaml_tags_are_rejected():
    (msg,) = problems("name: !!python/object/apply:os.system ['true']\n")
    assert "invalid YAML" in msg

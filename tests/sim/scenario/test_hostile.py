"""Hostile files: refused quickly, with exit 2 and one line, before anything is built from them."""

from __future__ import annotations

import os
import time

import pytest

from sim import cli
from sim.loading import load_scenario, parse_scenario
from sim.scenario import safe_yaml
from sim.scenario.loader import ScenarioError
from tests.conftest import scenario_dict, write_scenario

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
)


def _one_problem(text: str) -> str:
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, "h.yaml")
    (problem,) = e.value.problems
    return str(problem)


def test_an_alias_bomb_is_refused_before_it_expands():
    t0 = time.perf_counter()
    msg = _one_problem(BOMB + "\nname: b\n")
    assert time.perf_counter() - t0 < 1.0
    assert msg.startswith("h.yaml:") and "expands to more than 200,000 values (aliases included)" in msg


@pytest.mark.parametrize(
    "text, needle",
    [
        ("&x [*x]\n", "recursive alias"),
        ("name: " + "[" * 40 + "]" * 40 + "\n", "nested more than 32 levels deep"),
        ("name: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("seed: " + "9" * 5000 + "\n", "a number written with 5,000 characters; at most 64"),
        ("name: '" + "x" * 20_000 + "'\n", "a value of 20,000 characters; at most 10,000"),
        ("x" * (safe_yaml.MAX_CHARS + 1), "characters; a scenario file may have at most"),
        (
            "name: a\nseed: 1\nname: b\n",
            "h.yaml:3: key 'name' is given twice in one mapping (first on line 1)",
        ),
    ],
)
def test_limits_are_one_line_problems(text, needle):
    assert needle in _one_problem(text)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_inf_are_refused_wherever_a_finite_number_is_meant(tmp_path, value):
    d = scenario_dict()
    path = write_scenario(tmp_path, d)
    for field in (
        "duration_s",
        "layout.size_m[0]",
        "sensors[0].look_at[1]",
        "pipeline.tracker.gate_probability",
    ):
        with pytest.raises(ScenarioError) as e:
            load_scenario(path, sets=[f"{field}={value}"])
        assert "should be a finite number" in str(e.value) or "must be in" in str(e.value), field


def test_only_regular_files_are_read(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert cli.main(["validate", str(fifo), "/dev/zero", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{fifo}: not a regular file (a device or a pipe)",
        "/dev/zero: not a regular file (a device or a pipe)",
        f"{tmp_path}: is a directory, expected a YAML scenario file",
    ]


def test_unsafe_tags_and_garbage_are_refused_not_run():
    assert "invalid YAML" in _one_problem("name: !!python/object/apply:os.system ['echo hi']\n")
    assert "invalid YAML: unacceptable character #x0000" in _one_problem("\x00\x01\x02")
    assert "expected a mapping of scenario keys, got a list" in _one_problem("- 1\n- 2\n")


def test_a_missing_type_names_the_allowed_values_and_the_key_probably_meant(tmp_path):
    d = scenario_dict()
    d["sensors"][0]["kind"] = d["sensors"][0].pop("type")
    d["actors"][0]["motion"]["typo"] = d["actors"][0]["motion"].pop("type")
    d["actors"][1]["motion"].pop("type")
    with pytest.raises(ScenarioError) as e:
        load_scenario(write_scenario(tmp_path, d))
    lines = {p.path: p.message for p in e.value.problems}
    assert lines["sensors[0]"] == (
        "a 'type' key is required here (one of: camera, lidar, rfid, thermal, beam); "
        "did you mean 'type: camera' instead of 'kind: camera'?"
    )
    assert lines["actors[0].motion"].endswith("did you mean 'type: waypoints' instead of 'typo: waypoints'?")
    assert (
        lines["actors[1].motion"] == "a 'type' key is required here (one of: waypoints, patrol, stationary)"
    )


def test_scale_limits_name_their_field_and_echo_no_section(tmp_path):
    """Regressions: dt_s = 1e-9 gave the tick-limit error with no field path and the whole scenario
    echoed; a 10⁶ m wall thickness was accepted and filled the memory building the navigation map."""
    path = write_scenario(tmp_path, scenario_dict())
    with pytest.raises(ScenarioError) as e:
        load_scenario(path, sets=["dt_s=0.000000001"])
    (problem,) = e.value.problems
    assert str(problem).endswith(
        "dt_s: duration_s / dt_s = 20,000,000,000 ticks; at most 10,000,000 (a longer dt_s or a shorter "
        "duration_s) (got 1e-09)"
    )
    assert "layout" not in str(problem)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path, sets=["layout.wall_thickness_m=1000000"])
    assert "layout.wall_thickness_m: input should be less than or equal to 2 (got 1000000)" in str(e.value)


@pytest.mark.parametrize(
    "field, value, limit",
    [("level_height_m", "1e308", "10"), ("bay_length_m", "1e6", "20"), ("depth_m", "500", "10")],
)
def test_rack_dimensions_are_bounded(tmp_path, field, value, limit):
    """Regression (the fuzz soak): a rack level 1e308 m high was accepted and overflowed the layout's
    shelf heights to inf."""
    rack = {"origin": [4, 3], "rows": 1, "row_spacing_m": 3.5, "bays": 2, "bay_length_m": 2.7, "depth_m": 1.1}
    d = scenario_dict()
    d["layout"]["racks"] = [rack | {field: float(value)}]
    with pytest.raises(ScenarioError) as e:
        load_scenario(write_scenario(tmp_path, d))
    (problem,) = e.value.problems
    assert f"layout.racks[0].{field}: input should be less than or equal to {limit}" in str(problem)


def _at_every_list_limit() -> dict:
    """A 60 m × 45 m building with every list of the file at its limit: 100 rack blocks, 200 walls,
    64 docks, 200 heat sources, 8 tags on each actor, 1000 faults."""
    from sim.scenario import models as m

    racks = [
        {"origin": [5 + 5 * i, 6 + 3.5 * j], "rows": 1, "row_spacing_m": 3.5, "bays": 1, "bay_length_m": 2.7,
         "depth_m": 1.1, "levels": 2, "level_height_m": 1.5}
        for i in range(10) for j in range(10)
    ]  # fmt: skip
    walls = [{"from": [1 + 0.29 * k, 44], "to": [1.1 + 0.29 * k, 44]} for k in range(m.MAX_WALLS)]
    docks = [{"position": [1 + 0.9 * k, 0], "width_m": 0.5} for k in range(m.MAX_DOCKS)]
    heat = [{"position": [1 + 0.29 * k, 2], "temperature_c": 40} for k in range(m.MAX_HEAT_SOURCES)]
    actors = [
        {"id": f"a{k}", "kind": kind, "tags": [f"A{k}-{t}" for t in range(m.MAX_TAGS_PER_ACTOR)],
         "motion": {"type": "patrol", "start": [57, 10 + 10 * k]}}
        for k, kind in enumerate(["forklift", "agv", "worker"])
    ]  # fmt: skip
    sensors = [
        {"id": "cam", "type": "camera", "position": [58, 2, 6], "look_at": [40, 20, 0]},
        {"id": "ir", "type": "thermal", "position": [30, 1, 6], "look_at": [30, 8, 0]},
        {"id": "lid", "type": "lidar", "position": [57, 25, 3]},
        {"id": "rf", "type": "rfid", "position": [57, 20, 2], "boresight": [-1, 0, 0]},
    ]
    kinds = [
        {"sensor": "cam", "type": "dropout"},
        {"sensor": "lid", "type": "latency", "latency_s": 0.1},
        {"sensor": "ir", "type": "hot_spot", "position": [30, 6]},
        {"sensor": "rf", "type": "multipath"},
        {"sensor": "cam", "type": "clock", "jitter_s": 0.01},
    ]
    faults = [
        kinds[k % 5] | {"start_s": 0.0004 * k, "end_s": 0.0004 * k + 0.0002} for k in range(m.MAX_FAULTS)
    ]
    return scenario_dict(
        duration_s=0.5,
        layout={"size_m": [60, 45], "height_m": 8, "racks": racks, "walls": walls, "docks": docks,
                "heat_sources": heat},
        actors=actors, sensors=sensors, faults=faults, pipeline={"strategy": "central"},
    )  # fmt: skip


@pytest.mark.slow
def test_every_list_at_its_limit_runs_and_one_more_is_refused(tmp_path):
    import io

    from sim.runner import run_scenario
    from sim.scenario import models as m

    d = _at_every_list_limit()
    run_scenario(load_scenario(write_scenario(tmp_path, d)), tmp_path / "run", plots=False, log=io.StringIO())
    assert '"status": "complete"' in (tmp_path / "run" / "metrics.json").read_text()
    for path, limit, extra in [
        (("layout", "racks"), m.MAX_RACK_BLOCKS, None),
        (("layout", "walls"), m.MAX_WALLS, None),
        (("layout", "docks"), m.MAX_DOCKS, None),
        (("layout", "heat_sources"), m.MAX_HEAT_SOURCES, None),
        (("faults",), m.MAX_FAULTS, None),
        (("actors", 0, "tags"), m.MAX_TAGS_PER_ACTOR, "A0-extra"),
    ]:
        over = _at_every_list_limit()
        node = over
        for key in path:
            node = node[key]
        node.append(extra if extra is not None else node[0])
        with pytest.raises(ScenarioError) as e:
            load_scenario(write_scenario(tmp_path, over, "over.yaml"))
        where = ".".join(map(str, path)).replace(".0.", "[0].")
        assert f"{where}: list should have at most {limit} items" in str(e.value), str(e.value)[:300]

"""`--set PATH=VALUE`: any field by dotted path, validated exactly like the file, one line per problem."""

from __future__ import annotations

import pytest
import yaml

from sim import cli
from sim.loading import load_scenario
from sim.scenario.loader import ScenarioError
from tests.conftest import scenario_dict, write_scenario


def test_sets_reach_nested_blocks_list_items_and_top_level_fields(tmp_path):
    path = write_scenario(tmp_path, scenario_dict())
    sc = load_scenario(
        path,
        sets=[
            "pipeline.tracker.confirm_hits=2",
            "duration_s=15",
            "sensors[0].rate_hz=5",
            "pipeline.rfid.link.path_loss_exponent=2.4",
            "pipeline.strategy=camera",
        ],
    )
    assert sc.pipeline.tracker.confirm_hits == 2 and sc.duration_s == 15 and sc.sensors[0].rate_hz == 5
    assert sc.pipeline.rfid.link.path_loss_exponent == 2.4 and sc.pipeline.strategy == "camera"
    assert load_scenario(path).pipeline.tracker.confirm_hits == 3  # the file itself is unchanged


@pytest.mark.parametrize(
    "expr, message",
    [
        (
            "pipeline.tracker.confrm_hits=2",
            "(--set pipeline.tracker.confrm_hits=2): pipeline.tracker.confrm_hits: unknown key 'confrm_hits';"
            " did you mean 'confirm_hits'?",
        ),
        (
            "pipeline.tracker.confirm_hits=x",
            "(--set pipeline.tracker.confirm_hits=x): pipeline.tracker.confirm_hits:",
        ),
        (
            "pipeline.tracker.confirm_hits=9",
            "pipeline.tracker: confirm_hits (9) must not exceed confirm_window (5)",
        ),
        (
            "pipeline.tracker.association=jpda",
            "pipeline: tracker.association jpda needs a filter without bias states (filter: imm, numpy or "
            "filterpy); filter imm-bias runs with gnn",
        ),
        ("sensors[9].rate_hz=3", "(--set sensors[9].rate_hz=3): sensors[9]: no such item (the list has 2)"),
        ("sensors[0].rate_hz=100", "sensors[0].rate_hz: 100 Hz is faster than the simulation tick"),
        ("duration_s", "(--set duration_s): expected PATH=VALUE, got 'duration_s'"),
        ("duration_s.x=1", "(--set duration_s.x=1): duration_s: holds a value, not fields"),
    ],
)
def test_bad_sets_exit_2_with_one_line_naming_the_file_the_set_and_the_field(tmp_path, capsys, expr, message):
    path = write_scenario(tmp_path, scenario_dict())
    out = tmp_path / "o"
    assert cli.main(["run", str(path), "--out", str(out), "--set", expr]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(path)) and message in err and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_every_pipeline_parameter_is_written_to_the_resolved_scenario(tmp_path):
    from sim.runner import run_scenario

    sc = load_scenario(
        write_scenario(tmp_path, scenario_dict(duration_s=1)), sets=["pipeline.bev_map.max_age_s=0.5"]
    )
    run_scenario(sc, tmp_path / "run", plots=False)
    resolved = yaml.safe_load((tmp_path / "run" / "scenario.resolved.yaml").read_text())["pipeline"]
    assert set(resolved) >= {
        "strategy",
        "filter",
        "tracker",
        "bev_map",
        "camera",
        "thermal",
        "lidar",
        "rfid",
        "oracle",
    }
    assert resolved["bev_map"]["max_age_s"] == 0.5 and resolved["lidar"]["graph_cut_lambda"] == 0.4
    assert resolved["tracker"]["confirm_window"] == 5 and resolved["rfid"]["link"]["shadowing_db"] is None


def test_a_set_error_and_a_file_error_are_both_listed(tmp_path):
    d = scenario_dict()
    d["sensors"][0]["hfov_deg"] = 500
    path = write_scenario(tmp_path, d)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path, sets=["pipeline.tracker.gate_probability=2"])
    lines = [str(p) for p in e.value.problems]
    assert any(":" in line.split(" ")[0] and "hfov_deg" in line for line in lines)
    assert any("(--set pipeline.tracker.gate_probability=2)" in line for line in lines)

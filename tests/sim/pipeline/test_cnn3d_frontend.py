"""The `cnn3d` front-end and strategies in the loop, and the shipped weights against their card."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from perception.cnn3d_detector import load_cnn3d
from perception.evidence import Evidence
from perception.weights import CNN3D, CNN3D_ENSEMBLE
from sim.learning.cnn3d_dataset import HELDOUT_SEED_BASE, record
from sim.learning.cnn3d_eval import evaluate_sequences
from sim.learning.random_scenes import random_site
from sim.loading import parse_scenario
from sim.pipeline.frontends.base import site_bev_map
from sim.pipeline.frontends.cnn3d import sensor_groups, site_frame
from sim.pipeline.measurement_models import fitted_models
from sim.runner import run_scenario
from sim.world.layout import build_static_world
from tests.conftest import scenario_dict, with_lidar


def _scenario(**changes):
    return parse_scenario(yaml.safe_dump(with_lidar(scenario_dict(**changes))), "small")


def test_frames_group_sensors_by_kind_and_leave_out_stale_layers():
    scenario = _scenario()
    assert sensor_groups(scenario) == {"cam": "camera", "lidar": "range"}  # the beam feeds no map
    bev = site_bev_map(scenario.layout.size_m, build_static_world(scenario.layout, np.random.default_rng(0)))
    ones = Evidence(np.ones(bev.grid.shape), np.ones(bev.grid.shape, bool))
    bev.add("cam", 0.0, ones)
    bev.add("lidar", 1.0, ones, np.full(bev.grid.shape, 2.0))
    f = site_frame(bev, 1.0, sensor_groups(scenario))
    free = ~bev.static
    assert (f[3][free] == 0).all()  # the camera's layer is 1 s old: left out
    assert (f[0][free] > 0).all() and (f[2][free] > 0).all()
    assert (f[7] == bev.static).all()


def test_shipped_weights_reach_their_stated_held_out_figures():
    """Two freshly recorded sites of the held-out range (layouts training never saw): each shipped
    network's AP at 1 m over the actors some sensor saw is within 0.1 of the figure its file states for
    the whole held-out split. Averaged over the grid and its half turn or over all four mirror images
    (`flips`), neither AP nor velocity is worse. The two networks' maps averaged (the front-end's default)
    keep the first's AP on the same images and its stated velocity bound (that the average's velocity is
    better shows over the whole held-out split and the shipped scenarios, not on 12 s: on these two sites
    the second network alone reads 0.39 m/s against the first's 0.34, and the pair 0.38)."""
    seqs = [record(random_site(HELDOUT_SEED_BASE + k, duration_s=6.0)) for k in range(2)]
    (model, meta), (second, meta2) = (load_cnn3d(w) for w in CNN3D_ENSEMBLE)
    fig = evaluate_sequences(model, seqs, every=2)
    assert fig["ap_seen"] >= meta["heldout"]["ap_seen"] - 0.1
    assert fig["velocity_rmse_mps"] <= meta["heldout"]["velocity_rmse_mps"] + 0.2
    fig2 = evaluate_sequences(second, seqs, every=2)
    assert fig2["ap_seen"] >= meta2["heldout"]["ap_seen"] - 0.1
    assert fig2["velocity_rmse_mps"] <= meta2["heldout"]["velocity_rmse_mps"] + 0.2
    for flips in (2, 4):
        flipped = evaluate_sequences(model, seqs, every=2, flips=flips)
        assert flipped["ap_seen"] >= fig["ap_seen"]
        assert flipped["velocity_rmse_mps"] <= fig["velocity_rmse_mps"]
        if flips == 2:
            both = evaluate_sequences([model, second], seqs, every=2, flips=flips)
            assert both["ap_seen"] >= flipped["ap_seen"] - 0.005
            assert both["velocity_rmse_mps"] <= meta["heldout"]["velocity_rmse_mps"] + 0.2


@pytest.mark.parametrize("strategy, sources", [("cnn3d", {"cnn3d"}), ("cnn3d-kf", {"cnn3d", "beam"})])
def test_strategies_track_from_the_networks_boxes_only(tmp_path, strategy, sources):
    """The camera and LiDAR front-ends feed the BEV map only: every detection the fuser saw is the
    network's (or a beam's), and the tracks follow the actors."""
    data = with_lidar(scenario_dict(duration_s=4))
    data["pipeline"] = {"strategy": strategy}
    result = run_scenario(parse_scenario(yaml.safe_dump(data), "small"), tmp_path / "run", progress=False)
    with open(tmp_path / "run" / "detections.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    seen = {row["source"] for row in rows}
    assert "cnn3d" in seen and seen <= sources
    # Each box's spread: its class's fitted score law over the weights' held-out σ², the same on x and y
    sigma = json.loads(CNN3D.with_suffix(".json").read_text())["heldout"]["sigma_m"]
    models = fitted_models()
    for row in (r for r in rows if r["source"] == "cnn3d"):  # scores written to 3 decimals: rel 1 %
        m, r = models[f"cnn3d/{row['class']}"], sigma[row["class"]] ** 2
        law = m.scale_along * m.ref_var_along_m2 * (r / m.ref_var_along_m2) ** m.power_along
        law *= (float(row["score"]) / m.ref_score) ** -m.score_power
        assert float(row["cov_xx"]) == pytest.approx(law + m.add_var_along_m2, rel=1e-2)
        assert float(row["cov_yy"]) == float(row["cov_xx"]) and float(row["cov_xy"]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["detection"]["cnn3d"]["ap_at_m"]["1"] > 0.3
    assert result.metrics["tracking"]["mota"] > 0.2


def test_the_flips_and_velocity_cells_settings_reach_the_detector():
    from sim.pipeline.frontends.base import FrontEndContext
    from sim.pipeline.frontends.cnn3d import Cnn3dFrontEnd
    from sim.scenario.pipeline_settings import Cnn3dSettings
    from sim.simulation import Simulation

    data = with_lidar(scenario_dict(duration_s=1))
    plain = parse_scenario(yaml.safe_dump(data), "small")
    data["pipeline"] = {"cnn3d": {"flips": 2, "velocity_cells": 1}}
    flipped = parse_scenario(yaml.safe_dump(data), "small")
    data["pipeline"] = {"cnn3d": {"flips": True}}  # as files written before counted images: all four
    older = parse_scenario(yaml.safe_dump(data), "small")
    sim = Simulation(plain)
    sim.reset()
    data["pipeline"] = {"cnn3d": {"weights": str(CNN3D)}}
    single = parse_scenario(yaml.safe_dump(data), "small")
    for sc, flips, cells, nets in (
        (plain, Cnn3dSettings().flips, 3, 2),  # unset: the shipped pair, averaged
        (flipped, 2, 1, 2),
        (older, 4, 3, 2),
        (single, Cnn3dSettings().flips, 3, 1),
    ):
        front = Cnn3dFrontEnd(None, FrontEndContext(sc, sim.world.static, np.random.default_rng(0)))
        assert front.detector.flips == flips and front.detector.velocity_cells == cells
        assert len(front.detector.models) == nets


def test_the_scenario_default_velocity_reading_is_the_detectors():
    """The settings module does not import torch, so it repeats the detector's default: kept equal here."""
    from perception.cnn3d_detector import VELOCITY_CELLS
    from sim.scenario.pipeline_settings import Cnn3dSettings

    assert Cnn3dSettings().velocity_cells == VELOCITY_CELLS == 3


@pytest.mark.parametrize("late_layers", [False, True])
def test_late_layers_reach_the_earlier_frames_only_when_asked(late_layers):
    """A thermal camera whose readings reach the map 0.43 s late (past its 0.35 s `max_age_s`): with
    `late_layers` each reading is put into the held frames of its time, so every frame but the newest
    carries thermal evidence; without, no frame does. The camera's frames are the same either way."""
    from sim.pipeline.frontends.base import FrontEndContext
    from sim.pipeline.frontends.cnn3d import Cnn3dFrontEnd
    from sim.simulation import Simulation

    data = with_lidar(scenario_dict(duration_s=1))
    data["pipeline"] = {"cnn3d": {"late_layers": late_layers}}
    scenario = parse_scenario(yaml.safe_dump(data), "small")
    sim = Simulation(scenario)
    sim.reset()
    front = Cnn3dFrontEnd(None, FrontEndContext(scenario, sim.world.static, np.random.default_rng(0)))
    front.groups = {"cam": "camera", "ir": "thermal"}
    shape, rng = front.bev.grid.shape, np.random.default_rng(3)
    for i in range(14):
        t = round(0.1 * i, 3)
        front.bev.add("cam", t, Evidence(rng.normal(0, 2, shape), np.ones(shape, bool)))
        if i >= 2:
            front.bev.add("ir", round(t - 0.43, 3), Evidence(np.full(shape, 3.0), np.ones(shape, bool)))
        front.process_map(t)
    frames = list(front.stack.stack.held())
    free = ~front.bev.static
    thermal = [f[5][free].any() for f in frames]
    assert thermal == ([True] * (len(frames) - 1) + [False] if late_layers else [False] * len(frames))
    assert all((f[3][free] != 0).any() for f in frames)


def test_late_layers_follow_the_weights_unless_set():
    """Unset, late layers are put into earlier frames only for weights trained with `--late-groups`:
    weights that never saw a sensor missing from the newest frames misread it (measured: the shipped
    ones lost 0.13 of AP under `sensor_failure` with it). The shipped weights' own file says which."""
    from sim.pipeline.frontends.base import FrontEndContext
    from sim.pipeline.frontends.cnn3d import Cnn3dFrontEnd, trained_for_late_layers
    from sim.simulation import Simulation

    assert not trained_for_late_layers({"train": {"blank_group_probability": 0.15}})
    assert trained_for_late_layers({"train": {"late_group_probability": 0.15}})
    assert not trained_for_late_layers({})
    _, meta = load_cnn3d(CNN3D)
    assert "late_group_probability" not in meta["train"]  # the shipped weights predate the option
    data = with_lidar(scenario_dict(duration_s=1))
    sim = Simulation(parse_scenario(yaml.safe_dump(data), "small"))
    sim.reset()
    for setting, on in ((None, False), (True, True), (False, False)):
        data["pipeline"] = {"cnn3d": {"late_layers": setting}}
        sc = parse_scenario(yaml.safe_dump(data), "small")
        assert (
            Cnn3dFrontEnd(None, FrontEndContext(sc, sim.world.static, np.random.default_rng(0))).late_layers
            is on
        )

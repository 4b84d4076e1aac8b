"""The `pointnet` front-end in the loop, and the shipped weights against their model card's figures."""

from __future__ import annotations

import json

import yaml

from perception.point_segmenter import PointSegmenter
from perception.pointnet import load_weights
from perception.pointnet_training import evaluate
from perception.weights import POINTNET
from sim.learning.pointnet_dataset import HELDOUT_SEED_BASE, render_scene
from sim.loading import parse_scenario
from sim.runner import run_scenario
from tests.conftest import scenario_dict, with_lidar


def test_shipped_weights_reach_their_stated_held_out_miou():
    """Freshly rendered scenes of the held-out range (layouts training never saw) score within a few points
    of the figures the weights file states for the whole held-out split: with the site map applied, as
    the front-end segments, and of the network alone."""
    _, meta = load_weights(POINTNET)
    scans = [s for seed in (HELDOUT_SEED_BASE, HELDOUT_SEED_BASE + 1) for s in render_scene(seed)]
    ev = evaluate(PointSegmenter.from_file(), scans)
    for got, stated in ((ev, meta["heldout"]), (ev["network"], meta["heldout"]["network"])):
        assert got["miou"] >= stated["miou"] - 0.05
        for name, c in (("forklift", 4), ("agv", 5), ("worker", 6)):
            if c in got["per_class_iou"]:
                assert got["per_class_iou"][c] >= stated["per_class_iou"][name] - 0.15, name
    assert ev["miou"] > ev["network"]["miou"]


def test_pointnet_strategy_detects_bodies_near_the_truth_and_scores_segmentation(tmp_path):
    data = with_lidar(scenario_dict(duration_s=4))
    data["pipeline"] = {"strategy": "pointnet"}
    scenario = parse_scenario(yaml.safe_dump(data), "small")
    result = run_scenario(scenario, tmp_path / "run", progress=False)
    seg = result.metrics["segmentation"]
    assert seg["miou"] > 0.5 and seg["per_class_iou"]["floor"] > 0.9
    det = result.metrics["detection"]["pointnet"]
    assert det["ap_at_m"]["1"] > 0.3
    rows = (tmp_path / "run" / "detections.csv").read_text().splitlines()[1:]
    assert rows and all(",pointnet," in r for r in rows)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["strategy"] == "pointnet"

"""Detection AP over the actors each reading saw: counting what a reading held, setting aside detections
of actors it did not hold, and charging a reading's unseen-by-the-detector actors as misses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.metrics import match_seen
from perception.classes import CLASS_NAMES
from sim.pipeline.pipeline import Detection
from sim.recording import _lean
from sim.scoring import RunScorer
from sim.seen_ap import SEEN_MIN_RETURNS, seen_actors
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.sensors.readings import CameraFrame, PointCloud
from sim.world.truth import TruthFrame

IDS = ("a", "b", "c")


def _truth(t: float) -> TruthFrame:
    """Three workers at x = 0, 10, 20 (y = 5)."""
    xy = np.array([[0.0, 5.0], [10.0, 5.0], [20.0, 5.0]])
    return TruthFrame(
        round(t * 10), t, IDS, np.full(3, CLASS_NAMES.index("worker")), np.column_stack([xy, np.ones(3)]),
        np.zeros(3), np.zeros((3, 2)), np.ones((3, 3)), np.full(3, 30.0), ((), (), ()),
    )  # fmt: skip


def _det(t: float, x: float, score: float) -> Detection:
    return Detection(t, "lidar", "l1", np.array([x, 5.0]), np.eye(2) * 0.01, "worker", score, "")


def test_seen_actors_counts_returns_per_actor():
    n = SEEN_MIN_RETURNS
    instance = np.array([ACTOR_INSTANCE_BASE + 0] * n + [ACTOR_INSTANCE_BASE + 2] * (n - 1) + [7] * 50)
    assert seen_actors(instance, IDS) == {"a"}
    assert seen_actors(instance.reshape(-1, 1), IDS) == {"a"}  # images count the same as clouds
    assert seen_actors(np.array([ACTOR_INSTANCE_BASE + 5] * 3 * n), IDS) == set()  # not a scenario actor


def test_match_seen_sets_aside_what_lies_on_an_unseen_truth():
    truth = np.array([[0.0, 0.0], [10.0, 0.0]])
    seen = np.array([True, False])
    det = np.array([[0.2, 0.0], [10.1, 0.0], [5.0, 0.0]])  # on the seen one, on the unseen one, on neither
    kept, tp = match_seen(truth, seen, det, np.array([0.9, 0.8, 0.7]), 1.0)
    assert kept.tolist() == [True, False, True]
    assert tp.tolist() == [True, False]


def test_ap_over_seen_actors_against_hand_count(tmp_path):
    """t = 0: the reading saw a and b; detections on a (0.9), on c (0.8, unseen: set aside) and a false one
    at x = 5 (0.5). t = 0.1: the reading saw b and the detector gave nothing. Seen truths: 3 (a, b, b);
    ranked kept detections: hit, false. Precision 1 up to recall 1/3, then 1/2: AP = 34/101 at 1 m.
    Over every actor (the times with detections: t = 0, 3 truths) the detection on c is a hit."""
    scorer = RunScorer(tmp_path, 0.1)
    scorer.detections(_truth(0.0), [_det(0.0, 0.1, 0.9), _det(0.0, 20.2, 0.8), _det(0.0, 5.0, 0.5)],
                      {("lidar", 0.0): {"a", "b"}})  # fmt: skip
    scorer.detections(_truth(0.1), [], {("lidar", 0.1): {"b"}})
    scorer.close()
    for name in ("ground_truth.csv", "tracks.csv"):
        (tmp_path / name).write_text("t\n")
    d = scorer.result(tmp_path)["detection"]["lidar"]
    assert abs(d["ap_seen_at_m"]["1"] - round(34 / 101, 6)) < 1e-6
    # every actor at t = 0: hits at recall 1/3 and 2/3 with precision 1, then the false one: 67/101
    assert abs(d["ap_at_m"]["1"] - round(67 / 101, 6)) < 1e-6


def test_a_recording_keeps_the_actor_pixels_scoring_counts():
    inst = np.full((4, 5), 3, np.int32)
    inst[1, 1:4] = ACTOR_INSTANCE_BASE + 1
    fields = {f: None for f in CameraFrame.__dataclass_fields__}
    frame = CameraFrame(**{**fields, "t": 0.0, "delivered_t": 0.0, "sensor_id": "c", "truth_instance": inst})

    @dataclass(frozen=True)
    class Step:
        readings: tuple

    kept = _lean(Step((frame,))).readings[0]
    assert kept.truth_instance.tolist() == [ACTOR_INSTANCE_BASE + 1] * 3
    assert kept.truth_depth is None and kept.truth_class is None
    cloud = PointCloud(**{f: None for f in PointCloud.__dataclass_fields__})
    assert _lean(Step((cloud,))).readings[0] is cloud  # clouds keep their labels (segmentation scores them)

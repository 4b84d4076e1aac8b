"""A track's class is the one most of its detections gave."""

from __future__ import annotations

import numpy as np

from fusion.track import TrackTable
from fusion.tracker import Tracker, TrackerConfig


def test_votes_pick_the_majority_and_a_tie_keeps_the_class():
    t = TrackTable(5)
    t.append([1, 2], ["forklift", "unknown"])
    for c in ["worker", "unknown", "worker"]:
        t.vote(0, c)
    assert t.cls == ["worker", "unknown"] and t.votes[0] == {"forklift": 1, "worker": 2}
    t.vote(1, "agv")
    t.vote(1, "worker")  # 1 : 1 — stays agv
    assert t.cls[1] == "agv"
    t.keep(np.array([False, True]))
    assert t.votes == [{"agv": 1, "worker": 1}] and t.cls == ["agv"]


def test_a_track_born_from_a_misclassed_detection_takes_the_class_most_detections_give():
    """Regression: the first known class stuck for the track's life (on seeds 11–13 of default and busy,
    matched tracks had the right class 66 % of the time; by votes, 82 %)."""
    tr = Tracker(TrackerConfig(filter="numpy"))
    R = np.eye(2) * 0.04
    classes = ["forklift", "worker", "worker", "unknown", "worker", "forklift", "worker"]
    for k, c in enumerate(classes):
        tr.update_positions(0.1 * k, np.array([[3.0, 4.0]]), R[None], [c])
    (s,) = tr.states()
    assert s.cls == "worker"

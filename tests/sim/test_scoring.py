"""Run scoring: class accuracy against a brute-force count."""

from __future__ import annotations

import numpy as np

from fusion.track import TrackState
from perception.classes import CLASS_NAMES
from sim.scoring import RunScorer
from sim.world.truth import TruthFrame

TRACKED = ("forklift", "agv", "worker")


def _frame(k, xy, classes):
    n = len(xy)
    return TruthFrame(
        k,
        0.1 * k,
        tuple(f"a{i}" for i in range(n)),
        np.array([CLASS_NAMES.index(c) for c in classes]),
        np.column_stack([xy, np.ones(n)]),
        np.zeros(n),
        np.zeros((n, 2)),
        np.ones((n, 3)),
        np.full(n, 30.0),
        ((),) * n,
    )


def test_class_accuracy_is_the_share_of_matched_truths_whose_track_has_their_class(tmp_path):
    rng = np.random.default_rng(3)
    scorer = RunScorer(tmp_path, 0.1)
    right = matched = 0
    classes = [str(c) for c in rng.choice(TRACKED, 4)]
    for k in range(200):
        xy = np.array([[2.0, 2.0], [8.0, 2.0], [2.0, 8.0], [8.0, 8.0]]) + 0.05 * k
        seen = rng.random(4) < 0.8  # some truths have no track this frame
        claimed = [str(c) for c in rng.choice((*TRACKED, "unknown"), 4, p=[0.3, 0.2, 0.3, 0.2])]
        tracks = [
            TrackState(i + 1, 0.1 * k, np.r_[xy[i] + 0.1, 0.0, 0.0], np.eye(4), "confirmed", claimed[i], None)
            for i in range(4)
            if seen[i]
        ]
        tracks.append(
            TrackState(99, 0.1 * k, np.array([30.0, 30.0, 0, 0]), np.eye(4), "confirmed", "worker", None)
        )
        scorer.tracks(0.1 * k, _frame(k, xy, classes), tracks)
        matched += int(seen.sum())
        right += sum(claimed[i] == classes[i] for i in range(4) if seen[i])
    scorer.close()
    (tmp_path / "ground_truth.csv").write_text(
        "t,id,class,x,y,z,yaw,vx,vy,length,width,height,tags,temperature_c\n"
    )
    (tmp_path / "tracks.csv").write_text("t,track_id,x,y,vx,vy,cov_xx,cov_xy,cov_yy,class,tag,status\n")
    m = scorer.result(tmp_path)["tracking"]
    assert (
        m["class_accuracy"] == round(right / matched, 6) or abs(m["class_accuracy"] - right / matched) < 1e-6
    )

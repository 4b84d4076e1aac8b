"""Detection consistency: the normalised squared error of each detection against its nearest truth, as
reported and read as that truth's body class, against χ²(2)."""

from __future__ import annotations

import math

import numpy as np

from perception.classes import CLASS_NAMES
from sim.pipeline.pipeline import Detection
from sim.scoring import RunScorer
from sim.world.truth import TruthFrame

BODY = ("forklift", "agv", "worker")


def test_nse_as_reported_and_read_as_the_true_body(tmp_path):
    """Both bodies are labelled worker with a covariance 4× what their worker error is; read as their
    true class, the error is drawn from exactly that class's covariance: χ²(2), mean 2. As reported:
    a worker's 2/4; a forklift's e drawn from its own wide covariance against the worker's R."""
    rng = np.random.default_rng(3)
    Rb = {"forklift": np.diag([0.16, 0.09]), "agv": np.eye(2) * 0.04, "worker": np.diag([0.01, 0.02])}
    truth_xy = np.array([[5.0, 5.0], [20.0, 5.0]])  # 15 m apart: each detection's nearest truth is its own
    classes = ("worker", "forklift")
    truth = TruthFrame(
        0,
        0.0,
        ("w", "f"),
        np.array([CLASS_NAMES.index(c) for c in classes]),
        np.column_stack([truth_xy, np.ones(2)]),
        np.zeros(2),
        np.zeros((2, 2)),
        np.ones((2, 3)),
        np.full(2, 30.0),
        ((), ()),
    )
    scorer = RunScorer(tmp_path, 0.1)
    n = 3000
    reported = 4 * Rb["worker"]
    sums = {c: 0.0 for c in classes}
    for _ in range(n):
        rows = []
        for i, c in enumerate(classes):
            e = rng.multivariate_normal(np.zeros(2), Rb[c])
            while np.linalg.norm(e) > 0.99:  # inside the 1 m gate (a forklift's tail is cut: ≈ 1e-3)
                e = rng.multivariate_normal(np.zeros(2), Rb[c])
            z = truth_xy[i] - e
            sums[c] += e @ np.linalg.solve(reported, e)
            zk = np.repeat(z[None], 3, 0)
            Rk = np.stack([Rb[b] for b in BODY])
            rows.append(Detection(0.0, "lidar", "l1", z, reported, "worker", 0.9, "", (BODY, zk, Rk)))
        scorer.detections(truth, rows)
    scorer.close()
    for name in ("ground_truth.csv", "tracks.csv"):
        (tmp_path / name).write_text("t\n")
    d = scorer.result(tmp_path)["detection"]["lidar"]
    tol = 4 * 2 / math.sqrt(n)  # χ²(2): sd 2
    assert abs(d["nse_body"]["worker"] - 2) < tol and abs(d["nse_body"]["forklift"] - 2) < 2 * tol
    assert abs(d["nse"]["worker"] - 0.5) < tol / 4
    assert abs(d["nse"]["forklift"] - sums["forklift"] / n) < 1e-3  # the reported R, brute force


def _frame(tick: int, t: float, x: float) -> TruthFrame:
    """One worker at (x, 5)."""
    return TruthFrame(
        tick, t, ("w",), np.array([CLASS_NAMES.index("worker")]), np.array([[x, 5.0, 1.0]]), np.zeros(1),
        np.array([[1.5, 0.0]]), np.ones((1, 3)), np.full(1, 30.0), ((),),
    )  # fmt: skip


def test_a_late_detection_is_scored_against_where_the_body_was_when_measured(tmp_path):
    """A worker walks at 1.5 m/s; a reading taken at t = 0.1 s exactly where it was arrives at 0.5 s, when
    the worker is 0.6 m further on. Scored at its own moment its error is 0 (AP 1 at 0.5 m); scored at
    arrival it would be 0.6 m off (a miss at 0.5 m, NSE 36 against σ 0.1 m)."""
    scorer = RunScorer(tmp_path, 0.1)
    R = np.eye(2) * 0.01
    for tick in range(6):
        t = 0.1 * tick
        rows = []
        if tick == 5:
            z = np.array([0.15, 5.0])
            rows = [
                Detection(
                    0.1,
                    "thermal",
                    "t1",
                    z,
                    R,
                    "worker",
                    0.9,
                    "",
                    (BODY, np.stack([z] * 3), np.stack([R] * 3)),
                )
            ]
        scorer.detections(_frame(tick, t, 1.5 * t), rows)
    scorer.close()
    for name in ("ground_truth.csv", "tracks.csv"):
        (tmp_path / name).write_text("t\n")
    d = scorer.result(tmp_path)["detection"]["thermal"]
    assert d["nse_body"]["worker"] < 1e-12 and d["nse"]["worker"] < 1e-12
    assert d["ap"] == 1.0


def test_the_truth_kept_for_late_readings_is_bounded_in_ticks(tmp_path):
    """A tiny dt_s (10 000 ticks inside the 5 s window) must not keep every tick's truth: the soak run that
    found this held thousands of frames and searched them all for every scan."""
    from sim.scoring import TRUTH_HISTORY_FRAMES

    scorer = RunScorer(tmp_path, 0.1)
    for tick in range(3 * TRUTH_HISTORY_FRAMES):
        scorer.detections(_frame(tick, 1e-4 * tick, 0.0), [])
    assert len(scorer.history) == TRUTH_HISTORY_FRAMES
    assert scorer.history[-1].tick == 3 * TRUTH_HISTORY_FRAMES - 1
    scorer.close()


def test_a_detection_on_a_forklift_beside_a_worker_is_scored_against_the_forklift(tmp_path):
    """A forklift (2.5 × 1.2 m at the origin) with a worker 0.3 m beyond its side. A detection on the
    forklift's body, 0.45 m from the worker's centre and 0.72 m from the forklift's, is the forklift's:
    its NSE is eᵀR⁻¹e against the forklift's centre (the regression: scored against the worker's centre
    it read as a worker 10 σ off)."""
    classes = ("forklift", "worker")
    truth = TruthFrame(
        0, 0.0, ("f", "w"), np.array([CLASS_NAMES.index(c) for c in classes]),
        np.array([[0.0, 0.0, 1.0], [1.0, 0.9, 0.9]]), np.zeros(2), np.zeros((2, 2)),
        np.array([[2.5, 1.2, 2.0], [0.5, 0.4, 1.8]]), np.full(2, 30.0), ((), ()),
    )  # fmt: skip
    z, R = np.array([0.6, 0.4]), np.diag([0.04, 0.09])
    by_class = (BODY, np.stack([z] * 3), np.stack([R] * 3))
    row = Detection(0.0, "lidar", "l1", z, R, "forklift", 0.9, "", by_class)
    scorer = RunScorer(tmp_path, 0.1)
    scorer.detections(truth, [row])
    scorer.close()
    for name in ("ground_truth.csv", "tracks.csv"):
        (tmp_path / name).write_text("t\n")
    d = scorer.result(tmp_path)["detection"]["lidar"]
    want = 0.6**2 / 0.04 + 0.4**2 / 0.09
    assert set(d["nse_body"]) == {"forklift"} and abs(d["nse_body"]["forklift"] - want) < 1e-3

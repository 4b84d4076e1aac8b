"""Held-out figures of the 3D-CNN detector on recorded sequences, run exactly as the front-end runs it.

Detection AP at 1 m (greedy matching by score, `fusion.metrics`) over two sets of truths: every actor, and
the actors some sensor saw in the last T frames. For the second, a detection that lies on an unseen actor
is neither a hit nor a false alarm (it is left out). Velocity RMSE and each class's position σ (the
covariance the front-end reports) come from the detections matched within 1 m.
"""

from __future__ import annotations

import numpy as np

from fusion.metrics import average_precision, match_detections
from perception.cnn3d import HEAD_CLASSES, Cnn3dDetector
from perception.cnn3d_detector import BoxDetector
from perception.cnn3d_training import BoxSequence

MATCH_M = 1.0


def evaluate_sequences(
    model: Cnn3dDetector,
    seqs: list[BoxSequence],
    every: int = 1,
    device: str = "cpu",
    threshold: float = 0.05,
) -> dict:
    """AP@1m over seen and over all actors, velocity RMSE, per-class σ and AP, over every `every`-th frame."""
    T = model.config.frames
    acc = {"seen": ([], [], 0), "all": ([], [], 0)}
    per_class = {c: ([], [], 0) for c in range(len(HEAD_CLASSES))}
    vel_err, pos_err = [], {c: [] for c in range(len(HEAD_CLASSES))}
    for s in seqs:
        det = BoxDetector(model, s.grid, threshold, device)
        window = s.seen_within(T)
        for f in range(T - 1, len(s.frames), every):
            boxes = det.detect(s.stack(f, T))
            on = s.frame == f
            truth_xy, seen, cls = s.xy[on], window[on], s.cls[on]
            tp = match_detections(truth_xy, boxes.xy, boxes.score, MATCH_M)
            _add(acc, "all", boxes.score, tp, len(truth_xy))
            # Seen actors only: detections on an unseen actor are set aside, not counted false.
            on_unseen = _near(boxes.xy, truth_xy[~seen], MATCH_M)
            keep = ~on_unseen | _near(boxes.xy, truth_xy[seen], MATCH_M)
            tp_seen = match_detections(truth_xy[seen], boxes.xy[keep], boxes.score[keep], MATCH_M)
            _add(acc, "seen", boxes.score[keep], tp_seen, int(seen.sum()))
            for c in per_class:
                mine = boxes.cls == c
                tpc = match_detections(truth_xy[cls == c], boxes.xy[mine], boxes.score[mine], MATCH_M)
                _add(per_class, c, boxes.score[mine], tpc, int((cls == c).sum()))
            j = _nearest(boxes.xy, truth_xy)
            for k in np.flatnonzero(tp & (boxes.score >= 0.3)):
                t = np.flatnonzero(on)[j[k]]
                vel_err.append(boxes.vel[k] - s.vel[t])
                pos_err[int(s.cls[t])].append(boxes.xy[k] - s.xy[t])
    ap = {k: average_precision(np.array(v[0]), np.array(v[1], bool), v[2]) for k, v in acc.items()}
    cls_ap = {
        HEAD_CLASSES[c]: average_precision(np.array(v[0]), np.array(v[1], bool), v[2])[0]
        for c, v in per_class.items()
    }
    ve = np.array(vel_err).reshape(-1, 2)
    return {
        "ap_seen": ap["seen"][0],
        "ap_all": ap["all"][0],
        "ap_per_class": cls_ap,
        "velocity_rmse_mps": float(np.sqrt((ve**2).sum(1).mean())) if len(ve) else None,
        "sigma_m": {
            HEAD_CLASSES[c]: float(np.sqrt((np.array(e) ** 2).mean())) if e else None
            for c, e in pos_err.items()
        },
        "truths_seen": acc["seen"][2],
        "truths_all": acc["all"][2],
        "frames_every": every,
    }


def _add(acc: dict, key, scores, tp, n_truth: int) -> None:
    s, t, n = acc[key]
    acc[key] = (s + list(np.asarray(scores)), t + list(np.asarray(tp)), n + n_truth)


def _near(a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    if not len(a) or not len(b):
        return np.zeros(len(a), bool)
    return (np.linalg.norm(a[:, None] - b[None], axis=2) <= r).any(1)


def _nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a) or not len(b):
        return np.zeros(len(a), int)
    return np.linalg.norm(a[:, None] - b[None], axis=2).argmin(1)

"""Held-out figures of the 3D-CNN detector on recorded sequences, run exactly as the front-end runs it.

Detection AP at 1 m (greedy matching by score, `fusion.metrics`) over two sets of truths: every actor, and
the actors some sensor saw in the stack's window (its T frames and the map steps between them). For the
second, a detection that lies on an unseen actor is neither a hit nor a false alarm (it is left out).
Velocity RMSE and each class's position σ (the covariance the front-end reports) come from the detections
matched within 1 m.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fusion.metrics import average_precision, match_detections, match_seen
from perception.cnn3d import HEAD_CLASSES, Cnn3dDetector
from perception.cnn3d_detector import VELOCITY_CELLS, BoxDetector
from perception.cnn3d_training import BoxSequence

MATCH_M = 1.0


class _Scored:
    """Detections' scores and hit flags, and the truth count, gathered frame by frame for one AP."""

    def __init__(self):
        self.scores: list[np.ndarray] = []
        self.hits: list[np.ndarray] = []
        self.n_truth = 0

    def add(self, scores: np.ndarray, hits: np.ndarray, n_truth: int) -> None:
        self.scores.append(np.asarray(scores, float))
        self.hits.append(np.asarray(hits, bool))
        self.n_truth += n_truth

    def ap(self) -> float:
        return average_precision(np.concatenate(self.scores), np.concatenate(self.hits), self.n_truth)[0]


def evaluate_sequences(
    model: Cnn3dDetector | Sequence[Cnn3dDetector],
    seqs: list[BoxSequence],
    every: int = 1,
    device: str = "cpu",
    threshold: float = 0.05,
    flips: int = 1,
    velocity_cells: int = VELOCITY_CELLS,
) -> dict:
    """AP@1m over seen and over all actors, velocity RMSE, per-class σ and AP, over every `every`-th frame
    (`flips`: the network averaged over that many of the grid's mirror images, as the front-end's `flips`;
    `velocity_cells`: the velocity read over that square round each peak, as the front-end's setting;
    several networks: their maps averaged, as the front-end averages its weights files)."""
    config = (model if isinstance(model, Cnn3dDetector) else model[0]).config
    T, W, step = config.frames, config.window, config.frame_step
    seen_ap, all_ap = _Scored(), _Scored()
    class_ap = [_Scored() for _ in HEAD_CLASSES]
    vel_err, pos_err = [], {c: [] for c in range(len(HEAD_CLASSES))}
    for s in seqs:
        det = BoxDetector(model, s.grid, threshold, device, flips=flips, velocity_cells=velocity_cells)
        window = s.seen_within(W)
        for f in range(W - 1, len(s.frames), every):
            keys = tuple(s.stack_indices(f, T, step).tolist())  # a recorded frame never changes
            boxes = det.detect(s.stack(f, T, step), keys)
            rows = np.flatnonzero(s.frame == f)
            truth_xy, seen, cls = s.xy[rows], window[rows], s.cls[rows]
            tp = match_detections(truth_xy, boxes.xy, boxes.score, MATCH_M)
            all_ap.add(boxes.score, tp, len(truth_xy))
            # Seen actors only: detections on an unseen actor are set aside, not counted false.
            keep, tp_seen = match_seen(truth_xy, seen, boxes.xy, boxes.score, MATCH_M)
            seen_ap.add(boxes.score[keep], tp_seen, int(seen.sum()))
            for c, acc in enumerate(class_ap):
                mine = boxes.cls == c
                acc.add(
                    boxes.score[mine],
                    match_detections(truth_xy[cls == c], boxes.xy[mine], boxes.score[mine], MATCH_M),
                    int((cls == c).sum()),
                )
            for k in np.flatnonzero(tp & (boxes.score >= 0.3)):  # a hit has a truth within 1 m
                t = rows[np.linalg.norm(truth_xy - boxes.xy[k], axis=1).argmin()]
                vel_err.append(boxes.vel[k] - s.vel[t])
                pos_err[int(s.cls[t])].append(boxes.xy[k] - s.xy[t])
    ve = np.array(vel_err).reshape(-1, 2)
    return {
        "ap_seen": seen_ap.ap(),
        "ap_all": all_ap.ap(),
        "ap_per_class": {name: acc.ap() for name, acc in zip(HEAD_CLASSES, class_ap, strict=True)},
        "velocity_rmse_mps": float(np.sqrt((ve**2).sum(1).mean())) if len(ve) else None,
        "sigma_m": {
            HEAD_CLASSES[c]: float(np.sqrt((np.array(e) ** 2).mean())) if e else None
            for c, e in pos_err.items()
        },
        "truths_seen": seen_ap.n_truth,
        "truths_all": all_ap.n_truth,
        "frames_every": every,
    }

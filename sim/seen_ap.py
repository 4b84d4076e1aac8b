"""Detection AP over the actors each reading saw: a detector's figure apart from the sensor layout's.

An actor is *seen* by a reading that holds at least `SEEN_MIN_RETURNS` of its points or pixels (the ray
caster's instance labels, ground truth: scoring only). Per source and threshold, every actor a reading
held counts whether or not anything was detected in it, and a detection lying on an actor the reading
did not hold is set aside — neither hit nor false alarm (`fusion.metrics.match_seen`).
"""

from __future__ import annotations

from array import array
from collections import defaultdict

import numpy as np

from fusion.metrics import AP_THRESHOLDS_M, average_precision, match_seen
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.world.truth import TruthFrame

SEEN_MIN_RETURNS = 10  # an actor is seen by a reading with at least this many of its points or pixels


def seen_actors(instance: np.ndarray, actor_ids: tuple[str, ...]) -> set[str]:
    """Ids of the actors with at least `SEEN_MIN_RETURNS` points or pixels in a reading's ray-cast
    instance labels (actor k is instance `ACTOR_INSTANCE_BASE` + k, scenario order)."""
    k = np.asarray(instance).ravel().astype(np.int64) - ACTOR_INSTANCE_BASE
    n = np.bincount(k[(k >= 0) & (k < len(actor_ids))], minlength=len(actor_ids))
    return {actor_ids[i] for i in np.flatnonzero(n >= SEEN_MIN_RETURNS)}


class SeenAp:
    """Per source and threshold: kept detections' scores, their hit flags, and the truths seen."""

    def __init__(self):
        self.acc: dict[str, dict] = defaultdict(
            lambda: {t: [array("d"), array("b"), 0] for t in AP_THRESHOLDS_M}
        )

    def add(self, source: str, truth: TruthFrame, seen: set, detections: list) -> None:
        """One moment of one source: the truth then, the ids its readings held, its detections."""
        on = np.array([i in seen for i in truth.ids], bool)
        z = np.array([d.z for d in detections]).reshape(-1, 2)
        scores = np.array([d.score for d in detections], np.float64)
        for thr, (s, hits, _) in self.acc[source].items():
            kept, hit = match_seen(truth.xyz[:, :2], on, z, scores, thr)
            s.frombytes(scores[kept].tobytes())
            hits.frombytes(np.asarray(hit, np.int8).tobytes())
            self.acc[source][thr][2] += int(on.sum())

    def result(self, source: str) -> dict | None:
        """AP at each threshold ("0.5", "1", "2") of a source, None if no reading of it was counted."""
        if source not in self.acc:
            return None
        return {
            f"{thr:g}": average_precision(
                np.frombuffer(s, np.float64), np.frombuffer(h, np.int8).astype(bool), n
            )[0]
            for thr, (s, h, n) in self.acc[source].items()
        }

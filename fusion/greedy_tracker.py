"""CenterPoint's tracker (Yin, Zhou and Krähenbühl, CVPR 2021): detections that carry a velocity are
associated to tracks greedily by the distance between each detection's centre moved back by its own
velocity (c − v·dt, where the body was at the tracks' last time) and the tracks' last positions.

No filter: a matched track takes the detection's position and velocity; an unmatched track coasts at its
last velocity for `max_coast_s` and can be picked up again under its id, then it is dropped; an unmatched
detection scoring at least `birth_score` starts a track. Pairs are taken in order of increasing distance
(greedy), each within its track class's `max_distance_m`. All tracks are handled as arrays; the only loop
is the greedy pick over the candidate pairs inside the gates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fusion.track import TrackState


@dataclass(frozen=True)
class GreedyTrackerConfig:
    """Gates and track life, chosen on tuning seeds 11–15 (docs/fusion.md): CenterPoint's nuScenes gates
    scaled to warehouse speeds; its life of 3 frames is 1.5 s at nuScenes' 2 Hz, and 3 s did better here.
    A track coasting that long drifts at its last velocity, so it needs the wider gates to be picked up."""

    max_distance_m: dict[str, float] = field(
        default_factory=lambda: {"forklift": 2.5, "agv": 2.0, "worker": 1.5, "unknown": 1.5}
    )
    max_coast_s: float = 3.0  # a track unmatched this long is dropped
    birth_score: float = 0.4  # a detection scoring less starts no track
    confirm_hits: int = 2  # matched frames before a track is reported confirmed
    same_class: bool = False  # True: a detection only continues a track of its own class


class GreedyTracker:
    """Tracks as arrays: id, position, velocity, covariance, class, last matched time, hits."""

    def __init__(self, config: GreedyTrackerConfig | None = None):
        self.config = config or GreedyTrackerConfig()
        self.ids = np.zeros(0, np.int64)
        self.x = np.zeros((0, 4))  # x, y, vx, vy at `self.time`
        self.P = np.zeros((0, 4, 4))
        self.cls: list[str] = []
        self.last = np.zeros(0)  # time of the last match
        self.hits = np.zeros(0, np.int64)
        self.time = -np.inf
        self._next = 1
        self.started = 0

    def update(
        self,
        t: float,
        z: np.ndarray,
        v: np.ndarray,
        R: np.ndarray,
        Rv: np.ndarray,
        cls: list[str],
        score: np.ndarray,
        may_start: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One frame of detections (positions z, velocities v and their covariances) at time t; returns
        the (track index, detection index) pairs matched (indices before tracks were dropped or added).
        `may_start` (bool per detection) overrides the `birth_score` rule for who may start a track."""
        z, v = np.asarray(z, float).reshape(-1, 2), np.asarray(v, float).reshape(-1, 2)
        dt = 0.0 if not np.isfinite(self.time) else max(t - self.time, 0.0)
        rows, cols = self._associate(z - v * dt, cls)
        self.x[:, :2] += self.x[:, 2:] * dt  # every track moves to t at its velocity; matched ones are reset
        self.time = t
        self.x[rows, :2], self.x[rows, 2:] = z[cols], v[cols]
        self.P[rows] = _joint(np.asarray(R)[cols], np.asarray(Rv)[cols])
        self.last[rows] = t
        self.hits[rows] += 1
        for r, c in zip(rows, cols, strict=True):
            if cls[c] != "unknown":
                self.cls[r] = cls[c]
        keep = t - self.last <= self.config.max_coast_s
        self._keep(keep)
        new = np.setdiff1d(np.arange(len(z)), cols)
        if may_start is None:
            may_start = np.asarray(score, float) >= self.config.birth_score
        new = new[np.asarray(may_start, bool)[new]]
        self._start(t, z[new], v[new], np.asarray(R)[new], np.asarray(Rv)[new], [cls[k] for k in new])
        return rows, cols

    def _associate(self, back: np.ndarray, cls: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Greedy pairs (track, detection) by increasing distance, each inside its track's gate."""
        if not len(self.ids) or not len(back):
            return np.zeros(0, int), np.zeros(0, int)
        d = np.linalg.norm(self.x[None, :, :2] - back[:, None], axis=2).T  # (tracks, detections)
        gate = np.array(
            [self.config.max_distance_m.get(c, self.config.max_distance_m["unknown"]) for c in self.cls]
        )
        ok = d <= gate[:, None]
        if self.config.same_class:
            ok &= np.array(self.cls)[:, None] == np.array(cls)[None, :]
        r, c = np.nonzero(ok)
        order = np.argsort(d[r, c], kind="stable")
        used_r, used_c, rows, cols = set(), set(), [], []
        for k in order:
            if r[k] not in used_r and c[k] not in used_c:
                used_r.add(r[k])
                used_c.add(c[k])
                rows.append(r[k])
                cols.append(c[k])
        return np.array(rows, int), np.array(cols, int)

    def _start(self, t, z, v, R, Rv, cls) -> None:
        n = len(z)
        self.ids = np.concatenate([self.ids, np.arange(self._next, self._next + n)])
        self._next += n
        self.started += n
        self.x = np.vstack([self.x, np.hstack([z, v]).reshape(-1, 4)])
        self.P = np.concatenate([self.P, _joint(R, Rv).reshape(-1, 4, 4)])
        self.cls += list(cls)
        self.last = np.concatenate([self.last, np.full(n, t)])
        self.hits = np.concatenate([self.hits, np.ones(n, np.int64)])

    def _keep(self, keep: np.ndarray) -> None:
        self.ids, self.x, self.P = self.ids[keep], self.x[keep], self.P[keep]
        self.cls = [c for c, k in zip(self.cls, keep, strict=True) if k]
        self.last, self.hits = self.last[keep], self.hits[keep]

    def states(self, at: float | None = None) -> list[TrackState]:
        """Tracks matched in the latest frame (CenterPoint reports only those), moved to `at`."""
        dt = 0.0 if at is None or not np.isfinite(self.time) else max(at - self.time, 0.0)
        out = []
        for k in np.flatnonzero(self.last >= self.time):
            x = self.x[k].copy()
            x[:2] += x[2:] * dt
            status = "confirmed" if self.hits[k] >= self.config.confirm_hits else "tentative"
            t = self.time + dt
            out.append(TrackState(int(self.ids[k]), t, x, self.P[k].copy(), status, self.cls[k], None))
        return out


def _joint(R: np.ndarray, Rv: np.ndarray) -> np.ndarray:
    """Block-diagonal (n, 4, 4) state covariances from position (n, 2, 2) and velocity (n, 2, 2) ones."""
    R, Rv = np.asarray(R, float).reshape(-1, 2, 2), np.asarray(Rv, float).reshape(-1, 2, 2)
    P = np.zeros((len(R), 4, 4))
    P[:, :2, :2], P[:, 2:, 2:] = R, Rv
    return P

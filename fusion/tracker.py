"""Multi-target tracker: batched Kalman filters, χ² gating, GNN assignment, track management, identities.

Track life: an unassigned position measurement starts a *tentative* track; it is *confirmed* once M of its
last N scans hit (default 3 of 5) and deleted when that becomes impossible; a confirmed track is deleted
after `delete_after_misses` consecutive misses inside the sensor's coverage or when its position standard
deviation grows past `max_position_std_m`. Identity: an RFID read whose tag is bound to a track updates
that track (EKF on range); an unbound tag binds to the only track inside its range gate and stays bound for
the track's life. Bound reads only update their own track, inside its gate. If two tracks swap targets
(two tagged workers crossing closely), their tags' reads stop fitting them and fit each other's track
instead; when two tags disagree with their tracks in that mutual way within `swap_window_s`, the tags are
swapped, so identities follow the people rather than the track numbers. Out-of-sequence measurements
(older than the tracker's clock, e.g. under a latency fault) are dropped and counted, never applied as if
they were new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fusion.association import gate_threshold, gnn, position_distances
from fusion.filter_bank import BANKS, FilterBank
from fusion.kalman import bearing_model, predict, range_model
from fusion.metrics import nees_bounds
from fusion.motion import PROCESS_NOISE

NIS_BAND = nees_bounds(2, 1)  # two-sided 95 % χ² interval of one 2D innovation


@dataclass(frozen=True)
class TrackerConfig:
    confirm_hits: int = 3  # M ...
    confirm_window: int = 5  # ... of N scans
    delete_after_misses: int = 6
    max_position_std_m: float = 4.0
    init_velocity_std_mps: float = 2.0
    gate_probability: float = 0.99
    swap_window_s: float = 2.0  # mutual tag/track disagreements this close in time swap the two tags
    filter: str = (
        "numpy"  # "numpy" (batched CV), "filterpy" (reference, per track) or "imm" (CV + stationary)
    )


@dataclass(frozen=True)
class TrackState:
    """Immutable snapshot of one track at the tracker's time."""

    id: int
    t: float
    x: np.ndarray  # (4,) x, y, vx, vy
    P: np.ndarray  # (4, 4)
    status: str  # "tentative" | "confirmed"
    cls: str
    tag: str | None


@dataclass
class _Tracks:
    """Track arrays, one row per track (kept together so every filter step is one batched call)."""

    ids: list[int] = field(default_factory=list)
    cls: list[str] = field(default_factory=list)
    tag: list[str | None] = field(default_factory=list)
    confirmed: list[bool] = field(default_factory=list)
    history: list[list[bool]] = field(default_factory=list)  # hit / miss of the last scans
    misses: list[int] = field(default_factory=list)  # consecutive misses

    def __len__(self) -> int:
        return len(self.ids)

    def keep(self, mask: np.ndarray) -> None:
        for name in ("ids", "cls", "tag", "confirmed", "history", "misses"):
            setattr(self, name, [v for v, k in zip(getattr(self, name), mask, strict=True) if k])


@dataclass
class TrackerStats:
    scans: int = 0
    out_of_sequence_dropped: int = 0
    tracks_started: int = 0
    tracks_deleted: int = 0
    tag_swaps: int = 0
    nis_sum: float = 0.0  # normalised innovation squared of the applied position updates
    nis_count: int = 0
    nis_in_bounds: int = 0  # ... inside the two-sided 95 % χ²(2) interval


class Tracker:
    """A GNN multi-target tracker over 2D position and range measurements, all tracks filtered at once."""

    def __init__(self, config: TrackerConfig | None = None, process_noise: dict[str, float] | None = None):
        self.config = config or TrackerConfig()
        self.q = dict(PROCESS_NOISE, **(process_noise or {}))
        self.tracks = _Tracks()
        self.bank: FilterBank = BANKS[self.config.filter]()
        self.time = -np.inf
        self.stats = TrackerStats()
        self._next_id = 1
        self._disagree: dict[str, tuple[float, int]] = {}  # tag → (time, id of the track its read fitted)

    # ----------------------------------------------------------------------------------------- queries
    def states(self, confirmed_only: bool = False, at: float | None = None) -> list[TrackState]:
        """Snapshots of the tracks, predicted to time `at` when given (the tracks themselves do not move).

        A track whose predicted position σ has passed `max_position_std_m` is not reported: the next scan
        deletes it, and while no scan comes (every sensor of the tracker silent) it is lost, not there."""
        tr = self.tracks
        x, P, t = self.bank.x, self.bank.P, self.time
        if at is not None and len(tr) and at > self.time:
            x, P = predict(x, P, at - self.time, self._q())
            t = at
        lost = np.sqrt(np.trace(P[:, :2, :2], axis1=1, axis2=2) / 2) > self.config.max_position_std_m
        return [
            TrackState(
                tr.ids[k],
                t,
                x[k].copy(),
                P[k].copy(),
                "confirmed" if tr.confirmed[k] else "tentative",
                tr.cls[k],
                tr.tag[k],
            )
            for k in range(len(tr))
            if (tr.confirmed[k] or not confirmed_only) and not lost[k]
        ]

    def track_of_tag(self, tag: str) -> int | None:
        try:
            return self.tracks.ids[self.tracks.tag.index(tag)]
        except ValueError:
            return None

    # ---------------------------------------------------------------------------------------- the clock
    def _advance(self, t: float) -> bool:
        """Predict every track to t; False (and counted) if t is older than the tracker's clock."""
        if t < self.time - 1e-9:
            self.stats.out_of_sequence_dropped += 1
            return False
        if len(self.tracks) and t > self.time:
            self.bank.predict(t - self.time, self._q())
        self.time = max(self.time, t)
        return True

    def _q(self) -> np.ndarray:
        return np.array([self.q.get(c, self.q["unknown"]) for c in self.tracks.cls])

    # ------------------------------------------------------------------------------------ measurements
    def update_positions(
        self,
        t: float,
        z: np.ndarray,
        R: np.ndarray,
        cls: list[str] | None = None,
        covered: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One scan of 2D position measurements z (m, 2) with covariances R (m, 2, 2) taken at t.

        `covered(xy)` says which track positions the sensor could see (only those count a miss);
        returns the (track index, measurement index) pairs that were associated."""
        if not self._advance(t):
            return np.zeros(0, int), np.zeros(0, int)
        self.stats.scans += 1
        z = np.asarray(z, float).reshape(-1, 2)
        R = np.broadcast_to(np.asarray(R, float), (len(z), 2, 2))
        cls = cls or ["unknown"] * len(z)
        tr = self.tracks
        rows, cols = np.zeros(0, int), np.zeros(0, int)
        if len(tr) and len(z):
            d2 = position_distances(self.bank.x, self.bank.P, z, R)
            rows, cols = gnn(d2, gate_threshold(2, self.config.gate_probability))
            if rows.size:
                nis = d2[rows, cols]  # νᵀ S⁻¹ ν with S = H P Hᵀ + R: the NIS of these updates
                self.stats.nis_sum += float(nis.sum())
                self.stats.nis_count += int(nis.size)
                self.stats.nis_in_bounds += int(((nis >= NIS_BAND[0]) & (nis <= NIS_BAND[1])).sum())
                self.bank.update(rows, z[cols], R[cols])
                for r, c in zip(rows, cols, strict=True):
                    if tr.cls[r] == "unknown" and cls[c] != "unknown":
                        tr.cls[r] = cls[c]
        hit = np.zeros(len(tr), bool)
        hit[rows] = True
        seen = covered(self.bank.x[:, :2]) if covered is not None and len(tr) else np.ones(len(tr), bool)
        for k in range(len(tr)):
            if hit[k] or seen[k]:
                tr.history[k] = (tr.history[k] + [bool(hit[k])])[-self.config.confirm_window :]
                tr.misses[k] = 0 if hit[k] else tr.misses[k] + 1
        new = np.setdiff1d(np.arange(len(z)), cols)
        self._start(z[new], R[new], [cls[c] for c in new])
        self._manage()
        return rows, cols

    def update_bearings(
        self, t: float, origin, bearings: np.ndarray, sigma: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unlabelled bearings from a known floor point: gated (χ² 99 %, 1D) and assigned by GNN to
        confirmed tracks, then an EKF update each. Bearings start no tracks (a bearing alone places
        nothing). Returns the (track index, bearing index) pairs used."""
        if not self._advance(t) or not len(self.tracks) or not len(bearings):
            return np.zeros(0, int), np.zeros(0, int)
        origin = np.asarray(origin, float)
        bearings, sigma = np.asarray(bearings, float), np.asarray(sigma, float)
        rows = np.flatnonzero(self.tracks.confirmed)
        if rows.size == 0:
            return np.zeros(0, int), np.zeros(0, int)
        hx, jac, _ = bearing_model(np.repeat(origin[None], rows.size, 0))
        x, P = self.bank.x[rows], self.bank.P[rows]
        h = hx(x)[:, 0]
        J = jac(x)
        s = np.einsum("nij,njk,nlk->nil", J, P, J)[:, 0, 0]  # (tracks,)
        nu = (bearings[None, :] - h[:, None] + np.pi) % (2 * np.pi) - np.pi
        d2 = nu**2 / (s[:, None] + sigma[None, :] ** 2)
        r, c = gnn(d2, gate_threshold(1, self.config.gate_probability))
        if r.size:
            idx = rows[r]
            hx2, jac2, res2 = bearing_model(np.repeat(origin[None], r.size, 0))
            self.bank.ekf(idx, bearings[c][:, None], (sigma[c] ** 2)[:, None, None], hx2, jac2, res2)
        return rows[r], c

    def update_ranges(
        self, t: float, anchors: np.ndarray, ranges: np.ndarray, sigma: np.ndarray, tags: list[str]
    ) -> int:
        """Range measurements (RFID) to 3D anchors with tag identities; returns how many were applied.

        A read of a bound tag updates its track; an unbound tag binds to the single unbound track in its
        range gate (ambiguous or empty gates leave it unbound)."""
        if not self._advance(t):
            return 0, []
        tr = self.tracks
        anchors = np.asarray(anchors, float).reshape(-1, 3)
        ranges, sigma = np.asarray(ranges, float), np.asarray(sigma, float)
        rows, keep, unbound = [], [], []
        gate = gate_threshold(1, self.config.gate_probability)
        for k, tag in enumerate(tags):
            if tag in tr.tag:
                rows.append(tr.tag.index(tag))
                keep.append(k)
                continue
            free = np.array([j for j in range(len(tr)) if tr.tag[j] is None and tr.confirmed[j]], dtype=int)
            if free.size == 0:
                unbound.append(k)
                continue
            inside = free[self._range_d2(free, anchors[k], ranges[k], sigma[k]) <= gate]
            if inside.size == 1:
                tr.tag[int(inside[0])] = tag
                rows.append(int(inside[0]))
                keep.append(k)
            else:
                unbound.append(k)
        if not rows:
            return 0, unbound
        # One batched EKF step per distinct track (a track read twice in one call takes its reads in turn).
        applied = 0
        pending = list(zip(rows, keep, strict=True))
        while pending:
            seen, batch, later = set(), [], []
            for r, k in pending:
                (later if r in seen else batch).append((r, k))
                seen.add(r)
            idx = np.array([r for r, _ in batch])
            meas = np.array([k for _, k in batch])
            d2 = np.array(
                [self._range_d2(np.array([r]), anchors[k], ranges[k], sigma[k])[0] for r, k in batch]
            )
            ok = d2 <= gate  # bound reads still respect the gate
            if ok.any():
                hx, jac = range_model(anchors[meas[ok]])
                self.bank.ekf(
                    idx[ok], ranges[meas[ok]][:, None], (sigma[meas[ok]] ** 2)[:, None, None], hx, jac
                )
            applied += int(ok.sum())
            for r in idx[ok]:  # a read of its own tag is a hit for the track
                tr.history[r] = (tr.history[r] + [True])[-self.config.confirm_window :]
                tr.misses[r] = 0
            for _, k in np.array(batch)[~ok]:
                self._note_disagreement(t, tags[k], anchors[k], ranges[k], sigma[k], gate)
            pending = later
        self._manage()
        return applied, unbound

    def _note_disagreement(self, t: float, tag: str, anchor, rng_m: float, sigma: float, gate: float) -> None:
        """A bound tag's read missed its track: remember which other bound track it fits, and swap the two
        tags when that track's tag fits this tag's track in turn."""
        tr = self.tracks
        others = np.array([j for j in range(len(tr)) if tr.tag[j] not in (None, tag)], dtype=int)
        if others.size == 0:
            return
        fits = others[self._range_d2(others, anchor, rng_m, sigma) <= gate]
        if fits.size != 1:
            return
        other = int(fits[0])
        mine = tr.tag.index(tag)
        self._disagree[tag] = (t, tr.ids[other])
        other_tag = tr.tag[other]
        seen = self._disagree.get(other_tag)
        if seen and seen[1] == tr.ids[mine] and t - seen[0] <= self.config.swap_window_s:
            tr.tag[mine], tr.tag[other] = other_tag, tag
            self._disagree.pop(tag, None)
            self._disagree.pop(other_tag, None)
            self.stats.tag_swaps += 1

    def start_tagged(
        self, t: float, z: np.ndarray, R: np.ndarray, tag: str, cls: str = "unknown"
    ) -> int | None:
        """Start a tentative track at a position estimated from RFID alone (zone or multilateration),
        bound to `tag`; returns its id (None if the tag is already bound or t is out of sequence)."""
        if tag in self.tracks.tag or not self._advance(t):
            return None
        self._start(np.asarray(z, float).reshape(1, 2), np.asarray(R, float).reshape(1, 2, 2), [cls])
        self.tracks.tag[-1] = tag
        return self.tracks.ids[-1]

    def _range_d2(self, rows: np.ndarray, anchor, rng_m: float, sigma: float) -> np.ndarray:
        """Squared Mahalanobis distance of one range measurement to each of the tracks `rows`."""
        hx, jac = range_model(np.repeat(np.asarray(anchor, float)[None], rows.size, 0))
        x, P = self.bank.x[rows], self.bank.P[rows]
        nu = rng_m - hx(x)[:, 0]
        J = jac(x)
        s = np.einsum("nij,njk,nlk->nil", J, P, J)[:, 0, 0] + sigma**2
        return nu * nu / s

    # ------------------------------------------------------------------------------------ track life
    def _start(self, z: np.ndarray, R: np.ndarray, cls: list[str]) -> None:
        if not len(z):
            return
        n = len(z)
        x = np.column_stack([z, np.zeros((n, 2))])
        P = np.zeros((n, 4, 4))
        P[:, :2, :2] = R
        P[:, 2, 2] = P[:, 3, 3] = self.config.init_velocity_std_mps**2
        tr = self.tracks
        self.bank.append(x, P)
        for c in cls:
            tr.ids.append(self._next_id)
            self._next_id += 1
            tr.cls.append(c)
            tr.tag.append(None)
            tr.confirmed.append(False)
            tr.history.append([True])
            tr.misses.append(0)
        self.stats.tracks_started += n

    def _manage(self) -> None:
        c = self.config
        tr = self.tracks
        keep = np.ones(len(tr), bool)
        pos_std = np.sqrt(np.trace(self.bank.P[:, :2, :2], axis1=1, axis2=2) / 2) if len(tr) else np.zeros(0)
        for k in range(len(tr)):
            hits = sum(tr.history[k])
            if not tr.confirmed[k]:
                if hits >= c.confirm_hits:
                    tr.confirmed[k] = True
                elif hits + (c.confirm_window - len(tr.history[k])) < c.confirm_hits:
                    keep[k] = False  # can no longer reach M of N
            elif tr.misses[k] >= c.delete_after_misses:
                keep[k] = False
            if pos_std[k] > c.max_position_std_m:
                keep[k] = False
        if not keep.all():
            self.stats.tracks_deleted += int((~keep).sum())
            tr.keep(keep)
            self.bank.keep(keep)

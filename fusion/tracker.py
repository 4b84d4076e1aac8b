"""Multi-target tracker composed of parts, every step batched over tracks.

The parts (Stone Soup's decomposition, without per-detection dispatch): a filter bank (`fusion.filter_bank`)
holds every track's state; an *associator* gates and assigns position measurements (`GnnAssociator`); an
*initiator* starts, confirms and drops tentative tracks (`MofNInitiator`, M of N counted scans); a
*deleter* removes confirmed tracks that stopped being seen (`MissDeleter`); an *identity manager* binds RFID
tags to tracks and swaps them when two tags' reads cross (`TagBinder`). Each can be replaced by an object
with the same methods. Out-of-sequence measurements (older than the tracker's clock, e.g. under a latency
fault) are dropped and counted, never applied as if they were new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from fusion.association import GnnAssociator, gate_threshold, gnn, staged_gnn
from fusion.class_reading import paired, reading_index, track_distances
from fusion.filter_bank import BANKS, FilterBank
from fusion.identity import LikelihoodBinder, ReadBinder, TagBinder
from fusion.jpda import enn_assignment, innovation_ratio, jpda_weights, pair_likelihoods
from fusion.kalman import bearing_model, predict, range_model
from fusion.measurements import ClassConditioned
from fusion.metrics import nees_bounds
from fusion.motion import PROCESS_NOISE
from fusion.rfid_reads import ReadRound
from fusion.sensor_bias import BiasedImmBank, BiasModel
from fusion.track import TrackState, TrackTable
from fusion.track_management import MissDeleter, MofNInitiator
from fusion.tracker_config import TrackerConfig

NIS_BAND = nees_bounds(2, 1)  # two-sided 95 % χ² interval of one 2D innovation


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


_H_VELOCITY = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
VELOCITY = (  # hx and Jacobian of a measured velocity, for the bank's extended update
    lambda x: x[:, 2:4],
    lambda x: np.broadcast_to(_H_VELOCITY, (len(x), 2, 4)),
)


class Tracker:
    """Tracks from 2D position, range (tagged) and bearing measurements; parts default from `config`."""

    def __init__(
        self,
        config: TrackerConfig | None = None,
        process_noise: dict[str, float] | None = None,
        *,
        associator=None,
        initiator=None,
        deleter=None,
        identity=None,
        tag_classes: dict[str, str] | None = None,
    ):
        """`tag_classes`: the class of the asset each tag is registered to, evidence for the identity
        manager (`LikelihoodBinder.tag_class`)."""
        c = self.config = config or TrackerConfig()
        self.q = dict(PROCESS_NOISE, **(process_noise or {}))
        self.associator = associator or GnnAssociator(c.gate_probability)
        self.initiator = initiator or MofNInitiator(c.confirm_hits, c.confirm_window, c.init_velocity_std_mps)
        self.deleter = deleter or MissDeleter(
            c.delete_after_misses, c.max_position_std_m, c.keep_lost_s, c.report_position_std_m
        )
        self.identity = identity or (
            TagBinder(c.swap_window_s)
            if c.identity == "gate"
            else (ReadBinder if c.identity == "reads" else LikelihoodBinder)(
                c.identity_memory_s,
                c.identity_min_evidence,
                tag_class=tag_classes,
                class_match_nats=c.class_match_nats,
                class_mismatch_nats=c.class_mismatch_nats,
            )
        )
        self.tracks = TrackTable(self.initiator.window)
        if c.filter == "imm-bias" and c.association != "gnn":
            raise ValueError(f"filter imm-bias runs with association gnn, not {c.association}")
        bias = BiasModel(c.bias_fraction, c.bias_time_s)
        self.bank: FilterBank = BiasedImmBank(bias) if c.filter == "imm-bias" else BANKS[c.filter]()
        self.time = -np.inf
        self.stats = TrackerStats()
        self._next_id = 1

    # ----------------------------------------------------------------------------------------- queries
    def states(self, confirmed_only: bool = False, at: float | None = None) -> list[TrackState]:
        """Snapshots of the tracks, predicted to time `at` when given (the tracks themselves do not move).

        A lost track is not reported, nor one too uncertain to be (while no scan comes, every sensor of
        the tracker silent, a track can pass the deleter's σ limit between reviews)."""
        tr = self.tracks
        x, P, t = self.bank.x, self.bank.P, self.time
        if at is not None and len(tr) and at > self.time:
            x, P = predict(x, P, at - self.time, self._q())
            t = at
        lost = tr.lost | self.deleter.unseen(P)
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
        v: np.ndarray | None = None,
        Rv: np.ndarray | None = None,
        may_start: np.ndarray | None = None,
        by_class: ClassConditioned | None = None,
        sensor: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One scan of 2D position measurements z (m, 2) with covariances R (m, 2, 2) taken at t.

        `covered(xy)` says which track positions the sensor could see (only those count a miss);
        `v`, `Rv`: measured velocities (m, 2) and their covariances, from sources that have them: applied
        after the position (independent errors) and given to the tracks they start. `may_start` (m,) bool:
        measurements that may start a track (a detector's confident ones); the others only update.
        `by_class`: the same measurements read as each class's body; with `measurement_class: track`, a
        track of one of those classes is gated and updated with its class's reading (births and JPDA
        use z, R). `sensor`: the id of the sensor that made them, for filters that estimate each
        sensor's bias on each track (`filter: imm-bias`). Returns the (track index, measurement index) pairs
        that were associated."""
        if not self._advance(t):
            return np.zeros(0, int), np.zeros(0, int)
        self.stats.scans += 1
        z = np.asarray(z, float).reshape(-1, 2)
        R = np.broadcast_to(np.asarray(R, float), (len(z), 2, 2))
        cls = cls or ["unknown"] * len(z)
        tr = self.tracks
        rows, cols = np.zeros(0, int), np.zeros(0, int)
        if len(tr) and len(z):
            # Priority: tracks being followed, then lost ones (re-acquired under their id), then tentative.
            first = (
                np.where(tr.confirmed, np.where(tr.lost, 1, 0), 2) if self.config.confirmed_first else None
            )
            if self.config.association in ("jpda", "enn-jpda"):
                rows, cols, d2, spread = self._jpda(z, R, first)
            else:
                by_track = self.config.measurement_class == "track"
                kind = reading_index(tr.cls, by_class, len(z)) if by_track else None
                view = self.bank.offset_view(sensor)
                if kind is None and view is None:
                    rows, cols, d2 = self.associator.associate(self.bank.x, self.bank.P, z, R, first)
                else:
                    d2 = track_distances(self.bank.x, self.bank.P, z, R, by_class, kind, view)
                    rows, cols = self.associator.assign(d2, first)
                spread = np.zeros(0, int)
                if rows.size:
                    self.bank.update(rows, *paired(rows, cols, z, R, by_class, kind), sensor=sensor)
            if rows.size:
                self._count_nis(d2[rows, cols])
                if v is not None:
                    self.bank.ekf(rows, np.asarray(v, float)[cols], np.asarray(Rv, float)[cols], *VELOCITY)
                for r, c in zip(rows, cols, strict=True):
                    tr.vote(r, cls[c])
        hit = np.zeros(len(tr), bool)
        hit[rows] = True
        if len(tr) and len(z):
            hit[spread] = True
        seen = covered(self.bank.x[:, :2]) if covered is not None and len(tr) else np.ones(len(tr), bool)
        counted = np.flatnonzero(hit | seen)
        tr.record(counted, hit[counted])
        unused = np.ones(len(z), bool)
        unused[cols] = False
        new = np.flatnonzero(unused)
        if may_start is not None:
            new = new[np.asarray(may_start, bool)[new]]
        if len(tr) and len(z):
            new = new[~self._near_confirmed(d2, new)]
        vel = None if v is None else (np.asarray(v, float)[new], np.asarray(Rv, float)[new])
        self._start(z[new], R[new], [cls[c] for c in new], vel, sensor)
        self._manage()
        return rows, cols

    def _jpda(self, z: np.ndarray, R: np.ndarray, first):
        """JPDA update of the tracks of the first priority level (all tracks without one), then GNN of
        the others over the measurements none of those gates. Returns (rows, cols) of the hard pairs
        (JPDA: a track's most probable measurement, β ≥ ½), all squared distances, and the JPDA tracks
        whose measurements were more likely than not theirs (a hit, however spread)."""
        c, x, P = self.config, self.bank.x, self.bank.P
        gate = gate_threshold(2, c.gate_probability)
        level = np.zeros(len(x), int) if first is None else np.asarray(first)
        top = np.flatnonzero(level == level.min())
        pd, lam = c.detection_probability, c.clutter_density
        t, m, d2, ratio = pair_likelihoods(x, P, z, R, gate, pd, lam)  # every track's d², for births
        local = np.full(len(x), -1)
        local[top] = np.arange(len(top))
        k = local[t] >= 0
        w = jpda_weights(len(top), local[t[k]], m[k], ratio[k], 1.0 - pd * c.gate_probability)
        miss = np.ones(len(x))
        miss[top] = w.miss
        w = replace(w, t=top[w.t], miss=miss)
        if c.association == "enn-jpda":  # each track its one measurement of greatest total probability
            rows, cols = enn_assignment(w)
            spread = np.zeros(0, int)
            if rows.size:
                self.bank.update(rows, z[cols], R[cols])
        else:
            if w.t.size:
                self.bank.mixture_update(np.unique(w.t), w, z, R, lambda i: innovation_ratio(i, pd, lam))
            rows, cols = w.best(0.5)
            spread = top[miss[top] <= 0.5]
        rest = np.flatnonzero(level != level.min())
        left = np.setdiff1d(np.arange(len(z)), w.m)
        if rest.size and left.size:
            r, k = staged_gnn(d2[np.ix_(rest, left)], gate, level[rest])
            if r.size:
                self.bank.update(rest[r], z[left[k]], R[left[k]])
            rows, cols = np.r_[rows, rest[r]], np.r_[cols, left[k]]
        return rows, cols, d2, spread

    def _near_confirmed(self, d2: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Which measurements `cols` lie inside a confirmed track's birth gate: they start no track (a
        second return of a tracked body, or the tracked body itself just outside its association gate)."""
        p = self.config.birth_gate_probability
        confirmed = self.tracks.confirmed & ~self.tracks.lost
        if p <= 0 or not confirmed.any() or not cols.size:
            return np.zeros(cols.size, bool)
        return (d2[np.ix_(confirmed, cols)] <= gate_threshold(2, p)).any(0)

    def _count_nis(self, nis: np.ndarray) -> None:
        """νᵀ S⁻¹ ν with S = H P Hᵀ + R of the applied updates: the tracker's consistency."""
        self.stats.nis_sum += float(nis.sum())
        self.stats.nis_count += int(nis.size)
        self.stats.nis_in_bounds += int(((nis >= NIS_BAND[0]) & (nis <= NIS_BAND[1])).sum())

    def update_bearings(
        self, t: float, origin, bearings: np.ndarray, sigma: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unlabelled bearings from a known floor point: gated (χ², 1D) and assigned by GNN to confirmed
        tracks, then an EKF update each. Bearings start no tracks (a bearing alone places nothing).
        Returns the (track index, bearing index) pairs used."""
        if not self._advance(t) or not len(self.tracks) or not len(bearings):
            return np.zeros(0, int), np.zeros(0, int)
        origin = np.asarray(origin, float)
        bearings, sigma = np.asarray(bearings, float), np.asarray(sigma, float)
        rows = np.flatnonzero(self.tracks.confirmed)
        if rows.size == 0:
            return np.zeros(0, int), np.zeros(0, int)
        hx, jac, _ = bearing_model(np.repeat(origin[None], rows.size, 0))
        x, P = self.bank.x[rows], self.bank.P[rows]
        J = jac(x)
        s = np.einsum("nij,njk,nlk->nil", J, P, J)[:, 0, 0]  # (tracks,)
        nu = (bearings[None, :] - hx(x)[:, 0][:, None] + np.pi) % (2 * np.pi) - np.pi
        d2 = nu**2 / (s[:, None] + sigma[None, :] ** 2)
        r, c = gnn(d2, gate_threshold(1, self.config.gate_probability))
        if r.size:
            hx2, jac2, res2 = bearing_model(np.repeat(origin[None], r.size, 0))
            self.bank.ekf(rows[r], bearings[c][:, None], (sigma[c] ** 2)[:, None, None], hx2, jac2, res2)
        return rows[r], c

    def update_ranges(
        self,
        t: float,
        anchors: np.ndarray,
        ranges: np.ndarray,
        sigma: np.ndarray,
        tags: list[str],
        reads: ReadRound | None = None,
    ) -> tuple[int, list[int]]:
        """Range measurements (RFID) to 3D anchors with tag identities. Returns how many were applied and
        the indices of reads whose tag no track carries (for an RFID initiator).

        A read of a bound tag updates its track, inside the gate; an unbound tag may bind now (the
        identity manager decides, from the ranges or, given the round's `reads` under the reader's
        detection model, from its reads and non-reads)."""
        if not self._advance(t):
            return 0, []
        tr = self.tracks
        anchors = np.asarray(anchors, float).reshape(-1, 3)
        ranges, sigma = np.asarray(ranges, float), np.asarray(sigma, float)
        gate = gate_threshold(1, self.config.gate_probability)

        def fit(rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            return self._range_fit(rows, anchors[k], ranges[k], sigma[k])

        def d2(rows: np.ndarray, k: int) -> np.ndarray:
            return fit(rows, k)[0]

        rows, keep, unbound = self.identity.assign(tr, t, tags, fit, gate, reads=reads, xy=self.bank.x[:, :2])
        if not rows or not self.config.range_updates:
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
            ok = np.array([d2(np.array([r]), k)[0] for r, k in batch]) <= gate  # bound reads too
            if ok.any():
                hx, jac = range_model(anchors[meas[ok]])
                self.bank.ekf(
                    idx[ok], ranges[meas[ok]][:, None], (sigma[meas[ok]] ** 2)[:, None, None], hx, jac
                )
            applied += int(ok.sum())
            tr.record(idx[ok], True)  # a read of its own tag is a hit for the track
            for k in meas[~ok]:
                others = self.identity.others(tr, tags[k])
                if others.size:
                    self.identity.disagreement(tr, t, tags[k], others[d2(others, k) <= gate])
            pending = later
        self.stats.tag_swaps = self.identity.swaps
        self._manage()
        return applied, unbound

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

    def _range_fit(self, rows: np.ndarray, anchor, rng_m: float, sigma: float):
        """Squared Mahalanobis distance of one range measurement to each of the tracks `rows`, and the
        innovation variances S = J P Jᵀ + σ²."""
        hx, jac = range_model(np.repeat(np.asarray(anchor, float)[None], rows.size, 0))
        x, P = self.bank.x[rows], self.bank.P[rows]
        nu = rng_m - hx(x)[:, 0]
        J = jac(x)
        s = np.einsum("nij,njk,nlk->nil", J, P, J)[:, 0, 0] + sigma**2
        return nu * nu / s, s

    # ------------------------------------------------------------------------------------ track life
    def _start(self, z: np.ndarray, R: np.ndarray, cls: list[str], vel=None, sensor=None) -> None:
        """New tentative tracks at z; at rest unless `vel` = (velocities, covariances) is measured;
        `sensor`: the id of the sensor whose detections they are."""
        if not len(z):
            return
        x, P = self.initiator.initial_state(z, R)
        if vel is not None:
            x[:, 2:], P[:, 2:, 2:] = vel
        self.bank.append(x, P, sensor, R)
        self.tracks.append(list(range(self._next_id, self._next_id + len(z))), list(cls))
        self._next_id += len(z)
        self.stats.tracks_started += len(z)

    def _manage(self) -> None:
        tr = self.tracks
        confirm, drop = self.initiator.review(tr)
        lose, delete = self.deleter.review(tr, self.bank.P, self.time)
        delete |= drop
        tr.lost_at[lose & ~tr.lost] = self.time
        tr.lost |= lose
        tr.confirmed = tr.confirmed | confirm
        if delete.any():
            self.stats.tracks_deleted += int(delete.sum())
            tr.keep(~delete)
            self.bank.keep(~delete)

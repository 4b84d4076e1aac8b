"""Scoring a run against ground truth (SPEC §7), updated at every track output step.

Streaming accumulators (CLEAR-MOT, IDF1, GOSPA, RMSE, NEES, detection AP) keep no per-step history except
the last seconds of truth (late readings are scored against their own moment) and
`metrics_timeseries.csv`, which is streamed to disk; HOTA, which needs a global identity alignment
before its per-frame matching, is computed at the end in two passes over the run's `ground_truth.csv`
and `tracks.csv`, holding per-id-pair sums rather than the frames. Only confirmed tracks are scored.
Per class, truth of that class is matched against the tracks of that class or of unknown class.
"""

from __future__ import annotations

import csv
import sys
from array import array
from collections import defaultdict, deque
from pathlib import Path

import numpy as np

from fusion.metrics import (
    AP_THRESHOLDS_M,
    GATE_M,
    ClearMot,
    Frame,
    IdF1,
    average_precision,
    evaluation_settings,
    gospa,
    hota,
    match_detections,
    nees,
    nees_bounds,
)
from perception.classes import TRACKED_NAMES
from sim.output.atomic import AtomicStream
from sim.seen_ap import SeenAp
from sim.world.kinds import CLASS_NAMES
from sim.world.truth import TruthFrame

TRACKED_CLASSES = TRACKED_NAMES
TRUTH_HISTORY_S = 5.0  # how far back a late detection is scored against the truth of its own moment
TRUTH_HISTORY_FRAMES = 256  # ... and at most this many ticks back (a tiny dt_s would keep thousands)
TIMESERIES_COLUMNS = "t,gospa,gospa_localisation,gospa_missed,gospa_false,n_truth,n_tracks,n_matched"


def _nse(e: np.ndarray, R: np.ndarray) -> np.ndarray:
    """eᵀR⁻¹e of each error e (n, 2) under its covariance R (n, 2, 2)."""
    return np.einsum("ni,ni->n", e, np.linalg.solve(R, e[..., None])[..., 0])


class RunScorer:
    def __init__(self, out: Path, period_s: float, identities: bool = True):
        """`identities`: whether the strategy reads tags at all (without, identity accuracy is None)."""
        self.period_s, self.identities = period_s, identities
        self.mot, self.idf = ClearMot(), IdF1()
        self.truth_class: dict = {}  # truth id → class name
        self.cls_count = {c: {"truth": 0, "matched": 0, "fp": 0, "dist": 0.0} for c in TRACKED_CLASSES}
        self.gospa_sum = np.zeros(4)
        self.steps = 0
        self.pos_se, self.vel_se, self.n_err = 0.0, 0.0, 0
        self.nees_sum, self.nees_in, self.n_nees = 0.0, 0, 0
        self.bounds, self.bounds2 = nees_bounds(4, 1), nees_bounds(2, 1)
        # The 4-D NEES split: position (x, y) and velocity (vx, vy) alone — [Σ, inside their band]
        self.nees_parts = {"position": [0.0, 0], "velocity": [0.0, 0]}
        self.tag_checks, self.tag_correct = 0, 0  # matched tagged actors, and those whose track has their tag
        self.class_checks, self.class_correct = 0, 0  # matched actors, and those whose track has their class
        # Per source: every detection's score and whether it hit a truth at each AP threshold, as packed
        # arrays (8 + 1 bytes a detection: an hour of default is ≈ 10⁶ detections).
        self.det: dict[str, dict] = defaultdict(
            lambda: {"scores": array("d"), "tp": {t: array("b") for t in AP_THRESHOLDS_M}, "n_truth": 0}
        )
        self.det_seen = SeenAp()  # the same over the actors each source's readings held
        self.recently_seen: set = set()  # truth ids with a detection within GATE_M since the last output
        self.ceiling_frames, self.ceiling_covered = 0, 0  # truth frames, and those with such a detection
        self.nse: dict = defaultdict(lambda: [0.0, 0])  # (source, true class) → [Σ eᵀR⁻¹e, count]
        self.nse_body: dict = defaultdict(lambda: [0.0, 0])  # the same, each read as its true body's class
        # The truth of the last TRUTH_HISTORY_S (at most TRUTH_HISTORY_FRAMES ticks), for late readings
        self.history: deque[TruthFrame] = deque(maxlen=TRUTH_HISTORY_FRAMES)
        self.series = AtomicStream(Path(out) / "metrics_timeseries.csv")
        self.series.write(TIMESERIES_COLUMNS + "\n")

    # ----------------------------------------------------------------------------------------- tracks
    def tracks(self, t: float, truth: TruthFrame, states) -> None:
        confirmed = [s for s in states if s.status == "confirmed"]
        est = np.array([s.x for s in confirmed], float).reshape(-1, 4)
        self.ceiling_frames += len(truth)
        self.ceiling_covered += sum(i in self.recently_seen for i in truth.ids)
        self.recently_seen.clear()
        frame = Frame(list(truth.ids), truth.xyz[:, :2], [s.id for s in confirmed], est[:, :2])
        matches = self.mot.update(frame)
        self.idf.update(frame)
        for i, j, d in matches:
            if truth.tags[i]:
                self.tag_checks += 1
                self.tag_correct += confirmed[j].tag in truth.tags[i]
            self.pos_se += d * d
            self.vel_se += float(np.sum((truth.vel[i] - est[j, 2:]) ** 2))
            self.n_err += 1
            e = np.r_[truth.xyz[i, :2], truth.vel[i]] - est[j]
            P = confirmed[j].P
            v = float(nees(e[None], P[None])[0])
            self.nees_sum += v
            self.nees_in += self.bounds[0] <= v <= self.bounds[1]
            self.n_nees += 1
            for part, k in (("position", slice(0, 2)), ("velocity", slice(2, 4))):
                w = float(nees(e[None, k], P[None, k, k])[0])
                self.nees_parts[part][0] += w
                self.nees_parts[part][1] += self.bounds2[0] <= w <= self.bounds2[1]
        # Per class: truth of the class with its matches; unmatched tracks count against the class they claim.
        classes = [CLASS_NAMES[int(c)] for c in truth.class_ids]
        matched_est = {j for _, j, _ in matches}
        for k, c in enumerate(classes):
            self.truth_class[truth.ids[k]] = c
            if c in self.cls_count:
                self.cls_count[c]["truth"] += 1
        self.class_checks += len(matches)
        self.class_correct += sum(confirmed[j].cls == classes[i] for i, j, _ in matches)
        for i, _, d in matches:
            if classes[i] in self.cls_count:
                self.cls_count[classes[i]]["matched"] += 1
                self.cls_count[classes[i]]["dist"] += d
        for j, s in enumerate(confirmed):
            if j not in matched_est and s.cls in self.cls_count:
                self.cls_count[s.cls]["fp"] += 1
        g = gospa(truth.xyz[:, :2], est[:, :2])
        self.gospa_sum += [g["gospa"], g["localisation"], g["missed"], g["false"]]
        self.steps += 1
        self.series.write(
            f"{t:.3f},{g['gospa']:.4f},{g['localisation']:.4f},{g['missed']:.4f},{g['false']:.4f},"
            f"{len(truth)},{len(confirmed)},{len(matches)}\n"
        )

    # ------------------------------------------------------------------------------------- detections
    def detections(self, truth: TruthFrame, rows, seen: dict | None = None) -> None:
        """Detections with a position, per source, against the truth of the moment they were measured
        (a late reading is scored where the bodies were when the sensor saw them, not where they are
        when it arrives; within `TRUTH_HISTORY_S` and `TRUTH_HISTORY_FRAMES`, else against the oldest
        truth kept). `seen`: {(source, t): ids of the actors the source's readings of time t held} —
        for AP over what the sensors saw (`sim.seen_ap`)."""
        self.history.append(truth)
        while self.history[0].t < truth.t - TRUTH_HISTORY_S:
            self.history.popleft()
        by_source: dict[tuple, list] = defaultdict(list)
        frame_of: dict[float, int] = {}
        for d in rows:
            if np.all(np.isfinite(d.z)):
                if d.t not in frame_of:
                    frame_of[d.t] = self._truth_at(d.t)
                by_source[d.source, frame_of[d.t]].append(d)
        for (source, at), ds in by_source.items():
            truth = self.history[at]
            acc = self.det[source]
            z = np.array([d.z for d in ds])
            self._coverage_and_consistency(truth, source, z, np.array([d.R for d in ds]), ds)
            scores = np.array([d.score for d in ds])
            acc["scores"].frombytes(scores.astype(np.float64).tobytes())
            acc["n_truth"] += len(truth)
            for thr in AP_THRESHOLDS_M:
                hit = match_detections(truth.xyz[:, :2], z, scores, thr)
                acc["tp"][thr].frombytes(np.asarray(hit, np.int8).tobytes())
        held: dict[tuple, set] = defaultdict(set)  # (source, truth frame) → actors its readings held
        for (source, t), ids in (seen or {}).items():
            if t not in frame_of:
                frame_of[t] = self._truth_at(t)
            held[source, frame_of[t]] |= ids
        for (source, at), ids in held.items():
            self.det_seen.add(source, self.history[at], ids, by_source.get((source, at), []))

    def _truth_at(self, t: float) -> int:
        """Index in `history` of the truth frame nearest in time to `t`."""
        if t >= self.history[-1].t:
            return len(self.history) - 1
        return int(np.argmin(np.abs(np.fromiter((f.t for f in self.history), float) - t)))

    def _coverage_and_consistency(self, truth: TruthFrame, source: str, z, R, ds=()) -> None:
        """Which truths a detection came within GATE_M of (the tracker's ceiling), and each detection's
        normalised squared error eᵀR⁻¹e against the truth whose footprint is nearest, where its centre is
        within GATE_M (2 on average when R tells the truth): as reported, and (`nse_body`) read as that
        truth's class, as a track of its class reads it. The nearest footprint, not the nearest centre: a
        piece of a forklift beside a worker is a forklift detection, not a worker's 10 σ off."""
        if not len(truth):
            return
        d = np.linalg.norm(z[:, None] - truth.xyz[None, :, :2], axis=2)
        near = d <= GATE_M
        self.recently_seen.update(truth.ids[j] for j in np.flatnonzero(near.any(0)))
        j, centre = truth.nearest_body(z, d)
        ok = centre <= GATE_M
        if not ok.any():
            return
        rows = np.flatnonzero(ok)
        names = [CLASS_NAMES[int(c)] for c in truth.class_ids[j[rows]]]
        self._add(self.nse, source, names, _nse(truth.xyz[j[rows], :2] - z[rows], R[rows]))
        # The same detections read as their true body's class, where the source reads them by class.
        keep, body_names, zb, Rb = [], [], [], []
        for k, name in zip(rows, names, strict=True):
            b = ds[k].by_class if len(ds) else None
            if b is not None and name in b[0]:
                c = b[0].index(name)
                keep.append(k)
                body_names.append(name)
                zb.append(b[1][c])
                Rb.append(b[2][c])
        if keep:
            e = truth.xyz[j[keep], :2] - np.array(zb)
            self._add(self.nse_body, source, body_names, _nse(e, np.array(Rb)))

    @staticmethod
    def _add(acc: dict, source: str, names: list[str], values: np.ndarray) -> None:
        """Add each value to its (source, true class) sum and count."""
        for name, x in zip(names, values, strict=True):
            a = acc[(source, name)]
            a[0] += float(x)
            a[1] += 1

    # ----------------------------------------------------------------------------------------- result
    def close(self) -> None:
        self.series.commit()

    def discard(self) -> None:
        self.series.discard()

    def _nees(self) -> dict:
        """Mean NEES and the share inside its 95 % band: the 4-D state, then its position and velocity."""
        n = self.n_nees or None
        out = {"nees_mean": n and self.nees_sum / n, "nees_in_bounds": n and self.nees_in / n}
        for part, (total, inside) in self.nees_parts.items():
            out[f"nees_{part}_mean"], out[f"nees_{part}_in_bounds"] = n and total / n, n and inside / n
        return out

    def result(self, out: Path) -> dict:
        mot, idf = self.mot.result(), self.idf.result()
        n = max(self.steps, 1)
        h = hota_from_files(Path(out) / "ground_truth.csv", Path(out) / "tracks.csv", self.period_s)
        tracking = {
            "mota": mot["mota"],
            "motp_m": mot["motp_m"],
            "idf1": idf["idf1"],
            "hota": h["hota"],
            "hota_deta": h.get("deta"),
            "hota_assa": h.get("assa"),
            "hota_loca": h.get("loca"),
            "id_switches": mot["id_switches"],
            "false_positives": mot["false_positives"],
            "misses": mot["misses"],
            "fragmentations": mot["fragmentations"],
            "mostly_tracked": mot["mostly_tracked"],
            "mostly_lost": mot["mostly_lost"],
            "gospa": self.gospa_sum[0] / n,
            "gospa_localisation": self.gospa_sum[1] / n,
            "gospa_missed": self.gospa_sum[2] / n,
            "gospa_false": self.gospa_sum[3] / n,
            "rmse_m": float(np.sqrt(self.pos_se / self.n_err)) if self.n_err else None,
            "velocity_rmse_mps": float(np.sqrt(self.vel_se / self.n_err)) if self.n_err else None,
            **self._nees(),
            "identity_accuracy": self.tag_correct / self.tag_checks
            if self.tag_checks and self.identities
            else None,
            "class_accuracy": self.class_correct / self.class_checks if self.class_checks else None,
            "coverage_ceiling": self.ceiling_covered / self.ceiling_frames if self.ceiling_frames else None,
            "mota_over_ceiling": mot["mota"] / (self.ceiling_covered / self.ceiling_frames)
            if self.ceiling_covered
            else None,
            "per_class": {},
        }
        mapping = self.idf.mapping()
        for c, k in self.cls_count.items():
            if not k["truth"]:
                continue
            ids = [t for t, tc in self.truth_class.items() if tc == c]
            switches = sum(self.mot.switches.get(t, 0) for t in ids)
            misses = k["truth"] - k["matched"]
            tracking["per_class"][c] = {
                "mota": 1 - (misses + k["fp"] + switches) / k["truth"],
                "motp_m": k["dist"] / k["matched"] if k["matched"] else None,
                "misses": misses,
                "false_positives": k["fp"],
                "id_switches": switches,
                "idr": sum(mapping.get(t, (None, 0))[1] for t in ids) / k["truth"],
            }
        detection = {}
        for source, acc in self.det.items():
            aps, p, r, by_thr = [], None, None, {}
            for thr in AP_THRESHOLDS_M:
                ap, p_, r_ = average_precision(
                    np.frombuffer(acc["scores"], np.float64),
                    np.frombuffer(acc["tp"][thr], np.int8).astype(bool),
                    acc["n_truth"],
                )
                aps.append(ap)
                by_thr[f"{thr:g}"] = ap
                if thr == 1.0:
                    p, r = p_, r_
            nse = {c: v[0] / v[1] for (src, c), v in sorted(self.nse.items()) if src == source and v[1]}
            body = {c: v[0] / v[1] for (src, c), v in sorted(self.nse_body.items()) if src == source and v[1]}
            seen = self.det_seen.result(source)
            detection[source] = {
                "precision": p,
                "recall": r,
                "ap": float(np.mean(aps)),
                "ap_at_m": by_thr,  # AP at each centre-distance threshold (m)
                **({"ap_seen_at_m": seen} if seen else {}),
                "nse": nse,
                **({"nse_body": body} if body else {}),
            }
        return {
            "tracking": _round(tracking),
            "evaluation": evaluation_settings(),
            "detection": _round(detection),
        }


def _round(d):
    if isinstance(d, dict):
        return {k: _round(v) for k, v in d.items()}
    if isinstance(d, float):
        return None if not np.isfinite(d) else round(d, 6)
    if isinstance(d, (np.floating, np.integer)):
        return _round(d.item())
    return d


def _frames_from_files(ground_truth: Path, tracks: Path, period_s: float):
    """Frames at the track output times (every `period_s`): truth and confirmed track rows of that t."""

    def on_output(t: float) -> bool:
        return abs(t / period_s - round(t / period_s)) < 1e-6

    # Only the output times' rows are kept, ids interned: an hour of `default` is 650 000 truth rows.
    truth: dict[str, list] = defaultdict(list)
    with open(ground_truth, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if on_output(t := float(row["t"])):
                truth[f"{t:.3f}"].append((sys.intern(row["id"]), float(row["x"]), float(row["y"])))
    est: dict[str, list] = defaultdict(list)
    times = list(truth)
    with open(tracks, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"] == "confirmed" and on_output(t := float(row["t"])):
                est[f"{t:.3f}"].append((int(row["track_id"]), float(row["x"]), float(row["y"])))
    for key in times:
        tr, es = truth.get(key, []), est.get(key, [])
        yield Frame(
            [r[0] for r in tr],
            np.array([r[1:] for r in tr], float).reshape(-1, 2),
            [r[0] for r in es],
            np.array([r[1:] for r in es], float).reshape(-1, 2),
        )


def hota_from_files(ground_truth: Path, tracks: Path, period_s: float = 0.1) -> dict:
    if not Path(tracks).is_file():
        return {"hota": None}
    return hota(lambda: _frames_from_files(ground_truth, tracks, period_s))  # streamed, twice


def track_matches(ground_truth: Path, tracks: Path, period_s: float = 0.1):
    """For figures: which actor each track id follows (IDF1's identity mapping) and where identity switches
    happened (CLEAR-MOT), from a run's files."""
    mot, idf = ClearMot(), IdF1()
    switches = []
    for f in _frames_from_files(ground_truth, tracks, period_s):
        before = dict(mot.switches)
        mot.update(f)
        idf.update(f)
        for k, t in enumerate(f.truth_ids):
            if mot.switches.get(t, 0) > before.get(t, 0):
                switches.append((float(f.truth[k, 0]), float(f.truth[k, 1])))
    return {e: t for t, (e, _) in idf.mapping().items()}, switches

"""Multi-object tracking metrics on anyone's data (SPEC §7): CLEAR-MOT, IDF1, HOTA, GOSPA, NEES.

Input is a sequence of frames, each with truth ids and floor positions and estimate ids and positions.
Definitions, as SPEC §7 fixes them:
- CLEAR-MOT (Bernardin & Stiefelhagen 2008): per frame, last frame's matches are kept while within the
  1 m gate, the rest are matched by the Hungarian algorithm on centre distance; MOTA = 1 − (FN + FP +
  IDSW) / #truth; MOTP = mean matched distance in metres. The same bookkeeping as py-motmetrics.
- IDF1 (Ristani et al. 2016): 2 IDTP / (#truth + #estimates), IDTP from the one-to-one identity
  mapping that maximises the frames where mapped ids lie within the gate.
- HOTA (Luiten et al. 2020) with similarity s = max(0, 1 − d / 2 m), averaged over α = 0.05 … 0.95.
- GOSPA (Rahmathullah et al. 2017) with c = 2 m, p = 1, α = 2, with its localisation, missed and false
  parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

GATE_M = 1.0
HOTA_ALPHAS = np.arange(1, 20) * 0.05
HOTA_ZERO_SIM_M = 2.0


@dataclass(frozen=True)
class Frame:
    """One time step: truth ids (n,) and positions (n, 2); estimate ids (m,) and positions (m, 2)."""

    truth_ids: Sequence
    truth: np.ndarray
    est_ids: Sequence
    est: np.ndarray


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(a, float)[:, None, :2] - np.asarray(b, float)[None, :, :2], axis=2)


# --------------------------------------------------------------------------------------------- CLEAR-MOT
class ClearMot:
    """Streaming CLEAR-MOT: `update(frame)` per time step returns that frame's matches; `result()`."""

    def __init__(self, gate: float = GATE_M):
        self.gate = gate
        self.last: dict = {}  # truth id → estimate id it was last matched to
        self.fn = self.fp = self.idsw = self.n_truth = self.n_match = self.frags = 0
        self.dist_sum = 0.0
        self.tracked: dict = {}  # truth id → [frames present, frames matched]
        self.status: dict = {}  # truth id → matched in the previous frame it was present
        self.switches: dict = {}  # truth id → identity switches it suffered

    def update(self, f: Frame) -> list[tuple[int, int, float]]:
        tids, eids = list(f.truth_ids), list(f.est_ids)
        self.n_truth += len(tids)
        D = _dist(f.truth, f.est) if len(tids) and len(eids) else np.zeros((len(tids), len(eids)))
        D = np.where(D <= self.gate, D, np.nan)
        matches: dict[int, int] = {}
        for i, t in enumerate(tids):  # keep last frame's matches that are still valid
            h = self.last.get(t)
            if h is not None and h in eids:
                j = eids.index(h)
                if np.isfinite(D[i, j]) and j not in matches.values():
                    matches[i] = j
        rest_t = [i for i in range(len(tids)) if i not in matches]
        rest_e = [j for j in range(len(eids)) if j not in matches.values()]
        if rest_t and rest_e:
            sub = D[np.ix_(rest_t, rest_e)]
            cost = np.where(np.isfinite(sub), sub, 1e9)
            r, c = linear_sum_assignment(cost)
            for a, b in zip(r, c, strict=True):
                if cost[a, b] < 1e9:
                    i, j = rest_t[a], rest_e[b]
                    matches[i] = j
                    if tids[i] in self.last and self.last[tids[i]] != eids[j]:
                        self.idsw += 1
                        self.switches[tids[i]] = self.switches.get(tids[i], 0) + 1
        for i, t in enumerate(tids):
            rec = self.tracked.setdefault(t, [0, 0])
            rec[0] += 1
            if i in matches:
                rec[1] += 1
                if self.status.get(t) is False:
                    self.frags += 1
                self.status[t] = True
            elif self.status.get(t):
                self.status[t] = False
        for i, j in matches.items():
            self.last[tids[i]] = eids[j]
            self.dist_sum += D[i, j]
        self.n_match += len(matches)
        self.fn += len(tids) - len(matches)
        self.fp += len(eids) - len(matches)
        return [(i, j, float(D[i, j])) for i, j in matches.items()]

    def result(self) -> dict:
        ratios = [m / p for p, m in self.tracked.values() if p]
        n = self.n_truth
        return {
            "mota": 1 - (self.fn + self.fp + self.idsw) / n if n else float("nan"),
            "motp_m": self.dist_sum / self.n_match if self.n_match else float("nan"),
            "false_positives": self.fp,
            "misses": self.fn,
            "id_switches": self.idsw,
            "fragmentations": self.frags,
            "mostly_tracked": sum(r >= 0.8 for r in ratios),
            "mostly_lost": sum(r < 0.2 for r in ratios),
            "num_truth": n,
            "num_matches": self.n_match,
        }


def clear_mot(frames: Iterable[Frame], gate: float = GATE_M) -> dict:
    """MOTA, MOTP (m), FN, FP, ID switches, fragmentations, mostly tracked / lost, #truth, #matches."""
    acc = ClearMot(gate)
    for f in frames:
        acc.update(f)
    return acc.result()


# ------------------------------------------------------------------------------------------------- IDF1
class IdF1:
    """Streaming IDF1: co-occurrence counts of (truth id, estimate id) within the gate, mapped at the end."""

    def __init__(self, gate: float = GATE_M):
        self.gate = gate
        self.counts: dict[tuple, int] = {}
        self.n_truth = self.n_est = 0
        self.tset: dict = {}
        self.eset: dict = {}

    def update(self, f: Frame) -> None:
        self.n_truth += len(f.truth_ids)
        self.n_est += len(f.est_ids)
        for t in f.truth_ids:
            self.tset.setdefault(t, len(self.tset))
        for e in f.est_ids:
            self.eset.setdefault(e, len(self.eset))
        if len(f.truth_ids) and len(f.est_ids):
            D = _dist(f.truth, f.est)
            for i, j in zip(*np.nonzero(D <= self.gate), strict=True):
                key = (f.truth_ids[i], f.est_ids[j])
                self.counts[key] = self.counts.get(key, 0) + 1

    def mapping(self) -> dict:
        """The optimal truth id → (estimate id, frames) identity mapping."""
        if not self.counts:
            return {}
        tl, el = list(self.tset), list(self.eset)
        M = np.zeros((len(tl), len(el)))
        for (t, e), c in self.counts.items():
            M[self.tset[t], self.eset[e]] = c
        r, c = linear_sum_assignment(-M)
        return {tl[i]: (el[j], int(M[i, j])) for i, j in zip(r, c, strict=True) if M[i, j] > 0}

    def result(self) -> dict:
        idtp = 0
        if self.counts:
            M = np.zeros((len(self.tset), len(self.eset)))
            for (t, e), c in self.counts.items():
                M[self.tset[t], self.eset[e]] = c
            r, c = linear_sum_assignment(-M)
            idtp = int(M[r, c].sum())
        nt, ne = self.n_truth, self.n_est
        return {
            "idf1": 2 * idtp / (nt + ne) if nt + ne else float("nan"),
            "idp": idtp / ne if ne else float("nan"),
            "idr": idtp / nt if nt else float("nan"),
            "idtp": idtp,
        }


def idf1(frames: Iterable[Frame], gate: float = GATE_M) -> dict:
    """IDF1, IDP, IDR and IDTP with the identity mapping that maximises IDTP (Hungarian over ids)."""
    acc = IdF1(gate)
    for f in frames:
        acc.update(f)
    return acc.result()


# ------------------------------------------------------------------------------------------------- HOTA
def _similarity(f: Frame, zero_sim_m: float) -> np.ndarray:
    if len(f.truth_ids) and len(f.est_ids):
        return np.clip(1 - _dist(f.truth, f.est) / zero_sim_m, 0, None)
    return np.zeros((len(f.truth_ids), len(f.est_ids)))


def hota(
    frames: Sequence[Frame] | Callable[[], Iterable[Frame]],
    zero_sim_m: float = HOTA_ZERO_SIM_M,
    alphas=HOTA_ALPHAS,
) -> dict:
    """HOTA, DetA, AssA and LocA averaged over α, with s = max(0, 1 − d / zero_sim_m).

    `frames` is a sequence, or a function that yields them afresh (e.g. read from a run's files): two
    passes over it, holding only per-id-pair sums, so an hour-long run is scored without keeping its
    36 000 frames. Each frame's assignment does not depend on α (only which matches count does)."""
    passes = frames if callable(frames) else lambda: frames
    tix: dict = {}
    eix: dict = {}
    t_count: list[int] = []
    e_count: list[int] = []
    pair_sum: dict[tuple[int, int], float] = {}
    for f in passes():  # global alignment potential of each id pair (Luiten et al., eq. 14)
        ti = [tix.setdefault(t, len(tix)) for t in f.truth_ids]
        ei = [eix.setdefault(e, len(eix)) for e in f.est_ids]
        t_count += [0] * (len(tix) - len(t_count))
        e_count += [0] * (len(eix) - len(e_count))
        for i in ti:
            t_count[i] += 1
        for j in ei:
            e_count[j] += 1
        S = _similarity(f, zero_sim_m)
        for a, b in zip(*np.nonzero(S), strict=True):
            key = (ti[a], ei[b])
            pair_sum[key] = pair_sum.get(key, 0.0) + S[a, b]
    nt, ne = len(tix), len(eix)
    tc, ec = np.array(t_count, float), np.array(e_count, float)
    sim_sum = np.zeros((nt, ne))
    for (i, j), v in pair_sum.items():
        sim_sum[i, j] = v
    align = sim_sum / np.maximum(tc[:, None] + ec[None, :] - sim_sum, 1e-12)
    alphas = np.asarray(alphas, float)
    tp_pairs = np.zeros((len(alphas), nt, ne))
    tp, fn, fp, loc = (np.zeros(len(alphas)) for _ in range(4))
    for f in passes():
        ti = np.array([tix[t] for t in f.truth_ids], int)
        ei = np.array([eix[e] for e in f.est_ids], int)
        S = _similarity(f, zero_sim_m)
        r = c = np.zeros(0, int)
        if S.size:
            r, c = linear_sum_assignment(-(align[np.ix_(ti, ei)] * S))
        for k, alpha in enumerate(alphas):
            ok = S[r, c] >= alpha - 1e-12
            rk, ck = r[ok], c[ok]
            np.add.at(tp_pairs[k], (ti[rk], ei[ck]), 1)
            loc[k] += S[rk, ck].sum()
            tp[k] += len(rk)
            fn[k] += len(ti) - len(rk)
            fp[k] += len(ei) - len(rk)
    det_a, ass_a, loc_a, h = [], [], [], []
    for k in range(len(alphas)):
        if tp[k] == 0:
            det_a.append(0.0)
            ass_a.append(0.0)
            loc_a.append(1.0)
            h.append(0.0)
            continue
        ass_iou = tp_pairs[k] / np.maximum(tc[:, None] + ec[None, :] - tp_pairs[k], 1e-12)
        ass = float((tp_pairs[k] * ass_iou).sum() / tp[k])
        det = tp[k] / (tp[k] + fn[k] + fp[k])
        det_a.append(float(det))
        ass_a.append(ass)
        loc_a.append(float(loc[k] / tp[k]))
        h.append(np.sqrt(det * ass))
    return {
        "hota": float(np.mean(h)),
        "deta": float(np.mean(det_a)),
        "assa": float(np.mean(ass_a)),
        "loca": float(np.mean(loc_a)),
    }


# ------------------------------------------------------------------------------------------------ GOSPA
GOSPA_C_M, GOSPA_P, GOSPA_ALPHA = 2.0, 1.0, 2.0  # cut-off, order, α (α = 2: the metric's own parts)


def evaluation_settings() -> dict:
    """The settings every tracking figure here is computed with, for recording beside the figures."""
    return {
        "gate_m": GATE_M,
        "gospa": {"c": GOSPA_C_M, "p": GOSPA_P, "alpha": GOSPA_ALPHA},
        "ap_thresholds_m": list(AP_THRESHOLDS_M),
        "hota_alphas": [round(float(a), 2) for a in HOTA_ALPHAS],
        "hota_zero_similarity_m": HOTA_ZERO_SIM_M,
    }


def gospa(truth: np.ndarray, est: np.ndarray, c: float = GOSPA_C_M, p: float = GOSPA_P) -> dict:
    """GOSPA (α = 2) of one frame and its parts: localisation, missed, false (each already to the p)."""
    truth, est = np.asarray(truth, float).reshape(-1, 2), np.asarray(est, float).reshape(-1, 2)
    n, m = len(truth), len(est)
    loc = 0.0
    assigned = 0
    if n and m:
        D = np.minimum(_dist(truth, est), c) ** p
        r, col = linear_sum_assignment(D)
        good = D[r, col] < c**p  # pairs at the cut-off cost the same as leaving both unassigned
        loc = float(D[r, col][good].sum())
        assigned = int(good.sum())
    missed = c**p / 2 * (n - assigned)
    false = c**p / 2 * (m - assigned)
    return {"gospa": (loc + missed + false) ** (1 / p), "localisation": loc, "missed": missed, "false": false}


# ------------------------------------------------------------------------------------------------- NEES
def nees(errors: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    """x̃ᵀ P⁻¹ x̃ per row."""
    e = np.asarray(errors, float)
    return np.einsum("ni,ni->n", e, np.linalg.solve(covariances, e[..., None])[..., 0])


def nees_bounds(dim: int, n_runs: int = 1, probability: float = 0.95) -> tuple[float, float]:
    """Two-sided χ² interval of the mean NEES over n_runs for a state of dimension `dim`."""
    lo, hi = chi2.ppf([(1 - probability) / 2, (1 + probability) / 2], dim * n_runs)
    return float(lo / n_runs), float(hi / n_runs)


# ------------------------------------------------------------------------------------------ detection AP
AP_THRESHOLDS_M = (0.5, 1.0, 2.0)


def match_detections(truth: np.ndarray, det: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy matching in order of decreasing score (as in PASCAL VOC / COCO): each detection takes the
    nearest still-unmatched truth within `threshold`. Returns a TP flag per detection."""
    tp = np.zeros(len(det), bool)
    if not len(det) or not len(truth):
        return tp
    D = _dist(det, truth)
    free = np.ones(len(truth), bool)
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        d = np.where(free, D[k], np.inf)
        j = int(np.argmin(d))
        if d[j] <= threshold:
            tp[k], free[j] = True, False
    return tp


def match_seen(
    truth: np.ndarray, seen: np.ndarray, det: np.ndarray, scores: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Detections scored against the truths a sensor saw (`seen`, a flag per truth): a detection within
    `threshold` of an unseen truth and of no seen one is set aside — neither hit nor false alarm, since a
    detector cannot be blamed for what the sensor never showed it. (kept, TP flag per kept detection)."""
    truth, det = np.asarray(truth, float).reshape(-1, 2), np.asarray(det, float).reshape(-1, 2)
    seen = np.asarray(seen, bool)
    near = _dist(det, truth) <= threshold  # (detections, truths); empty either way is fine
    kept = ~near[:, ~seen].any(1) | near[:, seen].any(1)
    return kept, match_detections(truth[seen], det[kept], np.asarray(scores)[kept], threshold)


def average_precision(scores: np.ndarray, tp: np.ndarray, n_truth: int) -> tuple[float, float, float]:
    """(AP with 101-point interpolated precision, precision, recall) of scored detections."""
    if n_truth == 0:
        return float("nan"), float("nan"), float("nan")
    if len(scores) == 0:
        return 0.0, float("nan"), 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = np.asarray(tp)[order]
    ctp = np.cumsum(hits)
    precision = ctp / np.arange(1, len(hits) + 1)
    recall = ctp / n_truth
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    points = np.linspace(0, 1, 101)
    idx = np.searchsorted(recall, points, side="left")
    ap = float(np.mean([envelope[i] if i < len(envelope) else 0.0 for i in idx]))
    return ap, float(precision[-1]), float(recall[-1])

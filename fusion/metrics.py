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

from collections.abc import Iterable, Sequence
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
def clear_mot(frames: Iterable[Frame], gate: float = GATE_M) -> dict:
    """MOTA, MOTP (m), FN, FP, ID switches, fragmentations, mostly tracked / lost, #truth, #matches."""
    last: dict = {}  # truth id → estimate id it was last matched to
    fn = fp = idsw = n_truth = 0
    dist_sum, n_match = 0.0, 0
    tracked: dict = {}  # truth id → [frames present, frames matched]
    status: dict = {}  # truth id → was matched in the previous frame it was present
    frags = 0
    for f in frames:
        tids, eids = list(f.truth_ids), list(f.est_ids)
        n_truth += len(tids)
        D = _dist(f.truth, f.est) if len(tids) and len(eids) else np.zeros((len(tids), len(eids)))
        D = np.where(D <= gate, D, np.nan)
        matches: dict[int, int] = {}
        for i, t in enumerate(tids):  # keep last frame's matches that are still valid
            h = last.get(t)
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
                    if tids[i] in last and last[tids[i]] != eids[j]:
                        idsw += 1
        for i, t in enumerate(tids):
            rec = tracked.setdefault(t, [0, 0])
            rec[0] += 1
            if i in matches:
                rec[1] += 1
                if status.get(t) is False:
                    frags += 1
                status[t] = True
            else:
                if status.get(t):
                    status[t] = False
        for i, j in matches.items():
            last[tids[i]] = eids[j]
            dist_sum += D[i, j]
        n_match += len(matches)
        fn += len(tids) - len(matches)
        fp += len(eids) - len(matches)
    ratios = [m / p for p, m in tracked.values() if p]
    return {
        "mota": 1 - (fn + fp + idsw) / n_truth if n_truth else float("nan"),
        "motp_m": dist_sum / n_match if n_match else float("nan"),
        "false_positives": fp,
        "misses": fn,
        "id_switches": idsw,
        "fragmentations": frags,
        "mostly_tracked": sum(r >= 0.8 for r in ratios),
        "mostly_lost": sum(r < 0.2 for r in ratios),
        "num_truth": n_truth,
        "num_matches": n_match,
    }


# ------------------------------------------------------------------------------------------------- IDF1
def idf1(frames: Iterable[Frame], gate: float = GATE_M) -> dict:
    """IDF1, IDP, IDR and IDTP with the identity mapping that maximises IDTP (Hungarian over ids)."""
    counts: dict[tuple, int] = {}
    n_truth = n_est = 0
    tset, eset = {}, {}
    for f in frames:
        n_truth += len(f.truth_ids)
        n_est += len(f.est_ids)
        for t in f.truth_ids:
            tset.setdefault(t, len(tset))
        for e in f.est_ids:
            eset.setdefault(e, len(eset))
        if len(f.truth_ids) and len(f.est_ids):
            D = _dist(f.truth, f.est)
            for i, j in zip(*np.nonzero(D <= gate), strict=True):
                key = (f.truth_ids[i], f.est_ids[j])
                counts[key] = counts.get(key, 0) + 1
    idtp = 0
    if counts:
        M = np.zeros((len(tset), len(eset)))
        for (t, e), c in counts.items():
            M[tset[t], eset[e]] = c
        r, c = linear_sum_assignment(-M)
        idtp = int(M[r, c].sum())
    return {
        "idf1": 2 * idtp / (n_truth + n_est) if n_truth + n_est else float("nan"),
        "idp": idtp / n_est if n_est else float("nan"),
        "idr": idtp / n_truth if n_truth else float("nan"),
        "idtp": idtp,
    }


# ------------------------------------------------------------------------------------------------- HOTA
def hota(frames: Sequence[Frame], zero_sim_m: float = HOTA_ZERO_SIM_M, alphas=HOTA_ALPHAS) -> dict:
    """HOTA, DetA, AssA and LocA averaged over α, with s = max(0, 1 − d / zero_sim_m)."""
    frames = list(frames)
    tix, eix = {}, {}
    for f in frames:
        for t in f.truth_ids:
            tix.setdefault(t, len(tix))
        for e in f.est_ids:
            eix.setdefault(e, len(eix))
    nt, ne = len(tix), len(eix)
    # Global alignment potential of each id pair (Luiten et al., eq. 14), from similarities summed over time.
    sim_sum = np.zeros((nt, ne))
    t_count, e_count = np.zeros(nt), np.zeros(ne)
    sims = []
    for f in frames:
        ti = np.array([tix[t] for t in f.truth_ids], int)
        ei = np.array([eix[e] for e in f.est_ids], int)
        S = (
            np.clip(1 - _dist(f.truth, f.est) / zero_sim_m, 0, None)
            if len(ti) and len(ei)
            else np.zeros((len(ti), len(ei)))
        )
        sims.append((ti, ei, S))
        t_count[ti] += 1
        e_count[ei] += 1
        if S.size:
            np.add.at(sim_sum, (ti[:, None], ei[None, :]), S)
    align = sim_sum / np.maximum(t_count[:, None] + e_count[None, :] - sim_sum, 1e-12)
    det_a, ass_a, loc_a, h = [], [], [], []
    for alpha in alphas:
        tp_pairs = np.zeros((nt, ne))
        tp = fn = fp = 0
        loc = 0.0
        for ti, ei, S in sims:
            n_match = 0
            if S.size:
                score = align[np.ix_(ti, ei)] * S
                r, c = linear_sum_assignment(-score)
                ok = S[r, c] >= alpha - 1e-12
                r, c = r[ok], c[ok]
                n_match = len(r)
                np.add.at(tp_pairs, (ti[r], ei[c]), 1)
                loc += S[r, c].sum()
            tp += n_match
            fn += len(ti) - n_match
            fp += len(ei) - n_match
        if tp == 0:
            det_a.append(0.0)
            ass_a.append(0.0)
            loc_a.append(1.0)
            h.append(0.0)
            continue
        ass_iou = tp_pairs / np.maximum(t_count[:, None] + e_count[None, :] - tp_pairs, 1e-12)
        ass = float((tp_pairs * ass_iou).sum() / tp)
        det = tp / (tp + fn + fp)
        det_a.append(det)
        ass_a.append(ass)
        loc_a.append(loc / tp)
        h.append(np.sqrt(det * ass))
    return {
        "hota": float(np.mean(h)),
        "deta": float(np.mean(det_a)),
        "assa": float(np.mean(ass_a)),
        "loca": float(np.mean(loc_a)),
    }


# ------------------------------------------------------------------------------------------------ GOSPA
def gospa(truth: np.ndarray, est: np.ndarray, c: float = 2.0, p: float = 1.0) -> dict:
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

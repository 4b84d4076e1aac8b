"""Tracking metrics against py-motmetrics, brute force and hand-worked examples."""

from __future__ import annotations

import itertools

import motmetrics as mm
import numpy as np
import pytest

from fusion.metrics import Frame, clear_mot, gospa, hota, idf1, nees_bounds


def _random_sequence(rng, steps=60, n_truth=6):
    """Targets moving about; estimates with noise, drop-outs, clutter and occasional id changes."""
    pos = rng.uniform(0, 10, (n_truth, 2))
    vel = rng.normal(0, 0.3, (n_truth, 2))
    est_id = list(range(100, 100 + n_truth))
    frames = []
    for k in range(steps):
        pos = pos + vel
        present = rng.random(n_truth) > 0.1
        tids = [i for i in range(n_truth) if present[i]]
        if rng.random() < 0.05:  # an estimate changes identity
            j = rng.integers(n_truth)
            est_id[j] = 1000 + k
        seen = [i for i in tids if rng.random() > 0.15]
        est = [pos[i] + rng.normal(0, 0.35, 2) for i in seen]
        eids = [est_id[i] for i in seen]
        for c in range(rng.poisson(0.7)):
            est.append(rng.uniform(0, 10, 2))
            eids.append(5000 + 10 * k + c)
        frames.append(Frame(tids, pos[tids], eids, np.array(est).reshape(-1, 2)))
    return frames


def _motmetrics(frames, gate=1.0):
    acc = mm.MOTAccumulator(auto_id=True)
    for f in frames:
        D = (
            np.linalg.norm(np.asarray(f.truth)[:, None] - np.asarray(f.est)[None], axis=2)
            if len(f.truth_ids) and len(f.est_ids)
            else np.zeros((len(f.truth_ids), len(f.est_ids)))
        )
        D = np.where(D <= gate, D, np.nan)
        acc.update([int(t) for t in f.truth_ids], [int(e) for e in f.est_ids], D)
    mh = mm.metrics.create()
    return mh.compute(
        acc, metrics=["mota", "motp", "idf1", "num_switches", "num_false_positives", "num_misses"], name="x"
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clear_mot_and_idf1_equal_motmetrics(seed):
    frames = _random_sequence(np.random.default_rng(seed))
    ref = _motmetrics(frames)
    ours = clear_mot(frames)
    assert ours["false_positives"] == int(ref["num_false_positives"].iloc[0])
    assert ours["misses"] == int(ref["num_misses"].iloc[0])
    assert ours["id_switches"] == int(ref["num_switches"].iloc[0])
    assert abs(ours["mota"] - float(ref["mota"].iloc[0])) < 1e-9
    assert abs(ours["motp_m"] - float(ref["motp"].iloc[0])) < 1e-9  # distances given in metres
    assert abs(idf1(frames)["idf1"] - float(ref["idf1"].iloc[0])) < 1e-9


def _brute_gospa(X, Y, c=2.0, p=1.0):
    best = np.inf
    n, m = len(X), len(Y)
    for k in range(min(n, m) + 1):
        for xs in itertools.combinations(range(n), k):
            for ys in itertools.permutations(range(m), k):
                d = [np.linalg.norm(X[i] - Y[j]) for i, j in zip(xs, ys, strict=True)]
                if any(v >= c for v in d):
                    continue
                best = min(best, sum(v**p for v in d) + c**p / 2 * (n + m - 2 * k))
    return best ** (1 / p)


def test_gospa_equals_brute_force_on_small_cases():
    rng = np.random.default_rng(7)
    for _ in range(40):
        X = rng.uniform(0, 5, (rng.integers(0, 5), 2))
        Y = rng.uniform(0, 5, (rng.integers(0, 5), 2))
        g = gospa(X, Y)
        assert np.isclose(g["gospa"], _brute_gospa(X, Y))
        assert np.isclose(g["localisation"] + g["missed"] + g["false"], g["gospa"])


def test_hota_on_a_hand_worked_example():
    # One truth present for 4 frames at the origin. Estimate 7 covers frames 1-2 and estimate 8 frames
    # 3-4, both 0.5 m off: similarity s = 1 − 0.5/2 = 0.75 at every frame.
    frames = [
        Frame([1], np.array([[0.0, 0.0]]), [7 if k < 2 else 8], np.array([[0.5, 0.0]])) for k in range(4)
    ]
    h = hota(frames)
    # For α ≤ 0.75 (15 of the 19 thresholds) every frame is a TP: DetA = 1; each TP's pair has
    # TPA = 2, FNA = 4 − 2, FPA = 0 → Ass-IoU = 1/2, so AssA = 1/2 and HOTA_α = √(1/2). Above, nothing.
    assert np.isclose(h["hota"], 15 / 19 * np.sqrt(0.5))
    assert np.isclose(h["deta"], 15 / 19) and np.isclose(h["assa"], 15 / 19 * 0.5)
    perfect = [Frame([1, 2], np.array([[0.0, 0], [5, 5]]), [3, 4], np.array([[0.0, 0], [5, 5]]))] * 3
    assert np.isclose(hota(perfect)["hota"], 1.0)


def _hota_reference(frames, zero_sim_m=2.0):
    """Luiten et al. 2021 as written: alignment from all frames, then per α a Hungarian matching of every
    frame on alignment × similarity, TPs those with similarity ≥ α."""
    from scipy.optimize import linear_sum_assignment

    from fusion.metrics import HOTA_ALPHAS

    tids = sorted({t for f in frames for t in f.truth_ids})
    eids = sorted({e for f in frames for e in f.est_ids})
    sim_sum = {(t, e): 0.0 for t in tids for e in eids}
    count = dict.fromkeys(tids + [("e", e) for e in eids], 0)
    per_frame = []
    for f in frames:
        S = np.clip(1 - np.linalg.norm(f.truth[:, None] - f.est[None], axis=2) / zero_sim_m, 0, None)
        per_frame.append(S)
        for a, t in enumerate(f.truth_ids):
            count[t] += 1
            for b, e in enumerate(f.est_ids):
                sim_sum[t, e] += S[a, b]
        for e in f.est_ids:
            count["e", e] += 1
    align = {k: v / (count[k[0]] + count["e", k[1]] - v) for k, v in sim_sum.items()}
    h = []
    for alpha in HOTA_ALPHAS:
        tp_pairs = dict.fromkeys(sim_sum, 0)
        tp = fn = fp = 0
        for f, S in zip(frames, per_frame, strict=True):
            score = np.array([[align[t, e] for e in f.est_ids] for t in f.truth_ids]).reshape(S.shape) * S
            r, c = linear_sum_assignment(-score)
            hits = [
                (f.truth_ids[a], f.est_ids[b]) for a, b in zip(r, c, strict=True) if S[a, b] >= alpha - 1e-12
            ]
            for k in hits:
                tp_pairs[k] += 1
            tp, fn, fp = tp + len(hits), fn + len(f.truth_ids) - len(hits), fp + len(f.est_ids) - len(hits)
        if tp == 0:
            h.append(0.0)
            continue
        ass = sum(n * n / (count[t] + count["e", e] - n) for (t, e), n in tp_pairs.items() if n) / tp
        h.append(np.sqrt(tp / (tp + fn + fp) * ass))
    return float(np.mean(h))


def test_hota_streamed_from_a_function_equals_the_definition_on_random_runs():
    """hota() reads frames twice from a function (an hour-long run is not held in memory) and matches each
    frame once for every α; both against the definition written out per α, on random tracking runs."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        truth = rng.uniform(0, 10, (6, 2))
        frames = []
        for _k in range(30):
            truth += rng.normal(0, 0.2, truth.shape)
            seen = rng.random(6) < 0.8
            est_ids = [int(i) + 10 * int(rng.random() < 0.1) for i in np.flatnonzero(seen)]  # some switches
            est = truth[seen] + rng.normal(0, 0.4, (seen.sum(), 2))
            frames.append(Frame(list(range(6)), truth.copy(), est_ids, est))
        streamed = hota(lambda frames=frames: iter(frames))
        assert streamed == hota(frames)
        assert np.isclose(streamed["hota"], _hota_reference(frames), atol=1e-12)


def test_nees_bounds_come_from_scipy_chi2():
    lo, hi = nees_bounds(4, 50)
    assert np.isclose(lo, 3.26, atol=0.01) and np.isclose(hi, 4.82, atol=0.01)


def test_average_precision_of_known_rankings():
    from fusion.metrics import average_precision, match_detections

    # Perfect ranking: all TPs before FPs → AP = 1 when recall reaches 1.
    assert average_precision(np.array([0.9, 0.8, 0.1]), np.array([True, True, False]), 2)[0] == 1.0
    # TP, FP, TP over 2 truths: precision envelope 1 up to recall 0.5, then 2/3 up to recall 1.
    ap, p, r = average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 2)
    assert np.isclose(ap, (51 * 1 + 50 * 2 / 3) / 101) and np.isclose(p, 2 / 3) and r == 1.0
    # Greedy matching by score: the better-scored detection takes the truth.
    tp = match_detections(np.array([[0.0, 0.0]]), np.array([[0.3, 0], [0.1, 0]]), np.array([0.9, 0.5]), 1.0)
    assert tp.tolist() == [True, False]

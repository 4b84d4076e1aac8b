"""JPDA: marginals against brute force over every joint assignment, the lone track against the textbook
PDA, the mixture update against the closed-form PDA update and against filterpy, and a crossing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fusion.filter_bank import FilterpyBank, ImmBank, NumpyBank
from fusion.jpda import enn_assignment, jpda_weights, mixture_update, pair_likelihoods
from fusion.tracker import Tracker, TrackerConfig


def _brute_force(ratio: np.ndarray, miss_weight: float):
    """Marginals from every injective partial assignment of measurements to tracks (ratio (T, M), 0 out
    of the gate)."""
    n_t, n_m = ratio.shape
    beta, miss, norm = np.zeros((n_t, n_m)), np.zeros(n_t), 0.0
    for choice in itertools.product(range(-1, n_m), repeat=n_t):
        used = [j for j in choice if j >= 0]
        if len(used) != len(set(used)) or any(j >= 0 and ratio[i, j] == 0 for i, j in enumerate(choice)):
            continue
        w = np.prod([miss_weight if j < 0 else ratio[i, j] for i, j in enumerate(choice)])
        norm += w
        for i, j in enumerate(choice):
            if j < 0:
                miss[i] += w
            else:
                beta[i, j] += w
    return beta / norm, miss / norm


@pytest.mark.parametrize("seed", range(6))
def test_marginals_equal_brute_force_over_joint_events(seed):
    rng = np.random.default_rng(seed)
    n_t, n_m = 4, 5
    ratio = rng.exponential(2.0, (n_t, n_m)) * (rng.random((n_t, n_m)) < 0.55)
    t, m = np.nonzero(ratio)
    w = jpda_weights(n_t, t, m, ratio[t, m], 0.19)
    want_beta, want_miss = _brute_force(ratio, 0.19)
    np.testing.assert_allclose(w.beta, want_beta[t, m], atol=1e-12)
    np.testing.assert_allclose(w.miss, want_miss, atol=1e-12)
    sums = np.bincount(w.t, weights=w.beta, minlength=n_t) + w.miss
    np.testing.assert_allclose(sums, 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_enn_assignment_has_the_greatest_total_probability_of_all_assignments(seed):
    rng = np.random.default_rng(10 + seed)
    ratio = rng.exponential(2.0, (4, 4)) * (rng.random((4, 4)) < 0.6)
    t, m = np.nonzero(ratio)
    w = jpda_weights(4, t, m, ratio[t, m], 0.3)
    beta = np.zeros((4, 4))
    beta[t, m] = w.beta
    best = -1.0
    for choice in itertools.product(range(-1, 4), repeat=4):  # every one-to-one partial assignment
        used = [j for j in choice if j >= 0]
        if len(used) != len(set(used)) or any(j >= 0 and ratio[i, j] == 0 for i, j in enumerate(choice)):
            continue
        best = max(best, sum(w.miss[i] if j < 0 else beta[i, j] for i, j in enumerate(choice)))
    rows, cols = enn_assignment(w)
    unassigned = np.setdiff1d(np.arange(4), rows)
    total = beta[rows, cols].sum() + w.miss[unassigned].sum()
    assert len(set(cols.tolist())) == len(cols) and total == pytest.approx(best, abs=1e-12)


def test_a_lone_track_is_the_textbook_pda():
    """β_j = e_j / (b + Σ e), e_j = exp(−d_j²/2), b = λ |2πS|^½ (1 − P_D P_G) / P_D (Bar-Shalom & Tse)."""
    x = np.array([[0.0, 0.0, 1.0, 0.0]])
    P = np.diag([0.3, 0.2, 1.0, 1.0])[None]
    z = np.array([[0.2, 0.1], [-0.4, 0.3], [0.5, -0.6], [9.0, 9.0]])
    R = np.broadcast_to(np.diag([0.05, 0.08]), (4, 2, 2))
    pd, pg, lam, gate = 0.9, 0.999, 0.05, 13.8
    t, m, d2, ratio = pair_likelihoods(x, P, z, R, gate, pd, lam)
    w = jpda_weights(1, t, m, ratio, 1 - pd * pg)
    S = P[0, :2, :2] + R[0]
    e = np.exp(-0.5 * d2[0, m])
    b = lam * np.sqrt(np.linalg.det(2 * np.pi * S)) * (1 - pd * pg) / pd
    np.testing.assert_allclose(w.beta, e / (b + e.sum()), rtol=1e-12)
    np.testing.assert_allclose(w.miss, b / (b + e.sum()), rtol=1e-12)
    assert 3 not in m  # the far measurement is outside the gate
    cheap = jpda_weights(1, t, m, ratio, 1 - pd * pg, max_events=0)  # Fitzgerald: exact when alone
    np.testing.assert_allclose(cheap.beta, w.beta, rtol=1e-12)


def test_the_cheap_approximation_keeps_probabilities_in_range():
    rng = np.random.default_rng(9)
    ratio = rng.exponential(3.0, (6, 6))
    t, m = np.nonzero(ratio)
    w = jpda_weights(6, t, m, ratio[t, m], 0.1, max_events=10)
    assert not w.exact.any() and (w.beta >= 0).all() and (w.miss >= -1e-12).all()
    np.testing.assert_allclose(np.bincount(w.t, weights=w.beta) + w.miss, 1.0)


def test_mixture_update_with_one_r_is_the_closed_form_pda_update():
    """x⁺ = x + K ν̄; P⁺ = β₀ P + (1 − β₀)(P − K S Kᵀ) + K (Σ β_j ν_j ν_jᵀ − ν̄ ν̄ᵀ) Kᵀ."""
    rng = np.random.default_rng(2)
    A = rng.normal(size=(4, 4))
    x, P = rng.normal(size=(1, 4)), (A @ A.T + 4 * np.eye(4))[None]
    Rk = np.array([[0.4, 0.1], [0.1, 0.3]])
    z = x[:, :2] + rng.normal(0, 0.8, (3, 2))
    R = np.broadcast_to(Rk, (3, 2, 2))
    t, m, _, ratio = pair_likelihoods(x, P, z, R, 50.0, 0.9, 0.1)
    w = jpda_weights(1, t, m, ratio, 0.2)
    x_new, P_new, _ = mixture_update(x, P, np.array([0]), w, z, R)
    S = P[0, :2, :2] + Rk
    K = P[0, :, :2] @ np.linalg.inv(S)
    nu = z[m] - x[0, :2]
    nu_bar = (w.beta[:, None] * nu).sum(0)
    spread = (w.beta[:, None, None] * nu[:, :, None] * nu[:, None, :]).sum(0) - np.outer(nu_bar, nu_bar)
    b0 = w.miss[0]
    P_want = b0 * P[0] + (1 - b0) * (P[0] - K @ S @ K.T) + K @ spread @ K.T
    np.testing.assert_allclose(x_new[0], x[0] + K @ nu_bar, atol=1e-9)
    np.testing.assert_allclose(P_new[0], P_want, atol=1e-9)


def test_numpy_bank_equals_filterpy_bank_on_a_mixture_update():
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.uniform(0, 4, (3, 2)), rng.normal(0, 1, (3, 2))])
    P = np.repeat(np.diag([0.5, 0.5, 1.0, 1.0])[None], 3, 0)
    z = x[[0, 0, 1, 2], :2] + rng.normal(0, 0.3, (4, 2))
    R = np.repeat(np.diag([0.1, 0.1])[None], 4, 0)
    t, m, _, ratio = pair_likelihoods(x, P, z, R, 20.0, 0.9, 0.05)
    w = jpda_weights(3, t, m, ratio, 0.1)
    rows = np.unique(w.t)
    banks = [NumpyBank(), FilterpyBank()]
    for b in banks:
        b.append(x, P)
        b.mixture_update(rows, w, z, R, None)
    np.testing.assert_allclose(banks[0].x, banks[1].x, atol=1e-12)
    np.testing.assert_allclose(banks[0].P, banks[1].P, atol=1e-12)


def test_imm_bank_mixture_update_keeps_valid_modes():
    x = np.array([[0.0, 0.0, 1.0, 0.0], [3.0, 0.0, 0.0, 0.0]])
    P = np.repeat(np.diag([0.2, 0.2, 0.5, 0.5])[None], 2, 0)
    bank = ImmBank()
    bank.append(x, P)
    z = np.array([[0.1, 0.0], [0.3, 0.2], [3.0, 0.05]])
    R = np.repeat(np.diag([0.05, 0.05])[None], 3, 0)
    t, m, _, ratio = pair_likelihoods(bank.x, bank.P, z, R, 13.8, 0.9, 0.05)
    w = jpda_weights(2, t, m, ratio, 0.1)

    def lr(inn):
        return 0.9 * np.exp(-0.5 * inn.nis) / (2 * np.pi * np.sqrt(np.linalg.det(inn.S))) / 0.05

    bank.mixture_update(np.unique(w.t), w, z, R, lr)
    mu = bank.s.mu
    assert np.allclose(mu.sum(1), 1) and (mu > 0).all()
    assert np.all(np.linalg.eigvalsh(bank.P) > 0)
    assert abs(bank.x[1, 0] - 3.0) < 0.05  # the second track took its own measurement


@pytest.mark.parametrize("association", ["gnn", "jpda", "enn-jpda"])
def test_two_walkers_crossing_keep_their_ids(association):
    """Two bodies cross at right angles, 0.3 s apart at the crossing point, seen at 10 Hz with 0.1 m
    noise; each track must still follow its own body afterwards."""
    rng = np.random.default_rng(1)
    tr = Tracker(TrackerConfig(association=association, filter="imm"))
    R = np.diag([0.01, 0.01])
    for k in range(60):
        t = k * 0.1
        a = np.array([-3.0 + 1.0 * t, 0.0])  # along x, at the origin at t = 3
        b = np.array([0.0, -3.3 + 1.0 * t])  # along y, at the origin at t = 3.3
        z = np.array([a, b]) + rng.normal(0, 0.1, (2, 2))
        tr.update_positions(t, z, np.array([R, R]))
        if k == 10:
            ids = {s.id: s.x[:2] for s in tr.states(confirmed_only=True)}
            start = {
                tid: int(np.argmin([np.linalg.norm(p - a), np.linalg.norm(p - b)])) for tid, p in ids.items()
            }
    end = {s.id: s.x[:2] for s in tr.states(confirmed_only=True)}
    assert len(start) == 2 and set(end) == set(start)
    for tid, p in end.items():
        body = [a, b][start[tid]]
        assert np.linalg.norm(p - body) < 0.5, (association, tid, p, body)


def _scene_where_enn_and_gnn_differ():
    """Three confirmed tracks of unequal certainty and three measurements on which the assignment of
    least total Mahalanobis distance and the one of greatest total probability differ."""
    from fusion.association import gate_threshold, gnn, position_distances

    rng = np.random.default_rng(0)
    gate = gate_threshold(2, 0.999)
    for _ in range(5000):
        x = np.column_stack([rng.uniform(0, 3, (3, 2)), np.zeros((3, 2))])
        P = np.array([np.diag([s, s, 1.0, 1.0]) for s in rng.uniform(0.01, 0.5, 3)])
        z = x[:, :2] + rng.normal(0, 0.4, (3, 2))
        R = np.repeat(np.diag([0.05, 0.05])[None], 3, 0)
        r1, c1 = gnn(position_distances(x, P, z, R), gate)
        t, m, _, ratio = pair_likelihoods(x, P, z, R, gate, 0.9, 0.2)
        r2, c2 = enn_assignment(jpda_weights(3, t, m, ratio, 1 - 0.9 * 0.999))
        if set(zip(r1.tolist(), c1.tolist(), strict=True)) != set(zip(r2.tolist(), c2.tolist(), strict=True)):
            return x, P, z, R, (r2, c2)
    raise AssertionError("no such scene")


def test_the_tracker_applies_the_enn_assignment_when_asked():
    """Regression: `association: enn-jpda` fell through to GNN (every run scored as GNN's)."""
    from fusion.kalman import update

    x, P, z, R, (rows, cols) = _scene_where_enn_and_gnn_differ()
    tr = Tracker(TrackerConfig(association="enn-jpda", filter="numpy", clutter_density=0.2))
    tr.bank.append(x, P)
    tr.tracks.append([1, 2, 3], ["worker"] * 3)
    tr.tracks.confirmed[:] = True
    tr.time = 0.0
    tr.update_positions(0.0, z, R)
    want_x, want_P = x.copy(), P.copy()  # a track the assignment leaves alone keeps its state
    want_x[rows], want_P[rows], _ = update(x[rows], P[rows], z[cols], R[cols])
    np.testing.assert_allclose(tr.bank.x, want_x, atol=1e-12)
    np.testing.assert_allclose(tr.bank.P, want_P, atol=1e-12)

"""Per-sensor bias states: exact against the batch posterior, the plain IMM when the bias share is 0, and
consistent where errors carry over from scan to scan (where the plain IMM is over-confident)."""

from __future__ import annotations

import numpy as np
import pytest

from fusion.filter_bank import ImmBank
from fusion.kalman import update
from fusion.motion import cv_process_noise, cv_transition
from fusion.sensor_bias import BiasedImmBank, BiasModel, biased_predict


def _gauss_markov_run(rng, steps, dt, f, tau, R, runs):
    """A body at constant velocity seen by one sensor whose error is a Gauss–Markov offset (share f of R,
    time constant tau) plus white noise: true positions (steps, runs, 2) and detections."""
    L = np.linalg.cholesky(R)
    a = np.exp(-dt / tau)
    v = np.array([1.0, 0.5])
    p = np.cumsum(np.full((steps, runs, 2), v * dt), 0) - v * dt
    b = np.sqrt(f) * rng.normal(size=(runs, 2)) @ L.T
    z = np.empty_like(p)
    for k in range(steps):
        if k:
            b = a * b + np.sqrt((1 - a * a) * f) * rng.normal(size=(runs, 2)) @ L.T
        z[k] = p[k] + b + np.sqrt(1 - f) * rng.normal(size=(runs, 2)) @ L.T
    return p, z, v


def _position_nees(bank, f, tau, seed=0, runs=200, steps=150, dt=0.1):
    rng = np.random.default_rng(seed)
    R = np.diag([0.3**2, 0.1**2])
    p, z, _ = _gauss_markov_run(rng, steps, dt, f, tau, R, runs)
    P0 = np.tile(np.diag([0.0, 0.0, 4.0, 4.0]), (runs, 1, 1))
    P0[:, :2, :2] = R
    Rs = np.tile(R, (runs, 1, 1))
    bank.append(np.column_stack([z[0], np.zeros((runs, 2))]), P0, "cam", Rs)
    out = []
    for k in range(1, steps):
        bank.predict(dt, 0.05)
        bank.update(np.arange(runs), z[k], Rs, "cam")
        if k > 50:
            e = p[k] - bank.x[:, :2]
            out.append(np.einsum("ni,ni->n", e, np.linalg.solve(bank.P[:, :2, :2], e[..., None])[..., 0]))
    return float(np.mean(out))


def test_errors_that_carry_over_leave_the_plain_imm_over_confident_and_the_biased_one_consistent():
    plain = _position_nees(ImmBank(), 0.5, 1.0)
    biased = _position_nees(BiasedImmBank(BiasModel(0.5, 1.0)), 0.5, 1.0)
    assert plain > 3.5  # 2 if consistent: it averages away errors that do not average
    assert 1.5 < biased < 2.5


def test_no_bias_share_is_the_plain_imm():
    rng = np.random.default_rng(3)
    plain, biased = ImmBank(), BiasedImmBank(BiasModel(0.0, 1.0))
    x0 = np.column_stack([rng.normal(size=(6, 2)), rng.normal(size=(6, 2))])
    P0 = np.tile(np.diag([0.1, 0.1, 1.0, 1.0]), (6, 1, 1))
    for bank in (plain, biased):
        bank.append(x0, P0)
    for k in range(30):
        rows = np.sort(rng.choice(6, 4, replace=False))
        z, R = rng.normal(size=(4, 2)) + x0[rows, :2], np.tile(np.eye(2) * 0.05, (4, 1, 1))
        for bank in (plain, biased):
            bank.predict(0.1, 0.5)
            bank.update(rows, z, R, f"s{k % 3}")
    assert np.allclose(plain.x, biased.x, atol=1e-9) and np.allclose(plain.P, biased.P, atol=1e-9)


def test_augmented_filter_equals_the_batch_posterior():
    """Constant velocity plus one Gauss–Markov offset, filtered step by step, against the posterior of the
    final state given every detection, conditioned in one piece (each quantity a linear map of the
    independent noises)."""
    rng = np.random.default_rng(7)
    dt, q, f, tau, steps = 0.1, 0.8, 0.6, 0.7, 12
    R = np.array([[0.09, 0.02], [0.02, 0.04]])
    a = np.exp(-dt / tau)
    m0, P0 = np.array([1.0, 2.0, 0.5, -0.3]), np.diag([0.2, 0.3, 1.0, 1.5])
    # Independent standard normals: x0 (4), b0 (2), then per step process (4), offset (2), white (2).
    n_src = 6 + steps * 8
    F, Q = cv_transition(np.array([dt]))[0], cv_process_noise(np.array([dt]), q)[0]
    Lq, Lr = np.linalg.cholesky(Q), np.linalg.cholesky(R)
    X = np.zeros((4, n_src))
    X[:, :4] = np.linalg.cholesky(P0)
    B = np.zeros((2, n_src))
    B[:, 4:6] = np.sqrt(f) * Lr
    Z, mz = [], []
    for k in range(steps):
        c = 6 + 8 * k
        X = F @ X
        X[:, c : c + 4] += Lq
        B = a * B
        B[:, c + 4 : c + 6] += np.sqrt((1 - a * a) * f) * Lr
        W = np.zeros((2, n_src))
        W[:, c + 6 : c + 8] = np.sqrt(1 - f) * Lr
        Z.append(X[:2] + B + W)
        mz.append((np.linalg.matrix_power(F, k + 1) @ m0)[:2])
    Z, mz = np.concatenate(Z), np.concatenate(mz)
    xi = rng.normal(size=n_src)
    z = mz + Z @ xi
    S = np.vstack([X, B])  # final state [x, b]
    mS = np.r_[np.linalg.matrix_power(F, steps) @ m0, 0.0, 0.0]
    G = S @ Z.T @ np.linalg.inv(Z @ Z.T)
    mean_ref, cov_ref = mS + G @ (z - mz), S @ S.T - G @ Z @ S.T

    x = np.r_[m0, 0.0, 0.0][None]
    P = np.zeros((1, 6, 6))
    P[0, :4, :4], P[0, 4:, 4:] = P0, f * R
    H = np.hstack([np.eye(2), np.zeros((2, 2)), np.eye(2)])[None]
    for k in range(steps):
        x, P = biased_predict(x, P, np.array([dt]), np.array([q]), np.array([a]), (f * R)[None, None], False)
        x, P, _ = update(x, P, z[2 * k : 2 * k + 2][None], (1 - f) * R[None], H)
    assert np.allclose(x[0], mean_ref, atol=1e-9) and np.allclose(P[0], cov_ref, atol=1e-9)


def test_a_track_started_by_a_sensor_expects_that_sensors_next_detection_within_white_noise():
    bank = BiasedImmBank(BiasModel(0.6, 1.0))
    R = np.array([[[0.2, 0.05], [0.05, 0.1]]])
    P0 = np.zeros((1, 4, 4))
    P0[0, :2, :2], P0[0, 2:, 2:] = R[0], np.eye(2)
    bank.append(np.array([[3.0, 4.0, 0.0, 0.0]]), P0, "lidar", R)
    view = bank.offset_view("lidar")
    assert view.live.tolist() == [True]
    assert np.allclose(view.z, [[3.0, 4.0]]) and np.allclose(view.S, 0.4 * R)  # (1 − f) R
    assert bank.offset_view("camera") is None  # a sensor that never measured: no offset yet
    bank.update(np.array([0]), np.array([[3.1, 4.0]]), R, "camera")  # its first detection draws one
    assert bank.offset_view("camera").live.tolist() == [True] and bank.x.shape == (1, 4)


def test_bias_model_refuses_a_share_outside_its_range():
    with pytest.raises(ValueError, match="fraction"):
        BiasModel(1.0, 1.0)
    with pytest.raises(ValueError, match="time_s"):
        BiasModel(0.5, 0.0)


def test_a_tracker_refuses_bias_states_with_jpda_at_construction():
    from fusion.tracker import Tracker, TrackerConfig

    with pytest.raises(ValueError, match="association gnn"):
        Tracker(TrackerConfig(filter="imm-bias", association="jpda"))

"""Batched filters against filterpy (the reference), convergence, and NEES consistency."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import ExtendedKalmanFilter, KalmanFilter
from scipy.stats import chi2

from fusion.kalman import bearing_model, ekf_update, predict, range_model, ukf_update, update
from fusion.motion import cv_process_noise, cv_transition

H_POS = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])


def _random_track(rng):
    x = rng.normal(0, 10, 4)
    A = rng.normal(0, 1, (4, 4))
    return x, A @ A.T + np.eye(4)


def test_batched_kf_equals_filterpy_over_long_random_sequences():
    rng = np.random.default_rng(0)
    n, steps = 25, 400
    tracks = [_random_track(rng) for _ in range(n)]
    q = rng.uniform(0.1, 2.0, n)
    x = np.array([t[0] for t in tracks])
    P = np.array([t[1] for t in tracks])
    refs = []
    for (x0, P0), qi in zip(tracks, q, strict=True):
        kf = KalmanFilter(dim_x=4, dim_z=2)
        kf.x, kf.P, kf.H = x0.copy(), P0.copy(), H_POS
        refs.append((kf, qi))
    worst = 0.0
    for _ in range(steps):
        dt = rng.uniform(0.02, 0.3, n)
        z = rng.normal(0, 10, (n, 2))
        Rs = np.array([np.diag(rng.uniform(0.01, 1.0, 2)) for _ in range(n)])
        x, P = predict(x, P, dt, q)
        x, P, _ = update(x, P, z, Rs)
        for k, (kf, qi) in enumerate(refs):
            kf.F, kf.Q = cv_transition(dt[k])[0], cv_process_noise(dt[k], qi)[0]
            kf.predict()
            kf.update(z[k], R=Rs[k])
            worst = max(worst, np.abs(kf.x.ravel() - x[k]).max(), np.abs(kf.P - P[k]).max())
    assert worst <= 1e-9


@pytest.mark.parametrize("n", [1, 3])
def test_predict_and_update_leave_their_inputs_untouched(n):
    """Regression: predict worked on a (4, 4, n) view that, for one track, was P itself, and changed the
    caller's covariance in place (a track's reported state then moved on every look)."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (n, 4))
    A = rng.normal(0, 1, (n, 4, 4))
    P = A @ A.transpose(0, 2, 1) + np.eye(4)
    z, R = rng.normal(0, 1, (n, 2)), np.broadcast_to(np.eye(2) * 0.1, (n, 2, 2))
    x0, P0 = x.copy(), P.copy()
    x1, P1 = predict(x, P, 0.5, 1.0)
    update(x1, P1, z, R)
    x1c, P1c = x1.copy(), P1.copy()
    update(x1, P1, z, R)
    assert np.array_equal(x, x0) and np.array_equal(P, P0)
    assert np.array_equal(x1, x1c) and np.array_equal(P1, P1c)


def test_batched_ekf_equals_filterpy_for_range_and_bearing():
    rng = np.random.default_rng(1)
    n, steps = 10, 300
    anchors = rng.uniform(0, 20, (n, 3))
    origins = rng.uniform(0, 20, (n, 2))
    x = np.column_stack([rng.uniform(0, 20, (n, 2)), rng.normal(0, 1, (n, 2))])
    P = np.array([np.diag([4.0, 4.0, 1.0, 1.0])] * n)
    refs = []
    for k in range(n):
        e = ExtendedKalmanFilter(dim_x=4, dim_z=1)
        e.x, e.P = x[k].copy().reshape(4, 1), P[k].copy()
        refs.append(e)
    r_hx, r_jac = range_model(anchors)
    b_hx, b_jac, b_res = bearing_model(origins)
    worst = 0.0
    for step in range(steps):
        dt = 0.1
        x, P = predict(x, P, dt, 0.5)
        use_range = step % 2 == 0
        if use_range:
            z = r_hx(x) + rng.normal(0, 0.3, (n, 1))
            R = np.array([[0.09]])
            x, P, _ = ekf_update(x, P, z, R, r_hx, r_jac)
        else:
            z = b_hx(x) + rng.normal(0, 0.02, (n, 1))
            R = np.array([[0.0004]])
            x, P, _ = ekf_update(x, P, z, R, b_hx, b_jac, b_res)
        for k, e in enumerate(refs):
            e.F, e.Q = cv_transition(dt)[0], cv_process_noise(dt, 0.5)[0]
            e.predict()
            if use_range:
                hx = lambda s, k=k: range_model(anchors[k : k + 1])[0](s.reshape(1, 4)).reshape(1, 1)  # noqa: E731
                jac = lambda s, k=k: range_model(anchors[k : k + 1])[1](s.reshape(1, 4))[0]  # noqa: E731
                e.update(z[k].reshape(1, 1), jac, hx, R=R)
            else:
                hx = lambda s, k=k: bearing_model(origins[k : k + 1])[0](s.reshape(1, 4)).reshape(1, 1)  # noqa: E731
                jac = lambda s, k=k: bearing_model(origins[k : k + 1])[1](s.reshape(1, 4))[0]  # noqa: E731
                e.update(z[k].reshape(1, 1), jac, hx, R=R, residual=b_res)
            worst = max(worst, np.abs(e.x.ravel() - x[k]).max(), np.abs(e.P - P[k]).max())
    assert worst <= 1e-9


@pytest.mark.parametrize("method", ["ekf", "ukf"])
def test_range_only_filter_with_three_readers_converges_from_a_wrong_start(method):
    rng = np.random.default_rng(2)
    readers = np.array([[0.0, 0.0, 1.5], [12.0, 0.0, 1.5], [6.0, 10.0, 1.5]])
    truth = np.array([7.0, 4.0])
    x = np.array([[1.0, 9.0, 0.0, 0.0]])
    P = np.diag([25.0, 25.0, 0.25, 0.25])[None]
    for step in range(90):
        x, P = predict(x, P, 0.1, 0.01)
        a = readers[step % 3][None]
        hx, jac = range_model(a)
        z = np.array([[np.linalg.norm(np.r_[truth - a[0, :2], -a[0, 2]]) + rng.normal(0, 0.1)]])
        if method == "ekf":
            x, P, _ = ekf_update(x, P, z, np.array([[0.01]]), hx, jac)
        else:
            # hx for the UKF maps every sigma point, so the anchor is repeated for each.
            x, P, _ = ukf_update(
                x, P, z, np.array([[0.01]]), lambda s, a=a: range_model(np.repeat(a, len(s), 0))[0](s)
            )
    assert np.linalg.norm(x[0, :2] - truth) < 0.1
    assert np.trace(P[0, :2, :2]) < 0.02


def test_nees_of_a_cv_target_over_50_monte_carlo_runs_is_in_the_chi2_band():
    rng = np.random.default_rng(3)
    runs, steps, dt, q, r = 50, 100, 0.1, 0.5, 0.2
    Q = cv_process_noise(dt, q)[0]
    F = cv_transition(dt)[0]
    L = np.linalg.cholesky(Q)
    truth = np.tile([0.0, 0.0, 1.0, 0.5], (runs, 1))
    x = truth + rng.normal(0, 1, (runs, 4)) * [1, 1, 0.5, 0.5]
    P = np.tile(np.diag([1.0, 1.0, 0.25, 0.25]), (runs, 1, 1))
    nees = np.zeros((steps, runs))
    for k in range(steps):
        truth = truth @ F.T + rng.standard_normal((runs, 4)) @ L.T
        z = truth[:, :2] + rng.normal(0, r, (runs, 2))
        x, P = predict(x, P, dt, q)
        x, P, _ = update(x, P, z, np.eye(2) * r * r)
        e = truth - x
        nees[k] = np.einsum("ni,ni->n", e, np.linalg.solve(P, e[..., None])[..., 0])
    lo, hi = chi2.ppf([0.025, 0.975], 4 * runs) / runs
    assert np.isclose(lo, 3.26, atol=0.01) and np.isclose(hi, 4.82, atol=0.01)
    mean = nees.mean(axis=1)
    assert lo <= mean.mean() <= hi
    assert np.mean((mean >= lo) & (mean <= hi)) >= 0.9  # ≈ 95 % of steps expected inside


def test_ukf_is_exact_for_a_linear_measurement():
    rng = np.random.default_rng(5)
    n = 30
    x = rng.normal(0, 5, (n, 4))
    A = rng.normal(0, 1, (n, 4, 4))
    P = A @ A.transpose(0, 2, 1) + np.eye(4)
    z = rng.normal(0, 5, (n, 2))
    R = np.eye(2) * 0.3
    xk, Pk, _ = update(x, P, z, R)
    xu, Pu, _ = ukf_update(x, P, z, R, lambda s: s[:, :2])
    assert np.abs(xk - xu).max() < 1e-9 and np.abs(Pk - Pu).max() < 1e-9

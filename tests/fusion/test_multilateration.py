"""Multilateration recovers a point from exact ranges, and its covariance matches the scatter."""

from __future__ import annotations

import numpy as np

from fusion.multilateration import multilaterate

ANCHORS = np.array([[0.0, 0.0, 1.5], [10.0, 0.0, 1.5], [5.0, 8.0, 1.5]])


def _ranges(p):
    return np.linalg.norm(
        np.column_stack([p[0] - ANCHORS[:, 0], p[1] - ANCHORS[:, 1], -ANCHORS[:, 2]]), axis=1
    )


def test_exact_ranges_give_the_point():
    p = np.array([6.0, 3.0])
    est, _ = multilaterate(ANCHORS, _ranges(p), np.full(3, 0.1), x0=np.array([2.0, 6.0]))
    assert np.allclose(est, p, atol=1e-6)


def test_covariance_matches_monte_carlo_scatter():
    rng = np.random.default_rng(0)
    p, sigma = np.array([6.0, 3.0]), 0.05
    ests = []
    for _ in range(400):
        est, cov = multilaterate(ANCHORS, _ranges(p) + rng.normal(0, sigma, 3), np.full(3, sigma), p + 1.0)
        ests.append(est)
    scatter = np.cov(np.array(ests).T)
    assert np.allclose(scatter, cov, rtol=0.25, atol=1e-5)

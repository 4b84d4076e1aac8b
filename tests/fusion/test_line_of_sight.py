"""Detections moved to body centres along the sensor's line of sight (closed forms)."""

from __future__ import annotations

import numpy as np

from fusion.line_of_sight import LineOfSightModel, to_centres


def test_centre_lies_beyond_the_near_face_and_spread_is_added_in_the_line_of_sight_frame():
    m = LineOfSightModel(bias_along_m=0.3, add_var_along_m2=0.04, add_var_across_m2=0.01)
    z = np.array([[3.0, 4.0], [0.0, -2.0]])  # 5 m along (0.6, 0.8); 2 m along (0, -1)
    R = np.stack([np.eye(2) * 0.01] * 2)
    zc, Rc = to_centres(z, R, np.zeros(2), [m, LineOfSightModel()])
    np.testing.assert_allclose(zc, [[3.18, 4.24], [0.0, -2.0]])
    u, n = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    np.testing.assert_allclose(Rc[0], np.eye(2) * 0.01 + 0.04 * np.outer(u, u) + 0.01 * np.outer(n, n))
    np.testing.assert_allclose(Rc[1], R[1])
    # Variance along and across read back as the reported plus the added.
    assert np.isclose(u @ Rc[0] @ u, 0.05) and np.isclose(n @ Rc[0] @ n, 0.02)


def test_scaling_the_spread_along_and_across_keeps_the_correlation():
    """R in the line-of-sight frame [[a, c], [c, b]] becomes [[ka·a, √(ka kc)·c], [√(ka kc)·c, kc·b]]."""
    u, n = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    U = np.column_stack([u, n])
    los = np.array([[0.09, 0.02], [0.02, 0.01]])
    R = U @ los @ U.T
    m = LineOfSightModel(scale_along=4.0, scale_across=0.25)
    _, Rc = to_centres(np.array([[3.0, 4.0]]), R[None], np.zeros(2), [m])
    expected = np.array([[0.36, 0.02], [0.02, 0.0025]])
    np.testing.assert_allclose(U.T @ Rc[0] @ U, expected, atol=1e-12)


def test_a_power_law_maps_each_axis_variance_and_keeps_the_correlation_coefficient():
    """Along: 0.25 · 0.04 · (0.09 / 0.04)² = 0.050625; across: 2 · 0.01 · (0.01 / 0.01)^0.5 = 0.02; the
    correlation coefficient of the reported covariance is unchanged."""
    u, n = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    U = np.column_stack([u, n])
    los = np.array([[0.09, 0.02], [0.02, 0.01]])
    R = U @ los @ U.T
    m = LineOfSightModel(
        scale_along=0.25, power_along=2.0, ref_var_along_m2=0.04,
        scale_across=2.0, power_across=0.5, ref_var_across_m2=0.01,
    )  # fmt: skip
    _, Rc = to_centres(np.array([[3.0, 4.0]]), R[None], np.zeros(2), [m])
    out = U.T @ Rc[0] @ U
    np.testing.assert_allclose(np.diag(out), [0.050625, 0.02], rtol=1e-12)
    rho = los[0, 1] / np.sqrt(los[0, 0] * los[1, 1])
    np.testing.assert_allclose(out[0, 1] / np.sqrt(out[0, 0] * out[1, 1]), rho, rtol=1e-12)


def test_the_along_variance_follows_the_across_one_with_a_negative_power():
    """Along: 0.5 · 0.04 · (0.09 / 0.04)^−1 · (0.01 / 0.04)^−2 = 0.1422…; across: 1 · 0.04 · (0.01 / 0.04)^−1
    = 0.16: a detection narrow across (a piece of a body) is given the wider spread on both axes; the
    correlation coefficient is kept."""
    u, n = np.array([0.6, 0.8]), np.array([-0.8, 0.6])
    U = np.column_stack([u, n])
    los = np.array([[0.09, 0.01], [0.01, 0.01]])
    R = U @ los @ U.T
    m = LineOfSightModel(
        scale_along=0.5, power_along=-1.0, ref_var_along_m2=0.04, across_power=-2.0,
        scale_across=1.0, power_across=-1.0, ref_var_across_m2=0.04,
    )  # fmt: skip
    _, Rc = to_centres(np.array([[3.0, 4.0]]), R[None], np.zeros(2), [m])
    out = U.T @ Rc[0] @ U
    np.testing.assert_allclose(np.diag(out), [0.5 * 0.04 / 2.25 * 16, 0.16], rtol=1e-12)
    rho = los[0, 1] / np.sqrt(los[0, 0] * los[1, 1])
    np.testing.assert_allclose(out[0, 1] / np.sqrt(out[0, 0] * out[1, 1]), rho, rtol=1e-12)

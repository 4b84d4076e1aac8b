"""Gates at the χ² quantiles; GNN resolves conflicts; covariance intersection matches its closed form."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from fusion.association import gate_threshold, gnn, position_distances
from fusion.covariance_intersection import ci_fuse


@pytest.mark.parametrize("dim,value", [(1, 6.635), (2, 9.210), (3, 11.345)])
def test_gate_is_the_99_percent_chi2_quantile(dim, value):
    assert np.isclose(gate_threshold(dim), value, atol=1e-3)
    assert np.isclose(gate_threshold(dim), chi2.ppf(0.99, dim))


def test_position_distances_match_the_direct_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 5, (7, 4))
    P = np.array([(lambda A: A @ A.T + np.eye(4))(rng.normal(0, 1, (4, 4))) for _ in range(7)])
    z = rng.normal(0, 5, (5, 2))
    R = np.array([(lambda A: A @ A.T + 0.1 * np.eye(2))(rng.normal(0, 1, (2, 2))) for _ in range(5)])
    d2 = position_distances(x, P, z, R)
    for i in range(7):
        for j in range(5):
            nu = z[j] - x[i, :2]
            assert np.isclose(d2[i, j], nu @ np.linalg.inv(P[i, :2, :2] + R[j]) @ nu)


def test_gnn_prefers_the_global_optimum_over_greedy_choices():
    # Greedy would give track 0 measurement 0 (cost 1) and leave track 1 with measurement 1 (cost 8);
    # the global optimum pairs 0-1 (2) and 1-0 (2).
    d2 = np.array([[1.0, 2.0], [2.0, 8.0]])
    rows, cols = gnn(d2, gate=9.21)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (1, 0)]


def test_gnn_never_assigns_outside_the_gate_and_leaves_extras_unassigned():
    d2 = np.array([[0.5, 50.0, 3.0], [40.0, 60.0, 70.0]])
    rows, cols = gnn(d2, gate=9.21)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0)]
    assert gnn(np.zeros((0, 3)), 9.21)[0].size == 0


def test_covariance_intersection_matches_the_closed_form():
    a, b = np.array([1.0, 2.0]), np.array([2.0, 0.0])
    Pa, Pb = np.diag([1.0, 4.0]), np.diag([4.0, 1.0])
    x, P, w = ci_fuse(a, Pa, b, Pb)
    # By symmetry ω = 1/2: P⁻¹ = ½ diag(1, 1/4) + ½ diag(1/4, 1) = diag(5/8, 5/8).
    assert np.isclose(w, 0.5, atol=1e-6)
    assert np.allclose(P, np.eye(2) * 8 / 5, atol=1e-6)
    assert np.allclose(x, (8 / 5) * (0.5 * np.array([1.0, 0.5]) + 0.5 * np.array([0.5, 0.0])), atol=1e-6)
    # A much better estimate gets all the weight, and fusing with it changes nothing.
    x, P, w = ci_fuse(a, Pa * 1e-4, b, Pb)
    assert w > 0.999 and np.allclose(x, a, atol=1e-3)
    # ω minimises the trace: any other ω gives a larger one.
    for other in np.linspace(0, 1, 21):
        assert (
            np.trace(ci_fuse(a, Pa, b, np.diag([9.0, 2.0]), omega=other)[1])
            >= np.trace(ci_fuse(a, Pa, b, np.diag([9.0, 2.0]))[1]) - 1e-9
        )

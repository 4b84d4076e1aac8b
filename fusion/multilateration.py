"""Position from ranges to known anchors: weighted least squares by Gauss–Newton.

Used to start RFID-only tracks when several readers see a tag: minimise Σ ((‖p − a_k‖ − r_k) / σ_k)²
over the floor position p (anchors carry their height above the tag). The covariance is the inverse of
the Gauss–Newton information Jᵀ W J at the solution; with two anchors the problem has a mirror solution,
and the one nearer the initial guess is returned.
"""

from __future__ import annotations

import numpy as np


def multilaterate(
    anchors: np.ndarray, ranges: np.ndarray, sigma: np.ndarray, x0: np.ndarray, iterations: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Floor position (2,) and its covariance (2, 2) from ranges (k,) to anchors (k, 3)."""
    p = np.asarray(x0, float).copy()
    w = 1.0 / np.asarray(sigma, float) ** 2
    for _ in range(iterations):
        d = np.column_stack([p[0] - anchors[:, 0], p[1] - anchors[:, 1], -anchors[:, 2]])
        r = np.maximum(np.linalg.norm(d, axis=1), 1e-6)
        J = d[:, :2] / r[:, None]
        info = J.T @ (w[:, None] * J) + 1e-9 * np.eye(2)
        step = np.linalg.solve(info, J.T @ (w * (ranges - r)))
        p += step
        if np.linalg.norm(step) < 1e-9:
            break
    d = np.column_stack([p[0] - anchors[:, 0], p[1] - anchors[:, 1], -anchors[:, 2]])
    J = d[:, :2] / np.maximum(np.linalg.norm(d, axis=1), 1e-6)[:, None]
    return p, np.linalg.inv(J.T @ (w[:, None] * J) + 1e-9 * np.eye(2))

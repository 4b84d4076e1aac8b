"""Gating and global-nearest-neighbour assignment of measurements to tracks.

Gates are the χ² quantile of the measurement dimension (99 %: 9.21 for 2D positions, 6.63 for a range);
assignment minimises the total Mahalanobis distance with `scipy.optimize.linear_sum_assignment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

GATE_PROBABILITY = 0.99
_FORBIDDEN = 1e12  # cost of a pair outside the gate


@cache
def gate_threshold(dim: int, probability: float = GATE_PROBABILITY) -> float:
    """Squared Mahalanobis distance inside which a measurement of dimension `dim` may be associated."""
    return float(chi2.ppf(probability, dim))


def position_distances(x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distances (tracks, measurements) between track positions and 2D measurements:
    d² = νᵀ (H P Hᵀ + R)⁻¹ ν, with the 2×2 inverse in closed form, all pairs at once."""
    return position_innovations(x, P, z, R)[0]


def position_innovations(x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray):
    """(d², det S) of every (track, measurement) pair: `position_distances` and the innovation
    covariance's determinant (for Gaussian likelihoods)."""
    nu = z[None, :, :] - x[:, None, :2]  # (t, m, 2)
    S = P[:, None, :2, :2] + R[None, :, :, :]  # (t, m, 2, 2)
    a, b, c, d = S[..., 0, 0], S[..., 0, 1], S[..., 1, 0], S[..., 1, 1]
    det = a * d - b * c
    u, v = nu[..., 0], nu[..., 1]
    return (d * u * u - (b + c) * u * v + a * v * v) / det, det


def gnn(d2: np.ndarray, gate: float) -> tuple[np.ndarray, np.ndarray]:
    """Global nearest neighbour: (track rows, measurement columns) of the assignment of least total
    distance among pairs inside the gate."""
    if d2.size == 0:
        return np.zeros(0, int), np.zeros(0, int)
    cost = np.where(d2 <= gate, d2, _FORBIDDEN)
    rows, cols = linear_sum_assignment(cost)
    ok = cost[rows, cols] < _FORBIDDEN
    return rows[ok], cols[ok]


def staged_gnn(d2: np.ndarray, gate: float, priority: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GNN in stages: tracks of a lower `priority` level (per track; a mask counts True as first) take
    their measurements before the next level may, so a tentative track never wins a measurement from a
    confirmed one."""
    priority = np.asarray(priority)
    levels = (~priority).astype(int) if priority.dtype == bool else priority
    left = np.arange(d2.shape[1])
    rows, cols = [], []
    for level in np.unique(levels):
        a = np.flatnonzero(levels == level)
        r, c = gnn(d2[np.ix_(a, left)], gate)
        rows.append(a[r])
        cols.append(left[c])
        keep = np.ones(len(left), bool)  # left stays sorted: a mask, not setdiff1d's sort
        keep[c] = False
        left = left[keep]
    return np.concatenate(rows), np.concatenate(cols)


@dataclass(frozen=True)
class GnnAssociator:
    """Position measurements to tracks: χ² gate at `gate_probability`, then global nearest neighbour,
    confirmed tracks first when a priority mask is given (`staged_gnn`)."""

    gate_probability: float = GATE_PROBABILITY

    def associate(self, x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray, first=None):
        """(track rows, measurement columns, all squared distances (tracks, measurements))."""
        d2 = position_distances(x, P, z, R)
        return *self.assign(d2, first), d2

    def assign(self, d2: np.ndarray, first=None) -> tuple[np.ndarray, np.ndarray]:
        """(track rows, measurement columns) from squared distances computed elsewhere (a measurement
        read differently per track: `ClassConditioned`)."""
        gate = gate_threshold(2, self.gate_probability)
        return gnn(d2, gate) if first is None else staged_gnn(d2, gate, first)

"""Kalman filter steps batched over tracks (no per-track Python loop).

`predict` propagates every track with the nearly-constant-velocity model; `update` is the linear Kalman
update in Joseph form, `ekf_update` its linearised version for non-linear measurements (range, bearing).
Both follow filterpy 2.0's arithmetic (K = P Hᵀ S⁻¹ with an explicit inverse, Joseph-form covariance), so
a per-track filterpy filter fed the same data agrees to rounding; `tests/fusion/test_kalman.py` checks it.
Per-call overrides in filterpy's spirit: H and R are arguments of each update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fusion.motion import STATE_DIM


@dataclass(frozen=True)
class Innovation:
    """What an update saw: innovation y (n, m), its covariance S (n, m, m) and gain K (n, d, m)."""

    y: np.ndarray
    S: np.ndarray
    K: np.ndarray

    @property
    def nis(self) -> np.ndarray:
        """Normalised innovation squared yᵀ S⁻¹ y per track."""
        return np.einsum("ni,ni->n", self.y, np.linalg.solve(self.S, self.y[..., None])[..., 0])


def predict(x: np.ndarray, P: np.ndarray, dt, q) -> tuple[np.ndarray, np.ndarray]:
    """Propagate states (n, 4) and covariances (n, 4, 4) by dt (scalar or (n,)) with noise intensity q.

    F P Fᵀ for the constant-velocity F = [[I, dt I], [0, I]] is two row and column operations (rows 0–1
    += dt × rows 2–3, then the same on columns), done on a (4, 4, n) copy so that every operation runs
    over contiguous tracks: the same numbers as the matrix products, 3× faster at 1000 tracks."""
    n = len(x)
    dt = np.broadcast_to(np.asarray(dt, float), (n,))
    x_new = x.copy()
    x_new[:, :2] += dt[:, None] * x[:, 2:]
    T = P.transpose(1, 2, 0).copy()  # a copy even where the view is contiguous (one track)
    T[:2] += dt * T[2:]
    T[:, :2] += dt * T[:, 2:]
    # + Q, the white-noise-acceleration blocks q [[dt³/3, dt²/2], [dt²/2, dt]] on each axis.
    q = np.broadcast_to(np.asarray(q, float), (n,))
    a, b, c = q * dt**3 / 3, q * dt**2 / 2, q * dt
    for i in (0, 1):
        T[i, i] += a
        T[i, i + 2] += b
        T[i + 2, i] += b
        T[i + 2, i + 2] += c
    return x_new, np.ascontiguousarray(T.transpose(2, 0, 1))


def _joseph(x, P, y, H, R) -> tuple[np.ndarray, np.ndarray, Innovation]:
    Ht = np.swapaxes(H, -1, -2)
    PHt = P @ Ht
    S = H @ PHt + R
    K = PHt @ np.linalg.inv(S)
    x_new = x + np.einsum("nij,nj->ni", K, y)
    I_KH = np.eye(P.shape[-1]) - K @ H
    P_new = I_KH @ P @ np.swapaxes(I_KH, -1, -2) + K @ R @ np.swapaxes(K, -1, -2)
    return x_new, P_new, Innovation(y, S, K)


def update(x: np.ndarray, P: np.ndarray, z: np.ndarray, R: np.ndarray, H: np.ndarray | None = None):
    """Linear update of n tracks with one measurement each: z (n, m), R (n, m, m) or (m, m), H (m, d) or
    (n, m, d) for states of d ≥ 4 (position and velocity first); the default H picks the position.
    Returns (x, P, Innovation)."""
    n, m = z.shape
    d = x.shape[1]
    if H is None and m == 2:
        return _position_update(x, P, z, np.broadcast_to(R, (n, 2, 2)))
    if H is None:
        H = np.zeros((m, d))
        H[np.arange(m), np.arange(m)] = 1.0
    H = np.broadcast_to(H, (n, m, d))
    R = np.broadcast_to(R, (n, m, m))
    y = z - np.einsum("nij,nj->ni", H, x)
    return _joseph(x, P, y, H, R)


def _position_update(x, P, z, R):
    """`_joseph` for H = [I 0] (a 2D position): the products by H are slices, S⁻¹ is in closed form, and
    the products of the 4×2 and 2×4 blocks are written as broadcast sums over (·, ·, n) copies whose last
    axis runs over tracks (3× faster than batched matmul at 1000 tracks; the same arithmetic to rounding)."""
    T = np.ascontiguousarray(P.transpose(1, 2, 0))  # (4, 4, n)
    Rt = np.ascontiguousarray(R.transpose(1, 2, 0))  # (2, 2, n)
    S = T[:2, :2] + Rt
    det = S[0, 0] * S[1, 1] - S[0, 1] * S[1, 0]
    Si = np.empty_like(S)
    Si[0, 0], Si[1, 1] = S[1, 1] / det, S[0, 0] / det
    Si[0, 1], Si[1, 0] = -S[0, 1] / det, -S[1, 0] / det
    K = _outer_sum(T[:, :2], Si)  # P Hᵀ S⁻¹, (4, 2, n)
    y = (z - x[:, :2]).T
    x_new = x + (K[:, 0] * y[0] + K[:, 1] * y[1]).T
    # Joseph form (I − KH) P (I − KH)ᵀ + K R Kᵀ with H = [I 0]: (I − KH) P = P − K P[:2, :], and
    # right-multiplying by (I − KH)ᵀ subtracts that product's first two columns times Kᵀ.
    Kt = K.transpose(1, 0, 2)
    A = T - _outer_sum(K, T[:2])
    P_new = A - _outer_sum(A[:, :2], Kt) + _outer_sum(_outer_sum(K, Rt), Kt)
    return (
        x_new,
        np.ascontiguousarray(P_new.transpose(2, 0, 1)),
        Innovation(y.T, S.transpose(2, 0, 1), K.transpose(2, 0, 1)),
    )


def _outer_sum(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per track, A (i, 2, n) times B (2, j, n) → (i, j, n): the batched product over a 2-long middle axis."""
    return A[:, 0, None] * B[0][None] + A[:, 1, None] * B[1][None]


def ekf_update(
    x: np.ndarray,
    P: np.ndarray,
    z: np.ndarray,
    R: np.ndarray,
    hx: Callable[[np.ndarray], np.ndarray],
    jacobian: Callable[[np.ndarray], np.ndarray],
    residual: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
):
    """Extended Kalman update: `hx(x)` (n, m) predicted measurements, `jacobian(x)` (n, m, 4) their
    Jacobians at x, optional `residual(z, h)` (e.g. angle wrapping). Returns (x, P, Innovation)."""
    n, m = z.shape
    h = hx(x)
    y = residual(z, h) if residual is not None else z - h
    return _joseph(x, P, y, jacobian(x), np.broadcast_to(R, (n, m, m)))


def range_model(anchors: np.ndarray) -> tuple[Callable, Callable]:
    """hx and Jacobian of the range from each track's (x, y, floor) to a 3D anchor (n, 3) (e.g. an RFID
    antenna); the tag height difference is folded into the anchor's z."""

    def hx(x: np.ndarray) -> np.ndarray:
        d = np.column_stack([x[:, 0] - anchors[:, 0], x[:, 1] - anchors[:, 1], -anchors[:, 2]])
        return np.linalg.norm(d, axis=1)[:, None]

    def jacobian(x: np.ndarray) -> np.ndarray:
        r = np.maximum(hx(x)[:, 0], 1e-6)
        J = np.zeros((len(x), 1, STATE_DIM))
        J[:, 0, 0] = (x[:, 0] - anchors[:, 0]) / r
        J[:, 0, 1] = (x[:, 1] - anchors[:, 1]) / r
        return J

    return hx, jacobian


def bearing_model(origins: np.ndarray) -> tuple[Callable, Callable, Callable]:
    """hx, Jacobian and wrapped residual of the bearing (rad, from +x) from 2D origins (n, 2)."""

    def hx(x: np.ndarray) -> np.ndarray:
        return np.arctan2(x[:, 1] - origins[:, 1], x[:, 0] - origins[:, 0])[:, None]

    def jacobian(x: np.ndarray) -> np.ndarray:
        dx, dy = x[:, 0] - origins[:, 0], x[:, 1] - origins[:, 1]
        r2 = np.maximum(dx * dx + dy * dy, 1e-12)
        J = np.zeros((len(x), 1, STATE_DIM))
        J[:, 0, 0] = -dy / r2
        J[:, 0, 1] = dx / r2
        return J

    def residual(z: np.ndarray, h: np.ndarray) -> np.ndarray:
        return (z - h + np.pi) % (2 * np.pi) - np.pi

    return hx, jacobian, residual


def ukf_update(
    x: np.ndarray,
    P: np.ndarray,
    z: np.ndarray,
    R: np.ndarray,
    hx: Callable[[np.ndarray], np.ndarray],
    residual: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    alpha: float = 1.0,
    beta: float = 2.0,
    kappa: float | None = None,
):
    """Unscented update (Julier & Uhlmann; scaled sigma points of van der Merwe), batched: `hx` maps
    states (k, 4) to measurements (k, m). Exact for linear `hx`; for range and bearing it captures the
    curvature the EKF linearises away. Returns (x, P, Innovation)."""
    n, d = x.shape
    m = z.shape[1]
    kappa = 3.0 - d if kappa is None else kappa
    lam = alpha**2 * (d + kappa) - d
    L = np.linalg.cholesky((d + lam) * P)  # (n, d, d), columns are the sigma offsets
    offsets = np.concatenate([np.zeros((n, 1, d)), L.transpose(0, 2, 1), -L.transpose(0, 2, 1)], axis=1)
    sigmas = x[:, None, :] + offsets  # (n, 2d + 1, d)
    wm = np.full(2 * d + 1, 1.0 / (2 * (d + lam)))
    wc = wm.copy()
    wm[0] = lam / (d + lam)
    wc[0] = wm[0] + 1 - alpha**2 + beta
    Z = hx(sigmas.reshape(-1, d)).reshape(n, 2 * d + 1, m)
    zbar = np.einsum("s,nsm->nm", wm, Z)
    dz = Z - zbar[:, None] if residual is None else residual(Z, zbar[:, None])
    dx = sigmas - x[:, None]
    S = np.einsum("s,nsi,nsj->nij", wc, dz, dz) + np.broadcast_to(R, (n, m, m))
    Pxz = np.einsum("s,nsi,nsj->nij", wc, dx, dz)
    K = Pxz @ np.linalg.inv(S)
    y = z - zbar if residual is None else residual(z, zbar)
    x_new = x + np.einsum("nij,nj->ni", K, y)
    P_new = P - K @ S @ np.swapaxes(K, -1, -2)
    return x_new, 0.5 * (P_new + np.swapaxes(P_new, -1, -2)), Innovation(y, S, K)

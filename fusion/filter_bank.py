"""The filters of all tracks, behind one small interface, so the tracker can run on any of them:

- `NumpyBank`: constant velocity, every step one batched call (the default);
- `FilterpyBank`: the same model run by filterpy 2.0, one `KalmanFilter` per track — the reference
  implementation, selectable to check the batched one or to use filterpy's filters directly;
- `ImmBank`: the IMM of constant velocity and near-stationary (`fusion.imm`), batched.

Every bank keeps its tracks in the order the tracker does; `x` and `P` are the (combined) estimates.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from filterpy.kalman import KalmanFilter
from filterpy.kalman import update as fp_update

from fusion.imm import ImmState, imm_predict, imm_update, imm_update_with, model_weights
from fusion.jpda import JpdaWeights, mixture_update
from fusion.kalman import ekf_update, predict, update
from fusion.motion import cv_process_noise, cv_transition

_H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])


class FilterBank(ABC):
    @property
    @abstractmethod
    def x(self) -> np.ndarray: ...

    @property
    @abstractmethod
    def P(self) -> np.ndarray: ...

    @abstractmethod
    def predict(self, dt: float, q: np.ndarray) -> None: ...

    @abstractmethod
    def update(self, rows: np.ndarray, z: np.ndarray, R: np.ndarray, sensor: str | None = None) -> None:
        """Position update of tracks `rows` with z (k, 2), R (k, 2, 2) from `sensor` (its id, for banks
        that model each sensor's bias: `fusion.sensor_bias`; the others ignore it)."""

    def offset_view(self, sensor: str | None):
        """The tracks as `sensor` sees them, biases included (`fusion.sensor_bias.OffsetView`); None for
        banks without per-sensor biases."""
        return None

    @abstractmethod
    def ekf(self, rows: np.ndarray, z: np.ndarray, R: np.ndarray, hx, jacobian, residual=None) -> None:
        """Extended update of tracks `rows` with z (k, m), R (k, m, m); hx, jacobian over those rows;
        `residual` for angles."""

    @abstractmethod
    def mixture_update(self, rows: np.ndarray, w: JpdaWeights, z: np.ndarray, R: np.ndarray, ratio) -> None:
        """JPDA update of tracks `rows` by every gated measurement, weighted by `w` (`fusion.jpda`);
        `ratio(Innovation)` is a pair's likelihood ratio against clutter (for re-weighting IMM modes)."""

    @abstractmethod
    def append(self, x: np.ndarray, P: np.ndarray, sensor: str | None = None, R=None) -> None:
        """New tracks; `sensor`, R: the detections they start from (for banks with per-sensor biases)."""

    @abstractmethod
    def keep(self, mask: np.ndarray) -> None: ...


class NumpyBank(FilterBank):
    def __init__(self):
        self._x, self._P = np.zeros((0, 4)), np.zeros((0, 4, 4))

    x = property(lambda self: self._x)
    P = property(lambda self: self._P)

    def predict(self, dt, q):
        self._x, self._P = predict(self._x, self._P, dt, q)

    def update(self, rows, z, R, sensor=None):
        self._x[rows], self._P[rows], _ = update(self._x[rows], self._P[rows], z, R)

    def ekf(self, rows, z, R, hx, jacobian, residual=None):
        self._x[rows], self._P[rows], _ = ekf_update(
            self._x[rows], self._P[rows], z, R, hx, jacobian, residual
        )

    def mixture_update(self, rows, w, z, R, ratio):
        self._x[rows], self._P[rows], _ = mixture_update(self._x, self._P, rows, w, z, R)

    def append(self, x, P, sensor=None, R=None):
        self._x, self._P = np.concatenate([self._x, x]), np.concatenate([self._P, P])

    def keep(self, mask):
        self._x, self._P = self._x[mask], self._P[mask]


class FilterpyBank(FilterBank):
    """One filterpy `KalmanFilter` per track, stepped in a Python loop (the reference)."""

    def __init__(self):
        self.filters: list[KalmanFilter] = []

    @property
    def x(self):
        return np.array([f.x.ravel() for f in self.filters]).reshape(-1, 4)

    @property
    def P(self):
        return np.array([f.P for f in self.filters]).reshape(-1, 4, 4)

    def predict(self, dt, q):
        F, Q = (
            cv_transition(np.full(len(self.filters), dt)),
            cv_process_noise(np.full(len(self.filters), dt), q),
        )
        for k, f in enumerate(self.filters):
            f.F, f.Q = F[k], Q[k]
            f.predict()

    def update(self, rows, z, R, sensor=None):
        for r, zk, Rk in zip(rows, z, R, strict=True):
            self.filters[r].update(zk, R=Rk)

    def ekf(self, rows, z, R, hx, jacobian, residual=None):
        x = self.x[rows]
        h, J = hx(x), jacobian(x)
        y = z - h if residual is None else residual(z, h)
        for k, r in enumerate(rows):
            f = self.filters[r]
            # The EKF step is filterpy's linear update with H = J and z replaced by y + J x.
            f.x, f.P = fp_update(f.x, f.P, y[k] + J[k] @ x[k], R[k], J[k])

    def mixture_update(self, rows, w, z, R, ratio):
        def step(x, P, zk, Rk):  # filterpy's update of each hypothesis, one filter copy at a time
            out = [fp_update(xi, Pi, zi, Ri, _H) for xi, Pi, zi, Ri in zip(x, P, zk, Rk, strict=True)]
            n = len(out)
            return (
                np.array([o[0] for o in out]).reshape(n, 4),
                np.array([o[1] for o in out]).reshape(n, 4, 4),
                None,
            )

        x_new, P_new, _ = mixture_update(self.x, self.P, rows, w, z, R, step)
        for k, r in enumerate(rows):
            self.filters[r].x, self.filters[r].P = x_new[k].copy(), P_new[k].copy()

    def append(self, x, P, sensor=None, R=None):
        for xk, Pk in zip(x, P, strict=True):
            f = KalmanFilter(dim_x=4, dim_z=2)
            f.x, f.P, f.H = xk.copy(), Pk.copy(), _H
            self.filters.append(f)

    def keep(self, mask):
        self.filters = [f for f, k in zip(self.filters, mask, strict=True) if k]


class ImmBank(FilterBank):
    def __init__(self):
        self.s = ImmState(np.zeros((0, 2, 4)), np.zeros((0, 2, 4, 4)), np.zeros((0, 2)))
        self._cache = None

    def _combined(self):
        if self._cache is None:
            self._cache = self.s.combined()
        return self._cache

    x = property(lambda self: self._combined()[0])
    P = property(lambda self: self._combined()[1])

    def _set(self, rows, sub: ImmState) -> None:
        self.s.x[rows], self.s.P[rows], self.s.mu[rows] = sub.x, sub.P, sub.mu
        self._cache = None

    def _sub(self, rows) -> ImmState:
        return ImmState(self.s.x[rows], self.s.P[rows], self.s.mu[rows])

    def predict(self, dt, q):
        self.s = imm_predict(self.s, dt, q)
        self._cache = None

    def update(self, rows, z, R, sensor=None):
        self._set(rows, imm_update(self._sub(rows), z, R)[0])

    def ekf(self, rows, z, R, hx, jacobian, residual=None):
        def step(x, P):
            return ekf_update(x, P, z, R, hx, jacobian, residual)

        self._set(rows, imm_update_with(self._sub(rows), step)[0])

    def mixture_update(self, rows, w, z, R, ratio):
        """Each mode's own mixture update; the modes re-weighted by miss + Σ of each pair's likelihood
        ratio under that mode (IMM-PDA with the association from the combined estimate)."""
        sub = self._sub(rows)
        xs, Ps, lik = [], [], []
        slot = np.full(len(self.s.mu), -1)
        slot[rows] = np.arange(len(rows))
        for mode in range(2):
            x_full, P_full = self.s.x[:, mode], self.s.P[:, mode]
            x, P, inn = mixture_update(x_full, P_full, rows, w, z, R)
            xs.append(x)
            Ps.append(P)
            lam = w.miss_weight + np.bincount(slot[w.t], weights=ratio(inn), minlength=len(rows))
            lik.append(lam)
        self._set(rows, ImmState(np.stack(xs, 1), np.stack(Ps, 1), model_weights(sub.mu, np.stack(lik, 1))))

    def append(self, x, P, sensor=None, R=None):
        new = ImmState.start(x, P)
        self.s = ImmState(np.concatenate([self.s.x, new.x]), np.concatenate([self.s.P, new.P]),
                          np.concatenate([self.s.mu, new.mu]))  # fmt: skip
        self._cache = None

    def keep(self, mask):
        self.s = ImmState(self.s.x[mask], self.s.P[mask], self.s.mu[mask])
        self._cache = None


BANKS = {"numpy": NumpyBank, "filterpy": FilterpyBank, "imm": ImmBank}

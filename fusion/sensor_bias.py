"""Each sensor's detection bias on each track, estimated as part of the track's state.

A detection's error mostly carries over to the next detection of the same body by the same sensor (the
same face seen, the same partial occlusion: lag-1 correlation 0.54–0.96 by source and class,
`tools/calibrate_measurements.py`). A Kalman filter that takes scan errors as independent averages them
away and grows over-confident. Coloured measurement noise is handled by augmenting the state with it
(Gelb (ed.), *Applied Optimal Estimation*, 1974, §4.5; Bar-Shalom, Li & Kirubarajan 2001, §8.3): a
detection z = p + b_s + w of sensor s splits its covariance R into a first-order Gauss–Markov offset
b_s ~ N(0, f R) that decays with time constant τ (one per track and sensor, in the state) and white noise
w ~ N(0, (1 − f) R). With f = 0 this is the plain IMM.

`BiasedImmBank` runs the IMM of `fusion.imm` on states [x, y, vx, vy, b₁, b₂, …], a pair of offset
components per sensor that has measured (slots are added as sensors first appear), batched over tracks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.filter_bank import ImmBank
from fusion.imm import STATIONARY_POS_STD, STATIONARY_VEL_STD, ImmState, imm_mix, imm_update_with
from fusion.kalman import ekf_update, update
from fusion.motion import STATE_DIM, cv_process_noise

K = STATE_DIM  # the kinematic block comes first


@dataclass(frozen=True)
class BiasModel:
    """`fraction` f: the share of a detection's covariance that is an offset carried from scan to scan;
    `time_s` τ: how fast that offset changes (its correlation decays as exp(−Δt / τ))."""

    fraction: float = 0.5
    time_s: float = 1.0

    def __post_init__(self):
        if not 0.0 <= self.fraction < 1.0 or self.time_s <= 0:
            raise ValueError("BiasModel: fraction must lie in [0, 1) and time_s be > 0")


@dataclass(frozen=True)
class OffsetView:
    """How tracks look to one sensor: predicted positions p + b_s (n, 2) with covariances (n, 2, 2) for
    the tracks whose offset for it is `live` (n,); the other tracks' offsets are not yet estimated (their
    first detection by this sensor draws one from the prior f R). `white` = 1 − f: the share of each
    detection's covariance to add to the prediction's."""

    z: np.ndarray
    S: np.ndarray
    live: np.ndarray
    white: float


def _blocks(slot: int) -> slice:
    return slice(K + 2 * slot, K + 2 * slot + 2)


def biased_predict(x, P, dt, q, decay, stationary_cov, stationary: bool):
    """One model's prediction of augmented states (n, d), (n, d, d): constant velocity with white-noise
    acceleration q, or (`stationary`) the IMM's near-stationary model; every offset decays by `decay`
    (n,) towards 0 and its covariance towards `stationary_cov` (n, S, 2, 2)."""
    n, d = x.shape
    F = np.zeros((n, d, d))
    F[:, 0, 0] = F[:, 1, 1] = 1.0
    Q = np.zeros((n, d, d))
    if stationary:
        Q[:, 0, 0] = Q[:, 1, 1] = STATIONARY_POS_STD**2 * dt
        Q[:, 2, 2] = Q[:, 3, 3] = STATIONARY_VEL_STD**2
    else:
        F[:, 0, 2] = F[:, 1, 3] = dt
        F[:, 2, 2] = F[:, 3, 3] = 1.0
        Q[:, :K, :K] = cv_process_noise(dt, q)
    idx = np.arange(K, d)
    F[:, idx, idx] = decay[:, None]
    for s in range((d - K) // 2):
        Q[:, _blocks(s), _blocks(s)] = (1.0 - decay**2)[:, None, None] * stationary_cov[:, s]
    Ft = np.swapaxes(F, 1, 2)
    return np.einsum("nij,nj->ni", F, x), F @ P @ Ft + Q


class BiasedImmBank(ImmBank):
    """The IMM (constant velocity + near-stationary) over states augmented with one offset per sensor;
    `x` and `P` are the kinematic part of the combined estimate."""

    def __init__(self, model: BiasModel | None = None):
        super().__init__()
        self.model = model or BiasModel()
        self.sensors: dict[str, int] = {}  # sensor id → its slot
        self.live = np.zeros((0, 0), bool)  # (n, S): the track's offset for that sensor is estimated
        self.cov = np.zeros((0, 0, 2, 2))  # (n, S, 2, 2): each offset's stationary covariance f R

    # ------------------------------------------------------------------------------------- the state
    x = property(lambda self: self._combined()[0][:, :K])
    P = property(lambda self: self._combined()[1][:, :K, :K])

    def _slot(self, sensor: str) -> int:
        """The sensor's slot, added (for every track: not yet live) the first time it measures."""
        if sensor not in self.sensors:
            self.sensors[sensor] = len(self.sensors)
            n = len(self.s.mu)
            self.s = ImmState(
                np.pad(self.s.x, ((0, 0), (0, 0), (0, 2))),
                np.pad(self.s.P, ((0, 0), (0, 0), (0, 2), (0, 2))),
                self.s.mu,
            )
            self.live = np.concatenate([self.live, np.zeros((n, 1), bool)], 1)
            self.cov = np.concatenate([self.cov, np.zeros((n, 1, 2, 2))], 1)
            self._cache = None
        return self.sensors[sensor]

    # ----------------------------------------------------------------------------------- prediction
    def predict(self, dt, q):
        n = len(self.s.mu)
        dt = np.broadcast_to(np.asarray(dt, float), (n,))
        q = np.broadcast_to(np.asarray(q, float), (n,))
        decay = np.exp(-dt / self.model.time_s)
        x0, P0, c = imm_mix(self.s)
        models = [biased_predict(x0[:, m], P0[:, m], dt, q, decay, self.cov, m == 1) for m in (0, 1)]
        self.s = ImmState(np.stack([m[0] for m in models], 1), np.stack([m[1] for m in models], 1), c)
        self._cache = None

    # -------------------------------------------------------------------------------------- updates
    def offset_view(self, sensor: str | None) -> OffsetView | None:
        if sensor is None or sensor not in self.sensors:
            return None
        b = _blocks(self.sensors[sensor])
        x, P = self._combined()
        z = x[:, :2] + x[:, b]
        S = P[:, :2, :2] + P[:, b, b] + P[:, :2, b] + P[:, b, :2]
        return OffsetView(z, S, self.live[:, self.sensors[sensor]].copy(), 1.0 - self.model.fraction)

    def update(self, rows, z, R, sensor=None):
        """Position update; a detection of `sensor` measures p + b_s with white noise (1 − f) R (a track's
        first detection by it draws b_s from N(0, f R), uncorrelated with the rest of the state)."""
        rows = np.asarray(rows)
        R = np.broadcast_to(np.asarray(R, float), (len(rows), 2, 2))
        slot = None if sensor is None else self._slot(sensor)
        sub = self._sub(rows)
        H = np.zeros((len(rows), 2, sub.x.shape[-1]))
        H[:, :, :2] = np.eye(2)
        Rw = R
        if slot is not None:
            b, f = _blocks(slot), self.model.fraction
            new = ~self.live[rows, slot]
            sub.P[new, :, b, b] = f * R[new][:, None]
            H[:, :, b] = np.eye(2)
            Rw = (1.0 - f) * R
            self.live[rows, slot] = True
            self.cov[rows, slot] = f * R
        self._set(rows, imm_update_with(sub, lambda x, P: update(x, P, z, Rw, H))[0])

    def ekf(self, rows, z, R, hx, jacobian, residual=None):
        """Extended update by an unbiased measurement of the kinematic state (range, bearing, velocity)."""

        def jac(x):
            J = jacobian(x[:, :K])
            return np.concatenate([J, np.zeros((*J.shape[:2], x.shape[1] - K))], 2)

        def step(x, P):
            return ekf_update(x, P, z, R, lambda s: hx(s[:, :K]), jac, residual)

        self._set(rows, imm_update_with(self._sub(rows), step)[0])

    def mixture_update(self, rows, w, z, R, ratio):
        raise ValueError("the IMM with sensor biases runs with GNN association only (association: gnn)")

    # ------------------------------------------------------------------------------------ track life
    def append(self, x, P, sensor=None, R=None):
        """New tracks at x, P; started from a detection of `sensor` with covariance R (k, 2, 2), their
        offset for it is live at once: the start position is p + b + w, so its error and b are correlated
        (cov(p̂ − p, b) = −f R), and the next detection by that sensor differs from it by white noise only."""
        slot = None if sensor is None or R is None else self._slot(sensor)
        new = ImmState.start(x, P)
        pad, k, n_slots = self.s.x.shape[-1] - K, len(x), len(self.sensors)
        xs = np.pad(new.x, ((0, 0), (0, 0), (0, pad)))
        Ps = np.pad(new.P, ((0, 0), (0, 0), (0, pad), (0, pad)))
        live, cov = np.zeros((k, n_slots), bool), np.zeros((k, n_slots, 2, 2))
        if slot is not None:
            b, fR = _blocks(slot), self.model.fraction * np.asarray(R, float)
            Ps[:, :, b, b] = fR[:, None]
            Ps[:, :, :2, b] = Ps[:, :, b, :2] = -fR[:, None]
            live[:, slot] = True
            cov[:, slot] = fR
        old = self.s
        x, P, mu = (np.concatenate([a, b]) for a, b in ((old.x, xs), (old.P, Ps), (old.mu, new.mu)))
        self.s = ImmState(x, P, mu)
        self.live = np.concatenate([self.live, live])
        self.cov = np.concatenate([self.cov, cov])
        self._cache = None

    def keep(self, mask):
        self.s = ImmState(self.s.x[mask], self.s.P[mask], self.s.mu[mask])
        self.live, self.cov = self.live[mask], self.cov[mask]
        self._cache = None

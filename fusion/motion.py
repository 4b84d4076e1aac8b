"""Nearly-constant-velocity motion in 2D, state [x, y, vx, vy], batched over tracks.

Process noise is the continuous white-noise acceleration model (Bar-Shalom, Li & Kirubarajan, *Estimation
with Applications to Tracking and Navigation*, 2001, §6.2.2): for a power spectral density q (m²/s³),
    Q(dt) = q [[dt³/3, dt²/2], [dt²/2, dt]] per axis.
The choice of q per class follows the rule of thumb q ≈ σ_a² · τ with σ_a a typical acceleration and τ
the time it is sustained: forklifts brake and turn hard (σ_a ≈ 1 m/s² over ≈ 1 s → q = 1.0), AGVs change
speed gently (0.3 m/s² → q = 0.1), workers start, stop and turn on the spot (1.5 m/s² over ≈ 0.7 s → 1.5).
"""

from __future__ import annotations

import numpy as np

PROCESS_NOISE = {"forklift": 1.0, "agv": 0.1, "worker": 1.5, "unknown": 1.0}  # q, m²/s³
STATE_DIM = 4


def cv_transition(dt: np.ndarray) -> np.ndarray:
    """F for each dt: (n, 4, 4)."""
    dt = np.atleast_1d(np.asarray(dt, float))
    F = np.broadcast_to(np.eye(STATE_DIM), (len(dt), STATE_DIM, STATE_DIM)).copy()
    F[:, 0, 2] = dt
    F[:, 1, 3] = dt
    return F


def cv_process_noise(dt: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Q for each (dt, q): (n, 4, 4), continuous white-noise acceleration."""
    dt = np.atleast_1d(np.asarray(dt, float))
    q = np.broadcast_to(np.asarray(q, float), dt.shape)
    Q = np.zeros((len(dt), STATE_DIM, STATE_DIM))
    a, b, c = q * dt**3 / 3, q * dt**2 / 2, q * dt
    for i in (0, 1):
        Q[:, i, i] = a
        Q[:, i, i + 2] = Q[:, i + 2, i] = b
        Q[:, i + 2, i + 2] = c
    return Q

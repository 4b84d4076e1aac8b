"""Nearly-constant-velocity motion in 2D, state [x, y, vx, vy], batched over tracks.

Process noise is the continuous white-noise acceleration model (Bar-Shalom, Li & Kirubarajan, *Estimation
with Applications to Tracking and Navigation*, 2001, §6.2.2): for a power spectral density q (m²/s³),
    Q(dt) = q [[dt³/3, dt²/2], [dt²/2, dt]] per axis.
q per class is the tracker's to tune, and the physical rule of thumb q ≈ σ_a² · τ (σ_a a typical
acceleration, τ how long it lasts: forklifts 1.0, AGVs 0.1, workers 1.5) tracked worse than the values
below, tuned on seeds 11–15 of default, busy and sensor_failure and checked on seeds 16–20 (MOTA +0.005
to +0.020, IDF1 +0.005 to +0.035, NEES inside its band +0.04 to +0.07). What q absorbs is not only the
body's acceleration: a forklift's measured centre jumps as the face a sensor sees changes while it turns
(hence 4.0), and a worker's stops are the IMM's stationary mode's to model, so its CV mode is smoother
than walking alone suggests (0.1 since worker tracks read detections with the worker body's own
measurement model, `TrackerConfig.measurement_class`: seeds 11–15 then 16–20, against 0.3, IDF1 +0.01 to
+0.04, MOTA within ±0.01, NEES inside its band +0.00 to +0.02). Each can be set per scenario
(`pipeline.tracker.process_noise_*`).
"""

from __future__ import annotations

import numpy as np

PROCESS_NOISE = {"forklift": 4.0, "agv": 0.5, "worker": 0.1, "unknown": 1.0}  # q, m²/s³
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

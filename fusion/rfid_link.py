"""The pieces of a UHF RFID link budget that the simulator and the estimators share: free-space reference
loss with a log-distance exponent, a patch antenna's cosⁿ pattern, and how many rack rows a reader-to-tag
path crosses. One formula each, so a model-mismatch study changes parameters, never code.
"""

from __future__ import annotations

import math

import numpy as np


def path_loss_db(d: np.ndarray, wavelength_m: float, exponent: float) -> np.ndarray:
    """Log-distance path loss 20 log10(4π d0 / λ) + 10 n log10(d / d0) with d0 = 1 m (Rappaport,
    *Wireless Communications*, §4.9)."""
    return 20 * math.log10(4 * math.pi / wavelength_m) + 10 * exponent * np.log10(d)


def antenna_gain_db(
    cos_theta: np.ndarray, peak_dbi: float, half_power_deg: float, front_to_back_db: float
) -> np.ndarray:
    """cosⁿ patch pattern with the given half-power half-angle, floored at the back lobe."""
    q = math.log(0.5) / math.log(math.cos(math.radians(half_power_deg)))
    rel = 10 * q * np.log10(np.clip(cos_theta, 1e-6, 1.0))
    return peak_dbi + np.maximum(rel, -front_to_back_db)


def segments_cross_rects(a: np.ndarray, b: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """How many of the rectangles (k, 4: x0, y0, x1, y1) each 2D segment a[i]→b[i] passes through
    (Liang–Barsky clipping, vectorised over segments and rectangles)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    r = np.asarray(rects, float).reshape(-1, 4)
    if not len(r) or not len(a):
        return np.zeros(len(a), int)
    d = b - a
    ax, ay, dx, dy = a[:, :1], a[:, 1:], d[:, :1], d[:, 1:]  # (n, 1) against (k,) rectangles
    t0, t1 = np.zeros((len(a), len(r))), np.ones((len(a), len(r)))
    ok = np.ones((len(a), len(r)), bool)
    for p, q in ((-dx, ax - r[:, 0]), (dx, r[:, 2] - ax), (-dy, ay - r[:, 1]), (dy, r[:, 3] - ay)):
        p = np.broadcast_to(p, q.shape)
        parallel = np.abs(p) < 1e-12
        ok &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = q / p
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, t), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, t), t1)
    return (ok & (t0 <= t1)).sum(axis=1)

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
    (Liang–Barsky clipping, vectorised over segments)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    count = np.zeros(len(a), int)
    d = b - a
    for x0, y0, x1, y1 in np.asarray(rects, float).reshape(-1, 4):
        t0, t1 = np.zeros(len(a)), np.ones(len(a))
        ok = np.ones(len(a), bool)
        for p, q in (
            (-d[:, 0], a[:, 0] - x0),
            (d[:, 0], x1 - a[:, 0]),
            (-d[:, 1], a[:, 1] - y0),
            (d[:, 1], y1 - a[:, 1]),
        ):
            parallel = np.abs(p) < 1e-12
            ok &= ~(parallel & (q < 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                t = q / p
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, t), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, t), t1)
        count += ok & (t0 <= t1)
    return count

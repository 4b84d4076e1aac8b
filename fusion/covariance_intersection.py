"""Covariance intersection (Julier & Uhlmann 1997): a consistent fusion of two estimates whose
cross-correlation is unknown, as when two trackers have seen some of the same data.

    P⁻¹ = ω Pa⁻¹ + (1 − ω) Pb⁻¹,   x = P (ω Pa⁻¹ a + (1 − ω) Pb⁻¹ b),
with ω ∈ [0, 1] chosen to minimise trace(P).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def ci_fuse(a: np.ndarray, Pa: np.ndarray, b: np.ndarray, Pb: np.ndarray, omega: float | None = None):
    """Fused (x, P, ω) of two estimates; ω is optimised for the smallest trace unless given."""
    Ia, Ib = np.linalg.inv(Pa), np.linalg.inv(Pb)

    def combine(w: float):
        P = np.linalg.inv(w * Ia + (1 - w) * Ib)
        return P @ (w * Ia @ a + (1 - w) * Ib @ b), P

    if omega is None:
        res = minimize_scalar(
            lambda w: np.trace(combine(w)[1]), bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-10}
        )
        omega = float(res.x)
        # The optimum may sit on a bound: compare with the ends explicitly.
        for w in (0.0, 1.0):
            if np.trace(combine(w)[1]) < np.trace(combine(omega)[1]):
                omega = w
    x, P = combine(omega)
    return x, P, omega

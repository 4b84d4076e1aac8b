"""Summary statistics of a sweep: Student-t confidence intervals over seeds and the Wilcoxon signed-rank
test for paired comparisons (same seeds, so the same simulated data)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its two-sided `level` Student-t interval; NaN bounds with fewer than two values."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    sem = float(x.std(ddof=1) / math.sqrt(len(x)))
    if sem == 0:
        return m, m, m
    lo, hi = stats.t.interval(level, len(x) - 1, loc=m, scale=sem)
    return m, float(lo), float(hi)


def wilcoxon_p(a, b) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired samples a vs b (pairs with a NaN are dropped);
    1.0 when every difference is zero, NaN with fewer than two pairs (no test is possible)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    if len(d) < 2:
        return math.nan
    if np.all(d == 0):
        return 1.0
    return float(stats.wilcoxon(a[ok], b[ok]).pvalue)


def smallest_wilcoxon_p(n: int) -> float:
    """The smallest two-sided p-value the exact signed-rank test can give with n pairs: 2 / 2ⁿ (all
    differences of one sign). 0.0625 with 5 seeds, so no difference can reach p < 0.05 below 6."""
    return min(1.0, 2.0 / 2**n)

"""Per-stage wall-clock timing of the loop (metrics.json `timing`; no test depends on a duration)."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np

# Durations are binned on a log scale, so that an hour-long run keeps a fixed few kB per stage rather than
# every sample (a million floats an hour): 100 bins a decade from 1 µs to 1000 s, p95 within 2.3 %.
BINS_PER_DECADE = 100
LOG_MIN_S = -6.0
N_BINS = 9 * BINS_PER_DECADE


class StageTimer:
    """Collects durations per named stage; summarises them as mean (exact) and 95th percentile (from a
    log-binned histogram: the bin's geometric centre) in ms."""

    def __init__(self) -> None:
        self._count: dict[str, int] = defaultdict(int)
        self._total: dict[str, float] = defaultdict(float)
        self._hist: dict[str, np.ndarray] = {}

    @contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def add(self, name: str, seconds: float) -> None:
        self._count[name] += 1
        self._total[name] += seconds
        hist = self._hist.get(name)
        if hist is None:
            hist = self._hist[name] = np.zeros(N_BINS, np.int64)
        k = int((math.log10(seconds) - LOG_MIN_S) * BINS_PER_DECADE) if seconds > 0 else 0
        hist[min(max(k, 0), N_BINS - 1)] += 1

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, n in self._count.items():
            k = int(np.searchsorted(np.cumsum(self._hist[name]), 0.95 * n))  # the bin holding the 95th
            p95_s = 10 ** (LOG_MIN_S + (k + 0.5) / BINS_PER_DECADE)
            out[name] = {
                "mean_ms": round(self._total[name] / n * 1e3, 4),
                "p95_ms": round(p95_s * 1e3, 4),
                "calls": n,
            }
        return out


def times_real_time(factor: float | None) -> str:
    """A real-time factor to two significant digits: '0.98×', '1.4×', '12×' ('—' when unknown)."""
    if factor is None or not np.isfinite(factor):
        return "—"
    if factor >= 10:
        return f"{factor:.0f}×"
    return f"{factor:#.2g}".rstrip(".") + "×"  # '#' keeps the 0 of '1.0'; 9.96 gives '10.'

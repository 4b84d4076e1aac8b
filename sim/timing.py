"""Per-stage wall-clock timing of the loop (reported in metrics.json `timing`; never used by tests)."""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np


class StageTimer:
    """Collects durations per named stage; summarises them as mean and 95th percentile in ms."""

    def __init__(self) -> None:
        self._samples: dict[str, list[float]] = defaultdict(list)

    @contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._samples[name].append(time.perf_counter() - t0)

    def add(self, name: str, seconds: float) -> None:
        self._samples[name].append(seconds)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, xs in self._samples.items():
            a = np.asarray(xs) * 1e3
            out[name] = {
                "mean_ms": round(float(a.mean()), 4),
                "p95_ms": round(float(np.percentile(a, 95)), 4),
                "calls": len(xs),
            }
        return out


def times_real_time(factor: float | None) -> str:
    """A real-time factor to two significant digits: '0.98×', '1.4×', '12×' ('—' when unknown)."""
    if factor is None or not np.isfinite(factor):
        return "—"
    if factor >= 10:
        return f"{factor:.0f}×"
    return f"{factor:#.2g}".rstrip(".") + "×"  # '#' keeps the 0 of '1.0'; 9.96 gives '10.'

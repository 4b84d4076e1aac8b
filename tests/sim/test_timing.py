"""Stage timing: exact means, and a 95th percentile from a bounded histogram close to numpy's."""

from __future__ import annotations

import numpy as np
import pytest

from sim.timing import N_BINS, StageTimer


@pytest.mark.parametrize("kind", ["lognormal", "uniform", "exponential"])
def test_p95_from_the_log_histogram_is_within_its_bin_of_numpys(kind):
    """Regression: the timer kept every sample (a million floats in an hour-long run, ≈ 30 MB growing)."""
    rng = np.random.default_rng(0)
    x = {
        "lognormal": rng.lognormal(-5, 1, 20_000),
        "uniform": rng.uniform(0.001, 0.05, 20_000),
        "exponential": rng.exponential(0.01, 20_000),
    }[kind]
    timer = StageTimer()
    for v in x:
        timer.add("stage", float(v))
    s = timer.summary()["stage"]
    assert s["calls"] == len(x) and s["mean_ms"] == pytest.approx(x.mean() * 1e3, abs=1e-4)
    assert s["p95_ms"] == pytest.approx(np.percentile(x, 95) * 1e3, rel=0.024)  # half a bin: 10^(1/200)
    assert timer._hist["stage"].size == N_BINS  # bounded, whatever the number of samples

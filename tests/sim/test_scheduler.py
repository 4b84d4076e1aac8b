"""Multi-rate scheduling: exact firing ticks and timestamps over long runs."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import yaml

from sim.loading import parse_scenario
from sim.scheduler import RateSchedule, Scheduler
from sim.simulation import Simulation

N_TICKS = 100_000


@pytest.mark.parametrize("dt", [0.05, 0.01, 0.02])
def test_firing_ticks_are_exact_over_1e5_ticks(dt):
    rates = {"cam": 10.0, "ir": 8.7, "rfid": 3.0, "fast": 1 / dt, "slow": 0.5, "odd": 7.3}
    sched = Scheduler(rates, dt)
    fired = {k: [] for k in rates}
    for tick in range(N_TICKS):
        for sid in sched.due(tick):
            fired[sid].append(tick)
    dt_q = Fraction(repr(dt))
    for sid, rate in rates.items():
        r_q = Fraction(repr(rate)) if sid != "fast" else 1 / dt_q
        ticks = fired[sid]
        # Reading n is taken at the first tick whose time is at or after n / rate (exact rationals).
        expected = [math.ceil(n / (r_q * dt_q)) for n in range(len(ticks))]
        assert ticks == expected, sid
        last_time = (N_TICKS - 1) * dt_q
        assert len(ticks) == math.floor(last_time * r_q) + 1, sid
        for n, tick in enumerate(ticks):
            assert 0 <= tick * dt_q - n / r_q < dt_q


@pytest.mark.slow  # a soak run: `make test-slow`
def test_long_run_timestamps_are_tick_times_not_float_sums():
    text = yaml.safe_dump(
        {
            "name": "clock",
            "duration_s": N_TICKS * 0.05,
            "dt_s": 0.05,
            "layout": {"size_m": [10, 10]},
            "sensors": [{"id": "ir", "type": "thermal", "position": [5, 5, 3], "look_at": [5, 6, 0]}],
        }
    )
    sim = Simulation(parse_scenario(text))
    step, _ = sim.reset()
    accumulated = 0.0
    done = False
    n_readings = len(step.due)
    while not done:
        step, done, _ = sim.step()
        accumulated += 0.05
        assert step.t == step.tick * 0.05
        n_readings += len(step.due)
    assert step.tick == N_TICKS
    assert accumulated != step.t  # a float sum would have drifted: the clock must not be one
    assert n_readings == math.floor(N_TICKS * Fraction(87, 200)) + 1  # 8.7 Hz at dt = 0.05 s


def test_rate_schedule_reads_decimals_as_written():
    s = RateSchedule(8.7, 0.05)
    assert s.ticks_per_reading == Fraction(200, 87)
    assert [s.tick_of(n) for n in range(5)] == [0, 3, 5, 7, 10]

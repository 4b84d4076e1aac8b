"""Multi-rate sensor scheduling on integer ticks (SPEC §3: a timestamp is tick · dt_s, never a float sum).

A sensor of rate f takes reading n at the first tick whose time is at or after its nominal time n / f,
i.e. tick ceil(n / (f · dt)). Rates and dt are read as the decimals the scenario wrote (0.05, 8.7) and
handled as exact fractions, so the schedule never drifts, however long the run.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from fractions import Fraction


def exact(x: float) -> Fraction:
    """The decimal a person wrote (0.05 → 1/20), not the binary float nearest to it."""
    return Fraction(repr(float(x)))


@dataclass(frozen=True)
class RateSchedule:
    """When one sensor of rate `rate_hz` fires on a clock of `dt_s` ticks."""

    rate_hz: float
    dt_s: float
    ticks_per_reading: Fraction = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ticks_per_reading", 1 / (exact(self.rate_hz) * exact(self.dt_s)))
        object.__setattr__(self, "_num", self.ticks_per_reading.numerator)
        object.__setattr__(self, "_den", self.ticks_per_reading.denominator)

    def tick_of(self, n: int) -> int:
        """Tick of reading n (n = 0, 1, 2, …): ceil(n · ticks_per_reading) in integer arithmetic."""
        return -((-n * self._num) // self._den)


class Scheduler:
    """Which sensors are due at each tick; ticks must be asked for in increasing order."""

    def __init__(self, rates: dict[str, float], dt_s: float):
        self.schedules = {sid: RateSchedule(r, dt_s) for sid, r in rates.items()}
        self.reset()

    def reset(self) -> None:
        self._count = dict.fromkeys(self.schedules, 0)
        self._frac = {sid: (s._num, s._den) for sid, s in self.schedules.items()}  # ticks per reading
        self._heap = [(0, order, sid) for order, sid in enumerate(self.schedules)]
        heapq.heapify(self._heap)

    def due(self, tick: int) -> list[str]:
        """Sensor ids that take a reading at `tick`, in scenario order."""
        heap = self._heap
        if not heap or heap[0][0] > tick:  # nothing due
            return []
        out = []
        count, frac = self._count, self._frac
        while heap and heap[0][0] <= tick:
            t, order, sid = heap[0]
            if t == tick:
                out.append((order, sid))
            # Advance past `tick` (a sensor never fires twice in one tick: rates ≤ 1/dt are validated);
            # the next reading's tick is `RateSchedule.tick_of`, inlined: this runs every few ticks.
            num, den = frac[sid]
            n = count[sid] + 1
            nxt = -((-n * num) // den)
            while nxt <= tick:
                n += 1
                nxt = -((-n * num) // den)
            count[sid] = n
            heapq.heapreplace(heap, (nxt, order, sid))
        out.sort()
        return [sid for _, sid in out]

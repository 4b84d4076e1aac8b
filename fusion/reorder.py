"""Out-of-sequence measurements used, not dropped: a reorder buffer that applies timestamped calls to a
state (a tracker and what feeds it) in time order however late they arrive within `window_s`.

A call older than the newest one applied rolls the state back to the last checkpoint before the place it
belongs, and re-applies the calls from there with itself in its place, so the result equals the run that
received everything in time order, exactly. The state is always current ("reported live and corrected"):
tracks output before a late reading arrived are not revised, tracks output after it include it. Calls
older than the window are refused and counted (no checkpoint that early is kept). Checkpoints (deep
copies of the state) are taken at most every `checkpoint_s`, trading copies for re-applied calls.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass, field


@dataclass
class _Entry:
    t: float
    method: str
    args: tuple
    before: object | None  # the state just before this call, when a checkpoint was taken here


@dataclass
class ReorderBuffer:
    """Calls `state.<method>(*args)` in timestamp order within `window_s` seconds (0: in arrival order,
    nothing kept)."""

    state: object
    window_s: float = 0.0
    checkpoint_s: float = 0.1
    late_applied: int = 0  # calls that arrived out of order and were put in their place
    too_late: int = 0  # calls older than the window: refused
    _log: list[_Entry] = field(default_factory=list)
    _times: list[float] = field(default_factory=list)

    def submit(self, t: float, method: str, *args) -> bool:
        """Apply one call taken at time t; False when it is older than the window (refused)."""
        latest = self._times[-1] if self._times else float("-inf")
        if self.window_s <= 0 or t >= latest:
            self._apply(t, method, args)
            self._prune(t)
            return True
        k = bisect.bisect_right(self._times, t)  # the first call this one should have preceded
        j = k
        while j >= 0 and self._log[j].before is None:
            j -= 1
        if t < latest - self.window_s or j < 0:
            self.too_late += 1
            return False
        redo = [(e.t, e.method, e.args) for e in self._log[j:k]] + [(t, method, args)]
        redo += [(e.t, e.method, e.args) for e in self._log[k:]]
        self.state = self._log[j].before
        del self._log[j:], self._times[j:]
        for call in redo:
            self._apply(*call)
        self.late_applied += 1
        return True

    def _apply(self, t: float, method: str, args: tuple) -> None:
        if self.window_s > 0:
            last = next((e.t for e in reversed(self._log) if e.before is not None), None)
            due = last is None or t - last >= self.checkpoint_s
            self._log.append(_Entry(t, method, args, copy.deepcopy(self.state) if due else None))
            self._times.append(t)
        getattr(self.state, method)(*args)

    def _prune(self, now: float) -> None:
        """Forget what precedes the last checkpoint at or before `now − window_s` (a late call can no
        longer need it)."""
        k = bisect.bisect_right(self._times, now - self.window_s)
        while k > 0 and self._log[k - 1].before is None:
            k -= 1
        if k > 1:
            del self._log[: k - 1], self._times[: k - 1]

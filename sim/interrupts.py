"""Ctrl-C and SIGTERM during a run take effect between steps, never inside one.

A signal that lands mid-step (between a scorer's two appends, say) would leave the run's accumulators out of
step with each other and the finalised figures unreadable; so while a run steps, both signals only raise a
flag, which the loop reads once a step is whole. A step lasts milliseconds, so the stop is still prompt.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by a deferred signal; `check()` raises KeyboardInterrupt once one has arrived."""

    def __init__(self):
        self.signum: int | None = None

    def _handler(self, signum, frame) -> None:
        self.signum = signum

    def check(self) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt


@contextmanager
def interrupts_between_steps():
    """Defer SIGINT and SIGTERM to `StopRequest.check()` inside the block; the previous handlers come back
    after it. Off the main thread (where signals cannot be handled) the block runs unchanged."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.signal(s, stop._handler) for s in DEFERRED_SIGNALS}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

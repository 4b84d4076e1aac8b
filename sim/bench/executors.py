"""Where a sweep's jobs run: any `concurrent.futures.Executor`.

`--workers 1` runs them in this process (`InlineExecutor`), `--workers K` in a local process pool
(spawned, so no worker inherits Open3D or BLAS thread state), `--scheduler ADDRESS` on a Dask cluster
through `distributed.Client(ADDRESS).get_executor()`. Every worker must see the sweep's output directory
(a shared filesystem on a real cluster) and have whsim installed.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager


class InlineExecutor(Executor):
    """Runs each submitted call at once, in this process."""

    def submit(self, fn, /, *args, **kwargs):
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:
            f.set_exception(e)
            if isinstance(e, KeyboardInterrupt):
                raise
        return f


CONNECT_TIMEOUT_S = 20  # how long `--scheduler` waits for the Dask scheduler before giving up


class SchedulerUnavailable(ValueError):
    """The Dask scheduler address cannot be used: malformed, or nothing answered within the timeout."""


@contextmanager
def executor_for(workers: int, scheduler: str | None = None, timeout_s: float | None = None):
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout=timeout_s or CONNECT_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise SchedulerUnavailable(f"--scheduler {scheduler}: {reason}") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif workers == 1:
        yield InlineExecutor()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_one_thread_each) as ex:
            yield ex


def _one_thread_each() -> None:
    """Worker processes share the cores: each runs its numerical libraries (torch's PointNet, BLAS) on one
    thread, or their thread pools spin against each other (a 3 s test step took 126 s that way)."""
    import os

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")

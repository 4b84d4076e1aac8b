"""`whsim bench`: plan the sweep, skip what is finished (`--resume`), run the jobs on an executor, and
write results.csv after every job, then summary.md and the figures."""

from __future__ import annotations

import json
import sys
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

from sim.bench.executors import InlineExecutor, executor_for
from sim.bench.jobs import Job, error_rows, run_job
from sim.bench.results import FINISHED, read_results, write_results
from sim.bench.summary import write_summary
from sim.output.atomic import atomic_write_text


@dataclass(frozen=True)
class SweepResult:
    rows: list[dict]
    ran: int  # runs executed by this invocation
    failed: list[dict]


SWEEP_FILE = "sweep.json"  # the sweep's settings that results.csv does not hold, checked on --resume


def sweep_settings(out: Path) -> dict:
    """The settings an earlier sweep in `out` ran with: `duration_s` (None: the files' own) and
    `first_seed` (sweeps written before `--first-seed` existed started at 1)."""
    path = Path(out) / SWEEP_FILE
    if not path.is_file():
        return {"duration_s": None, "first_seed": 1}
    try:
        data = json.loads(path.read_text())
        return {"duration_s": data["duration_s"], "first_seed": int(data.get("first_seed", 1))}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"{path}: not a whsim bench settings file") from None


def seeds_for(n: int, first: int = 1) -> list[int]:
    """Seeds first…first+N−1: `whsim run SCENARIO --seed k --strategy S` reproduces any row. Tuning uses
    seeds ≥ 11 (`--first-seed 11`), reported figures seeds 1–5, so the two never overlap."""
    return list(range(first, first + n))


def check_resumable(out: Path, duration_s: float | None, first_seed: int) -> None:
    """ValueError unless the sweep in `out` can be resumed with these settings (its own)."""
    read_results(Path(out) / "results.csv")
    before = sweep_settings(out)
    if before["duration_s"] != duration_s:
        d = before["duration_s"]
        ran = "the files' own durations" if d is None else f"--duration {d:g}"
        raise ValueError(f"the sweep in {out} ran with {ran}; resume it with the same")
    if before["first_seed"] != first_seed:
        raise ValueError(
            f"the sweep in {out} ran with --first-seed {before['first_seed']}; resume it with the same"
        )


def _finished_runs(out: Path, order: dict) -> dict[tuple, dict]:
    """The runs of an earlier sweep in `out` that finished and belong to this one."""
    done = {}
    for r in read_results(out / "results.csv"):
        key = (r["scenario"], int(r["seed"]), r["strategy"])
        if r["status"] in FINISHED and key in order:
            done[key] = r
    return done


def run_sweep(
    scenarios: list[tuple[str, str]],
    strategies: list[str],
    n_seeds: int,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    log=sys.stderr,
    duration_s: float | None = None,
    first_seed: int = 1,
) -> SweepResult:
    """`scenarios`: (path, name) pairs, already validated; `duration_s` overrides every file's."""
    out = Path(out)
    seeds = seeds_for(n_seeds, first_seed)
    names = [name for _, name in scenarios]
    order = {
        (name, seed, s): k
        for k, (name, seed, s) in enumerate((n, seed, s) for n in names for seed in seeds for s in strategies)
    }
    done = _finished_runs(out, order) if resume else {}
    jobs = []
    for path, name in scenarios:
        for seed in seeds:
            todo = tuple(s for s in strategies if (name, seed, s) not in done)
            if todo:
                jobs.append(Job(str(path), name, seed, todo, duration_s))
    rows = dict(done)
    total = sum(len(j.strategies) for j in jobs)
    bar = None
    if progress and total:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True, leave=False)
    failed = []

    def finished(job: Job, new: list[dict]) -> None:
        """A job's rows: kept, reported if failed, and results.csv rewritten at once (an interrupted
        sweep keeps every finished run, and `--resume` runs only the rest)."""
        for r in new:
            rows[(r["scenario"], int(r["seed"]), r["strategy"])] = r
            if r["status"] == "error":
                failed.append(r)
                print(
                    f"whsim bench: {r['scenario']} seed {r['seed']} {r['strategy']}: {r['error']}", file=log
                )
        write_results(out / "results.csv", list(rows.values()), order)
        if bar is not None:
            bar.update(len(job.strategies))

    with executor_for(workers, scheduler) as ex:  # a scheduler that cannot be reached: nothing written
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            out / SWEEP_FILE, json.dumps({"duration_s": duration_s, "first_seed": first_seed}) + "\n"
        )
        if isinstance(ex, InlineExecutor):  # one job at a time in this process, each recorded as it ends
            for job in jobs:
                finished(job, run_job(job, str(out)))
        else:
            futures = {ex.submit(run_job, job, str(out)): job for job in jobs}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    new = fut.result()
                except Exception as e:  # the worker itself died (e.g. out of memory): every run failed
                    new = error_rows(job, f"worker failed: {type(e).__name__}: {e}".splitlines()[0])
                finished(job, new)
    if bar is not None:
        bar.close()
    all_rows = [r for k, r in sorted(rows.items(), key=lambda kv: order.get(kv[0], 1e18))]
    write_results(out / "results.csv", all_rows, order)
    write_summary(out / "summary.md", all_rows, names, strategies, seeds, duration_s)
    from sim.bench.figures import write_figures

    write_figures(out, all_rows, names, strategies, seeds[0])
    return SweepResult(all_rows, total, failed)

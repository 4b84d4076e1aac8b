"""One unit of a sweep: a (scenario, seed) simulated once and replayed through each strategy.

`run_job` is what an executor runs (a process-pool worker, a Dask worker, or this process); it returns
one row per strategy. A strategy that fails is reported in its row (status `error` and the error's one
line) and the others still run; one the scenario cannot support is `unavailable`.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

METRIC_COLUMNS = (
    "mota",
    "motp_m",
    "idf1",
    "hota",
    "id_switches",
    "false_positives",
    "misses",
    "fragmentations",
    "gospa",
    "gospa_localisation",
    "gospa_missed",
    "gospa_false",
    "rmse_m",
    "velocity_rmse_mps",
    "nees_mean",
    "nees_in_bounds",
    "nees_position_mean",  # the 4-D NEES's position and velocity parts (χ²(2) each)
    "nees_position_in_bounds",
    "nees_velocity_mean",
    "nees_velocity_in_bounds",
    "identity_accuracy",
    "class_accuracy",
    "coverage_ceiling",
    "mota_over_ceiling",
    "bev_iou_graphcut",
    "bev_iou_threshold",
)
TIMING_COLUMNS = ("runtime_s", "simulation_s")  # wall clock: the only columns that vary between sweeps
COLUMNS = ("scenario", "seed", "strategy", "status", "error", *METRIC_COLUMNS, *TIMING_COLUMNS)


@dataclass(frozen=True)
class Job:
    scenario_path: str
    scenario_name: str
    seed: int
    strategies: tuple[str, ...]
    duration_s: float | None = None  # shorter than the file's own: later faults and spawns do not happen


def run_dir(out: Path, scenario_name: str, seed: int, strategy: str) -> Path:
    """Where one run of a sweep is kept, always inside `out` (the scenario's name made a plain folder)."""
    from sim.output.paths import folder_name

    return Path(out) / "runs" / folder_name(scenario_name) / f"seed{seed}" / strategy


def _row(job: Job, strategy: str, status: str, error: str = "", metrics: dict | None = None, **timing):
    row = dict.fromkeys(COLUMNS, "")
    row.update(scenario=job.scenario_name, seed=job.seed, strategy=strategy, status=status, error=error)
    if metrics:
        tracking = metrics.get("tracking", {})
        for k in METRIC_COLUMNS:
            v = metrics.get("bev", {}).get(k[4:]) if k.startswith("bev_") else tracking.get(k)
            row[k] = "" if v is None else v
    row.update({k: round(v, 3) for k, v in timing.items()})
    return row


def error_rows(job: Job, message: str) -> list[dict]:
    """Every run of a job failed for one reason (the simulation, or the worker itself)."""
    return [_row(job, s, "error", message) for s in job.strategies]


def run_job(job: Job, out: str) -> list[dict]:
    """Simulate the job's (scenario, seed) once, replay it through every strategy; one row each."""
    from sim.loading import load_scenario
    from sim.recording import Recording
    from sim.runner import UsageError, apply_overrides, run_scenario

    try:
        scenario = load_scenario(job.scenario_path)
        scenario = apply_overrides(scenario, job.scenario_path, seed=job.seed, duration=job.duration_s)
        recording = Recording.record(scenario)
    except Exception as e:  # the whole job fails: every run reports why
        return error_rows(job, f"simulation failed: {type(e).__name__}: {e}".splitlines()[0])
    rows = []
    for strategy in job.strategies:
        t0 = time.perf_counter()
        try:
            sc = apply_overrides(scenario, job.scenario_path, strategy=strategy)
            result = run_scenario(
                sc,
                run_dir(Path(out), job.scenario_name, job.seed, strategy),
                overwrite=True,
                recording=recording,
                plots=False,
                log=io.StringIO(),
            )
        except UsageError as e:  # e.g. a thermal strategy on a scenario without a thermal camera
            rows.append(_row(job, strategy, "unavailable", str(e)))
            continue
        except Exception as e:
            rows.append(_row(job, strategy, "error", f"{type(e).__name__}: {e}".splitlines()[0]))
            continue
        rows.append(
            _row(
                job,
                strategy,
                "ok",
                metrics=result.metrics,
                runtime_s=time.perf_counter() - t0,
                simulation_s=recording.wall_s,
            )
        )
    return rows

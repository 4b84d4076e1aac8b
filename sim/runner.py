"""`whsim run`: one scenario end to end — loop, run directory, plots, summary (SPEC §5–§6)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import ValidationError

from sim.errors import UsageError
from sim.interrupts import interrupts_between_steps
from sim.output.atomic import atomic_write_text
from sim.pipeline.frontends import FRONTENDS
from sim.pipeline.pipeline import StrategyUnavailable, frontends_for, make_pipeline
from sim.plots.render import render_plots
from sim.recording import Recording
from sim.scenario.loader import Problem, ScenarioError, format_path, problems_from_validation
from sim.scenario.models import Scenario
from sim.simulation import Simulation
from sim.sinks import RerunSink, SensorSink, TrackingSink, TruthSink
from sim.strategies import STRATEGIES
from sim.timing import times_real_time
from sim.world.actor_spec import actor_spec
from sim.world.feasibility import check_physics, events_after_end

METRICS_SCHEMA = "whsim.metrics/1"


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    status: str
    steps: int
    sim_time_s: float
    wall_time_s: float
    metrics: dict
    static: object = None  # the run's StaticWorld, for figures


def realtime_factor(sim_time_s: float, wall_s: float) -> float | None:
    """Simulated seconds per wall second to three significant digits (two decimals read a large site's
    0.0052 as 0.01: twice as fast as it ran)."""
    return float(f"{sim_time_s / wall_s:.3g}") if wall_s > 0 else None


def apply_overrides(scenario: Scenario, source: str, *, seed=None, strategy=None, duration=None) -> Scenario:
    """The scenario with CLI overrides, re-checked (a shorter duration can strand a spawn time)."""
    update = {}
    if seed is not None:
        update["seed"] = seed
    if duration is not None:
        update["duration_s"] = duration
    if strategy is not None:
        update["pipeline"] = scenario.pipeline.model_copy(update={"strategy": strategy})
    if not update:
        return scenario
    data = scenario.model_dump(by_alias=True)
    data.update({k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in update.items()})
    try:
        resolved = Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(
            problems_from_validation(e, f"{source} (with command-line overrides)", {})
        ) from None
    # The file was checked at load, so a late spawn or fault here comes from a shortened duration.
    issues = check_physics(resolved, shortened=True)
    if issues:
        where = f"{source} (with command-line overrides)"
        raise ScenarioError([Problem(where, None, format_path(loc), msg) for loc, msg in issues])
    return resolved


def resolved_document(scenario: Scenario) -> dict:
    """The scenario with every default filled in, per-kind sizes and limits included."""
    actors = []
    for a in scenario.actors:
        spec = actor_spec(a)
        motion = a.motion
        if getattr(motion, "speed_mps", "absent") is None:
            motion = motion.model_copy(update={"speed_mps": spec.max_speed})
        actors.append(
            a.model_copy(
                update={
                    "size_m": (spec.length, spec.width, spec.height),
                    "max_speed_mps": spec.max_speed,
                    "temperature_c": spec.temperature_c,
                    "motion": motion,
                }
            )
        )
    return scenario.model_copy(update={"actors": actors}).model_dump(mode="json", by_alias=True)


def prepare_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UsageError(f"{out}: directory is not empty; pass --overwrite to replace its run files")
    try:
        (out / "plots").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{out}: cannot create run directory ({e.strerror})") from None


def run_scenario(
    scenario: Scenario,
    out: Path,
    *,
    overwrite: bool = False,
    progress: bool = False,
    save_sensors: int | None = None,
    log=sys.stderr,
    recording: Recording | None = None,
    plots: bool = True,
    rerun: Path | None = None,
) -> RunResult:
    """Simulate `scenario` and write its run directory. KeyboardInterrupt finalises the files as
    `"status": "interrupted"` and is re-raised for the caller's exit code.

    With `recording` (of this scenario, any strategy) the world and sensors are not simulated again: its
    steps are replayed, so strategies compared on one recording see identical data (`whsim bench`).
    With `rerun`, a Rerun recording of the run is written to that path as well."""
    out = Path(out)
    if recording is not None and (recording.scenario.seed, recording.scenario.n_ticks) != (
        scenario.seed,
        scenario.n_ticks,
    ):
        raise ValueError("the recording is of another seed or duration")
    notes, tracking = _start_run(scenario, out, overwrite, log)
    sim = recording.replay() if recording is not None else Simulation(scenario)
    sinks: list = [TruthSink(out, scenario.dt_s)]
    if save_sensors:
        sinks.append(SensorSink(out, save_sensors, scenario.sensors))
    t_start = time.perf_counter()
    step, _ = sim.reset()
    tracker_sink = None
    if tracking:
        rng = np.random.default_rng(sim.pipeline_seed)
        pipeline = make_pipeline(scenario.pipeline.strategy, scenario, rng, sim.world.static)
        actor_ids = tuple(a.id for a in scenario.actors)
        tracker_sink = TrackingSink(out, pipeline, scenario.dt_s, sim.n_ticks, actor_ids)
        sinks.append(tracker_sink)
    if rerun is not None:  # last: it reads the other sinks' files when it commits
        sinks.append(RerunSink(out, rerun, scenario, sim.world.static))
    status, interrupted = _loop(sim, step, sinks, scenario, t_start if progress else None)
    wall = time.perf_counter() - t_start
    for sink in sinks:
        sink.commit()
    scores = tracker_sink.scores() if tracker_sink is not None else {}
    metrics = _metrics(scenario, sim, status, wall, notes, tracker_sink, scores, recording)
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    if plots:
        if progress:  # the figures take seconds: say so rather than sit silent after the bar closes
            print("whsim: drawing the figures…", file=sys.stderr, flush=True)
        render_plots(out, scenario=scenario, static=sim.world.static)
    result = RunResult(out, status, sim.tick, sim.tick * scenario.dt_s, wall, metrics, sim.world.static)
    if interrupted is not None:
        raise interrupted
    return result


def _start_run(scenario: Scenario, out: Path, overwrite: bool, log) -> tuple[list[str], bool]:
    """Refuse what cannot run, prepare the directory, write the resolved scenario; (notes, tracking)."""
    strategy = scenario.pipeline.strategy
    info = STRATEGIES[strategy]
    tracking = info.fuser != "none"
    if tracking:
        try:
            present = frontends_for(strategy, scenario)
        except StrategyUnavailable as e:
            raise UsageError(str(e)) from None
        for name in present:  # learned front-ends load their weights now: a bad file writes nothing
            if FRONTENDS[name].preflight is not None:
                FRONTENDS[name].preflight(scenario.pipeline)
    prepare_out_dir(out, overwrite)
    for stale in (out / "bev_snapshot.npz", out / "plots" / "bev.png"):  # from an earlier run, if any
        stale.unlink(missing_ok=True)
    notes: list[str] = []
    late = events_after_end(scenario)
    if late:
        what = ", ".join(f"{format_path(loc)} {when}" for loc, when in late)
        notes.append(f"this run ends at {scenario.duration_s:g} s, so these events do not happen: {what}")
        print(f"whsim: note: {notes[-1]}", file=log)
    atomic_write_text(
        out / "scenario.resolved.yaml",
        yaml.safe_dump(resolved_document(scenario), sort_keys=False, allow_unicode=True),
    )
    return notes, tracking


def _loop(sim, step, sinks, scenario: Scenario, t_progress: float | None):
    """Emit every step to every sink until the end; (status, the KeyboardInterrupt to re-raise)."""
    bar = None
    if t_progress is not None:
        from tqdm import tqdm

        bar = tqdm(total=sim.n_ticks, unit="tick", file=sys.stderr, dynamic_ncols=True, leave=False)
    try:
        with interrupts_between_steps() as stop:
            for sink in sinks:
                sink.emit(step, sim.timer)
            stop.check()
            done = sim.n_ticks == 0
            while not done:
                step, done, _ = sim.step()
                for sink in sinks:
                    sink.emit(step, sim.timer)
                if bar is not None and (step.tick % 20 == 0 or done):
                    wall = time.perf_counter() - t_progress
                    bar.update(step.tick - bar.n)
                    bar.set_postfix_str(
                        f"sim {step.t:.1f}/{scenario.duration_s:g} s, "
                        f"{times_real_time(step.t / max(wall, 1e-9))} real time"
                    )
                stop.check()
    except KeyboardInterrupt as e:
        return "interrupted", e
    except BaseException:
        for sink in sinks:
            sink.discard()
        raise
    finally:
        if bar is not None:
            bar.close()
    return "complete", None


def _metrics(scenario, sim, status, wall, notes, tracker_sink, scores, recording) -> dict:
    strategy = scenario.pipeline.strategy
    sim_time = sim.tick * scenario.dt_s
    return {
        "schema": METRICS_SCHEMA,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "strategy": strategy,
        "requested_strategy": strategy,
        "status": status,
        "sim_time_s": round(sim_time, 9),
        "steps": sim.tick,
        "wall_time_s": round(wall, 4),
        "realtime_factor": realtime_factor(sim_time, wall),
        "world": {
            "actors": len(scenario.actors),
            "replans": sum(a.replans for a in sim.world.actors),
            "overlap_events": sim.world.overlap_events,
        },
        "sensors": sim.sensors.summary() if sim.sensors is not None else {},
        "pipeline": tracker_sink.pipeline.stats() if tracker_sink is not None else {},
        **scores,
        "timing": sim.timer.summary(),
        "notes": notes,
        **(
            {"replayed": {"simulation_wall_time_s": round(recording.wall_s, 4)}}
            if recording is not None
            else {}
        ),
    }

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

from sim.bev_scoring import BevScorer
from sim.output.atomic import atomic_write_text
from sim.output.bev_snapshot import save_snapshot
from sim.output.ground_truth import GroundTruthWriter
from sim.output.sensor_files import SensorWriter
from sim.output.tracking_csv import TrackingWriter
from sim.pipeline.pipeline import StrategyUnavailable, frontends_for, make_pipeline
from sim.plots.render import render_plots
from sim.recording import Recording
from sim.scenario.loader import Problem, ScenarioError, format_path, problems_from_validation
from sim.scenario.models import Scenario
from sim.scoring import RunScorer
from sim.simulation import Simulation
from sim.strategies import STRATEGIES
from sim.world.actor_spec import actor_spec
from sim.world.feasibility import check_physics

METRICS_SCHEMA = "whsim.metrics/1"
TRACK_OUTPUT_PERIOD_S = 0.1  # tracks.csv holds the tracks every 0.1 s (predicted to that time)
SEMANTIC_PERIOD_S = 1.0  # the α-expansion labelling is scored once a second (≈ 10× a binary cut's cost)


class UsageError(Exception):
    """A user mistake outside the scenario file (paths, flags); the CLI prints it and exits 2."""


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    status: str
    steps: int
    sim_time_s: float
    wall_time_s: float
    metrics: dict
    static: object = None  # the run's StaticWorld, for figures


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
    issues = check_physics(resolved)
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
) -> RunResult:
    """Simulate `scenario` and write its run directory. KeyboardInterrupt finalises the files as
    `"status": "interrupted"` and is re-raised for the caller's exit code.

    With `recording` (of this scenario, any strategy) the world and sensors are not simulated again: its
    steps are replayed, so strategies compared on one recording see identical data (`whsim bench`)."""
    out = Path(out)
    if recording is not None and (recording.scenario.seed, recording.scenario.n_ticks) != (
        scenario.seed,
        scenario.n_ticks,
    ):
        raise ValueError("the recording is of another seed or duration")
    strategy = scenario.pipeline.strategy
    info = STRATEGIES[strategy]
    tracking = info.available and strategy != "none"
    if tracking:
        try:
            frontends_for(strategy, scenario)
        except StrategyUnavailable as e:
            raise UsageError(str(e)) from None
    prepare_out_dir(out, overwrite)
    for stale in (out / "bev_snapshot.npz", out / "plots" / "bev.png"):  # from an earlier run, if any
        stale.unlink(missing_ok=True)
    notes = []
    if not info.available:
        notes.append(
            f"strategy '{strategy}' is not built yet (needs {info.needs}); "
            "recording ground truth, sensor readings and timing only"
        )
        print(f"whsim: {notes[-1]}", file=log)
    atomic_write_text(
        out / "scenario.resolved.yaml",
        yaml.safe_dump(resolved_document(scenario), sort_keys=False, allow_unicode=True),
    )

    sim = recording.replay() if recording is not None else Simulation(scenario)
    truth_out = GroundTruthWriter(out / "ground_truth.csv", scenario.dt_s)
    sensor_out = SensorWriter(out, save_sensors) if save_sensors else None
    track_out = TrackingWriter(out, scenario.dt_s) if tracking else None
    scorer = RunScorer(out, TRACK_OUTPUT_PERIOD_S) if tracking else None
    pipeline = None
    bev_scorer = None
    output_every = max(1, round(TRACK_OUTPUT_PERIOD_S / scenario.dt_s))
    semantic_every = output_every * round(SEMANTIC_PERIOD_S / TRACK_OUTPUT_PERIOD_S)
    # plots/bev.png shows the step half-way through the run (on an output tick).
    snapshot_tick = (sim.n_ticks // 2) // output_every * output_every
    recent: list[np.ndarray] = []  # position detections since the last output tick, for the snapshot

    def emit(step) -> None:
        """Everything a step produces besides the world: sensor files, detections, tracks."""
        t0 = time.perf_counter()
        truth_out.write(step.truth)
        sim.timer.add("write_truth", time.perf_counter() - t0)
        if sensor_out is not None and step.readings:
            t0 = time.perf_counter()
            for r in step.readings:
                sensor_out.write(r)
            sim.timer.add("write_sensors", time.perf_counter() - t0)
        if pipeline is not None:
            t0 = time.perf_counter()
            detections = pipeline.process(step)
            sim.timer.add("pipeline", time.perf_counter() - t0)
            track_out.detections(detections)
            t0 = time.perf_counter()
            scorer.detections(step.truth, detections)
            recent.extend(d.z for d in detections if np.all(np.isfinite(d.z)))
            if step.tick % output_every == 0:
                tracks = pipeline.tracks(step.t)
                track_out.tracks(step.t, tracks)
                scorer.tracks(step.t, step.truth, tracks)
            sim.timer.add("scoring", time.perf_counter() - t0)
            if pipeline.bev is not None and step.tick % output_every == 0:
                t0 = time.perf_counter()
                score_bev(step)
                sim.timer.add("bev", time.perf_counter() - t0)
            if step.tick % output_every == 0:
                recent.clear()

    def score_bev(step) -> None:
        """Merge, segment and score the BEV map; keep the snapshot for plots/bev.png."""
        state = pipeline.bev.state(step.t)
        if state is None:
            return
        snap = step.tick == snapshot_tick
        semantics = pipeline.bev.semantics(state) if snap or step.tick % semantic_every == 0 else None
        raster = bev_scorer.update(step.truth, state, semantics)
        if snap:
            save_snapshot(out, state, pipeline.bev.grid, semantics, raster, np.array(recent))

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sim.n_ticks, unit="tick", file=sys.stderr, dynamic_ncols=True, leave=False)
    status = "complete"
    t_start = time.perf_counter()
    step, _ = sim.reset()
    if tracking:
        pipeline = make_pipeline(
            strategy, scenario, np.random.default_rng(sim.pipeline_seed), sim.world.static
        )
        if pipeline.bev is not None:
            bev_scorer = BevScorer(pipeline.bev.grid, pipeline.bev.rack)
    interrupted = None
    try:
        emit(step)
        done = sim.n_ticks == 0
        while not done:
            step, done, _ = sim.step()
            emit(step)
            if bar is not None and (step.tick % 20 == 0 or done):
                wall = time.perf_counter() - t_start
                bar.update(step.tick - bar.n)
                bar.set_postfix_str(
                    f"sim {step.t:.1f}/{scenario.duration_s:g} s, {step.t / max(wall, 1e-9):.0f}× real time"
                )
    except KeyboardInterrupt as e:
        status, interrupted = "interrupted", e
    except BaseException:
        for writer in (truth_out, sensor_out, track_out, scorer):
            if writer is not None:
                writer.discard()
        raise
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t_start
    truth_out.commit()
    if sensor_out is not None:
        sensor_out.close()
    scores = {}
    if track_out is not None:
        track_out.commit()
        scorer.close()
        scores = scorer.result(out)
        if bev_scorer is not None and bev_scorer.steps:
            scores["bev"] = bev_scorer.result()
    sim_time = sim.tick * scenario.dt_s
    metrics = {
        "schema": METRICS_SCHEMA,
        "scenario": scenario.name,
        "seed": scenario.seed,
        "strategy": strategy if info.available else "none",
        "requested_strategy": strategy,
        "status": status,
        "sim_time_s": round(sim_time, 9),
        "steps": sim.tick,
        "wall_time_s": round(wall, 4),
        "realtime_factor": round(sim_time / wall, 2) if wall > 0 else None,
        "world": {
            "actors": len(scenario.actors),
            "replans": sum(a.replans for a in sim.world.actors),
            "overlap_events": sim.world.overlap_events,
        },
        "sensors": sim.sensors.summary() if sim.sensors is not None else {},
        "pipeline": pipeline.stats() if pipeline is not None else {},
        **scores,
        "timing": sim.timer.summary(),
        "notes": notes,
        **(
            {"replayed": {"simulation_wall_time_s": round(recording.wall_s, 4)}}
            if recording is not None
            else {}
        ),
    }
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    if plots:
        render_plots(out, scenario=scenario, static=sim.world.static)
    result = RunResult(out, status, sim.tick, sim_time, wall, metrics, sim.world.static)
    if interrupted is not None:
        raise interrupted
    return result

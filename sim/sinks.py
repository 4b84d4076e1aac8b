"""What a run does with each step besides simulating it: one sink per output, each with `emit(step, timer)`,
`commit()` (publish its files) and `discard()` (an internal error: leave nothing half-written)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from perception.classes import N_CLASSES
from perception.segmentation_metrics import confusion, segmentation_scores
from sim.bev_scoring import BevScorer
from sim.output.bev_snapshot import save_snapshot
from sim.output.ground_truth import GroundTruthWriter
from sim.output.sensor_files import SensorWriter
from sim.output.tracking_csv import TrackingWriter
from sim.scoring import RunScorer
from sim.seen_ap import seen_actors
from sim.sensor_kinds import SENSOR_KINDS

TRACK_OUTPUT_PERIOD_S = 0.1  # tracks.csv holds the tracks every 0.1 s (predicted to that time)
SEMANTIC_PERIOD_S = 1.0  # the α-expansion labelling is scored once a second (≈ 10× a binary cut's cost)


class _FileSink:
    """A sink whose output is one writer's files."""

    writer = None

    def commit(self) -> None:
        self.writer.commit()

    def discard(self) -> None:
        self.writer.discard()


class TruthSink(_FileSink):
    """ground_truth.csv."""

    def __init__(self, out: Path, dt_s: float):
        self.writer = GroundTruthWriter(out / "ground_truth.csv", dt_s)

    def emit(self, step, timer) -> None:
        t0 = time.perf_counter()
        self.writer.write(step.truth)
        timer.add("write_truth", time.perf_counter() - t0)


class SensorSink(_FileSink):
    """`--save-sensors EVERY`: raw sensor data in each kind's format."""

    def __init__(self, out: Path, every: int, sensors=()):
        formats = {k.reading: k.save for k in SENSOR_KINDS.values()}
        self.writer = SensorWriter(out, every, formats, {s.id: s for s in sensors})

    def emit(self, step, timer) -> None:
        if step.readings:
            t0 = time.perf_counter()
            for r in step.readings:
                self.writer.write(r)
            timer.add("write_sensors", time.perf_counter() - t0)


class TrackingSink:
    """The strategy's pipeline: detections.csv, tracks.csv (every `TRACK_OUTPUT_PERIOD_S`), their scores,
    and the BEV map's scores and mid-run snapshot (plots/bev.png)."""

    def __init__(self, out: Path, pipeline, dt_s: float, n_ticks: int, actor_ids: tuple[str, ...] = ()):
        """`actor_ids`: the scenario's actors in order (their ray-cast instance numbers), for scoring
        detections against the actors each reading saw."""
        self.out, self.pipeline, self.actor_ids = out, pipeline, actor_ids
        self.track_out = TrackingWriter(out, dt_s)
        self.scorer = RunScorer(out, TRACK_OUTPUT_PERIOD_S, identities=pipeline.reads_identities)
        self.bev_scorer = (
            BevScorer(pipeline.bev.grid, pipeline.bev.rack) if pipeline.bev is not None else None
        )
        self.output_every = max(1, round(TRACK_OUTPUT_PERIOD_S / dt_s))
        self.semantic_every = self.output_every * round(SEMANTIC_PERIOD_S / TRACK_OUTPUT_PERIOD_S)
        self.snapshot_tick = (n_ticks // 2) // self.output_every * self.output_every  # half-way, on output
        self.segmentation = np.zeros((N_CLASSES, N_CLASSES), np.int64)  # truth × predicted points
        self.recent: list[np.ndarray] = []  # position detections since the last output tick, for the snapshot

    def emit(self, step, timer) -> None:
        t0 = time.perf_counter()
        detections = self.pipeline.process(step)
        timer.add("pipeline", time.perf_counter() - t0)
        for cloud, labels in self.pipeline.segmented:  # scored against the ray caster's labels
            self.segmentation += confusion(cloud.truth_class, labels, N_CLASSES)
        self.track_out.detections(detections)
        t0 = time.perf_counter()
        self.scorer.detections(step.truth, detections, self._seen())
        self.recent.extend(d.z for d in detections if np.all(np.isfinite(d.z)))
        output = step.tick % self.output_every == 0
        if output:
            tracks = self.pipeline.tracks(step.t)
            self.track_out.tracks(step.t, tracks)
            self.scorer.tracks(step.t, step.truth, tracks)
        timer.add("scoring", time.perf_counter() - t0)
        if self.bev_scorer is not None and output:
            t0 = time.perf_counter()
            self._score_bev(step)
            timer.add("bev", time.perf_counter() - t0)
        if output:
            self.recent.clear()

    def _seen(self) -> dict:
        """{(front-end, t): actors its readings of time t held} over the step's readings that carry
        ray-cast instance labels and feed a detecting front-end."""
        seen: dict = {}
        for source, r in self.pipeline.looked:
            instance = getattr(r, "truth_instance", None)
            if instance is not None and source not in self.pipeline.evidence_only:
                seen[source, r.t] = seen.get((source, r.t), set()) | seen_actors(instance, self.actor_ids)
        return seen

    def _score_bev(self, step) -> None:
        """Merge, segment and score the BEV map; keep the snapshot for plots/bev.png."""
        bev = self.pipeline.bev
        state = bev.state(step.t)
        if state is None:
            return
        snap = step.tick == self.snapshot_tick
        semantics = bev.semantics(state) if snap or step.tick % self.semantic_every == 0 else None
        raster = self.bev_scorer.update(step.truth, state, semantics)
        if snap:
            save_snapshot(self.out, state, bev.grid, semantics, raster, np.array(self.recent))

    def commit(self) -> None:
        self.track_out.commit()
        self.scorer.close()

    def discard(self) -> None:
        self.track_out.discard()
        self.scorer.discard()

    def scores(self) -> dict:
        """The run's tracking, detection and BEV figures (after `commit`)."""
        scores = self.scorer.result(self.out)
        if self.bev_scorer is not None and self.bev_scorer.steps:
            scores["bev"] = self.bev_scorer.result()
        if self.segmentation.any():
            scores["segmentation"] = segmentation_scores(self.segmentation)
        return scores


class RerunSink:
    """`--rerun FILE`: a Rerun recording — the layout and sensors, sensor data as it arrives (rate-limited),
    then the run's truth, detections, tracks, metrics and BEV snapshot from its files. Must be the last
    sink, so that those files are written when it commits."""

    def __init__(self, out: Path, path: Path, scenario, static):
        from sim.output.rerun_recording import ReadingLogger, log_static, open_recording

        self.out, self.path = Path(out), Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.rec = open_recording(self.tmp, f"{scenario.name}-seed{scenario.seed}")
        log_static(self.rec, scenario, static)
        self.readings = ReadingLogger(self.rec)

    def emit(self, step, timer) -> None:
        t0 = time.perf_counter()
        for r in step.readings:
            self.readings.log(r)
        timer.add("write_rerun", time.perf_counter() - t0)

    def commit(self) -> None:
        from sim.output.rerun_recording import close_recording, log_run_files

        log_run_files(self.rec, self.out)
        close_recording(self.rec)
        self.tmp.replace(self.path)

    def discard(self) -> None:
        from sim.output.rerun_recording import close_recording

        close_recording(self.rec)
        self.tmp.unlink(missing_ok=True)

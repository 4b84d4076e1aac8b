"""3D-CNN front-end: every 0.1 s, the site's BEV map (fed by the camera, LiDAR and thermal front-ends)
becomes one frame (`perception.bev_frames`); five recent ones, as far apart as the weights were trained
on, go through the 3D-CNN detector (`perception.cnn3d_detector`), whose boxes — with velocity and the
network's measured covariances — are this front-end's detections."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from fusion.measurements import PositionMeasurements
from perception.bev_frames import Layer, LayerStack, fresh_layers, layers_frame
from perception.bev_map import BevMap
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register

FRAME_PERIOD_S = 0.1  # the BEV map's step; the weights' frame_step counts in these
SENSOR_GROUP = {"camera": "camera", "thermal": "thermal", "lidar": "range"}  # scenario type → frame group


def sensor_groups(scenario) -> dict[str, str]:
    """Sensor id → frame group of every sensor that feeds the BEV map."""
    return {s.id: SENSOR_GROUP[s.type] for s in scenario.sensors if s.type in SENSOR_GROUP}


def site_layers(bev: BevMap, groups: dict[str, str]) -> dict[str, Layer]:
    """Sensor id → (time, frame group, evidence, highest return) of the map's layers a frame reads."""
    return {sid: (t0, groups[sid], ev, h) for sid, (t0, ev, h) in bev.layers.items() if sid in groups}


def site_frame(bev: BevMap, t: float, groups: dict[str, str]) -> np.ndarray:
    """The frame (C, nx, ny) of the map's layers at t, leaving out those older than its `max_age_s` — the
    frame the front-end's stack pushes at t."""
    return layers_frame(fresh_layers(site_layers(bev, groups), t, bev.config.max_age_s), bev.static)


def trained_for_late_layers(meta: dict) -> bool:
    """Whether weights learnt sensor groups missing from the newest frames (`whsim train cnn3d
    --late-groups`): only those read late layers put into the earlier frames as a late sensor."""
    return float((meta.get("train") or {}).get("late_group_probability", 0.0)) > 0


@lru_cache(maxsize=4)
def _model(path: str, device: str):
    """One loaded network per weights file and device, shared by every run of a process."""
    from perception.cnn3d_detector import load_cnn3d  # torch loads only when a strategy needs it
    from perception.weights_io import WeightsError
    from sim.errors import UsageError, require_cuda

    if device == "cuda":
        require_cuda("pipeline.cnn3d.device 'cuda'")
    try:
        return load_cnn3d(path, device)
    except (WeightsError, OSError) as e:
        raise UsageError(f"pipeline.cnn3d.weights: {e}") from None


def _models(paths: tuple[str, ...], device: str) -> list[tuple]:
    """(model, metadata) of each weights file; networks averaged must read the same frames."""
    from perception.cnn3d_detector import check_ensemble
    from sim.errors import UsageError

    loaded = [_model(p, device) for p in paths]
    try:
        check_ensemble([m for m, _ in loaded])
    except ValueError as e:
        raise UsageError(f"pipeline.cnn3d.weights: {e}") from None
    return loaded


class Cnn3dFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        from perception.cnn3d import HEAD_CLASSES
        from perception.cnn3d_detector import BoxCovariances, BoxDetector

        s = ctx.settings.cnn3d
        loaded = _models(s.weight_files(), s.device)
        models, meta = [m for m, _ in loaded], loaded[0][1]  # the first file's figures: the covariances
        model = models[0]
        self.bev = ctx.bev_map
        self.detector = BoxDetector(
            models,
            self.bev.grid,
            s.threshold,
            s.device,
            BoxCovariances.from_meta(meta),
            s.flips,
            s.velocity_cells,
        )
        self.groups = sensor_groups(ctx.scenario)
        self.birth_score, self.velocity_scale = s.birth_score, s.velocity_sigma_scale
        self.every = max(1, round(FRAME_PERIOD_S / ctx.scenario.dt_s))
        cfg = model.config
        self.late_layers = trained_for_late_layers(meta) if s.late_layers is None else s.late_layers
        self.stack = LayerStack(
            cfg.frames, cfg.frame_step, self.bev.static, self.bev.config.max_age_s, self.late_layers
        )
        self.names = HEAD_CLASSES

    def due(self, tick: int) -> bool:
        return tick % self.every == 0

    def process_map(self, t: float) -> FrontEndOutput:
        self.stack.push(t, site_layers(self.bev, self.groups))
        boxes = self.detector.detect(self.stack.stacked(), self.stack.stacked_keys())
        cov = self.detector.covariances
        pm = PositionMeasurements(
            t,
            "cnn3d",
            "cnn3d",
            boxes.xy,
            cov.position(boxes.cls),
            tuple(self.names[int(c)] for c in boxes.cls),
            boxes.score,
            v=boxes.vel,
            Rv=cov.velocity(len(boxes)) * self.velocity_scale**2,
            may_start=boxes.score >= self.birth_score,
        )
        return FrontEndOutput(positions=pm)


KIND = register(
    FrontEndKind(
        "cnn3d",
        None,
        None,
        False,
        "3D-CNN over five recent BEV frames of every sensor: boxes with velocity",
        Cnn3dFrontEnd,
        sufficient=False,
        preflight=lambda settings: _models(settings.cnn3d.weight_files(), settings.cnn3d.device),
        # it reads the map the camera, LiDAR and thermal front-ends feed: one is needed
        reads_map=True,
    )
)

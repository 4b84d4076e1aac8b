"""The fitted line-of-sight models of the detecting front-ends (`measurement_models.json`, written by
`python tools/calibrate_measurements.py … --write`), applied to each scan before the fuser sees it."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import numpy as np

from fusion.line_of_sight import LineOfSightModel, to_centres
from fusion.measurements import ClassConditioned, PositionMeasurements
from perception.classes import TRACKED_NAMES

MODELS_FILE = Path(__file__).with_name("measurement_models.json")
_FIELDS = tuple(f.name for f in dataclasses.fields(LineOfSightModel))


BODY_CLASSES = TRACKED_NAMES  # the bodies that move: forklift, AGV, worker


@cache
def fitted_models(key: str = "models") -> dict[str, LineOfSightModel]:
    """'source/class' → model, as fitted (groups with too few matches have none: used as reported).
    `models`: per reported class, what a detection labelled so is (misclassified ones included) — the
    covariance a detection is reported with; `body_models`: per true class (and, where fitted, per true
    and reported class), what a detection of such a body is — how a tracker reads a detection against a
    track of that class."""
    doc = json.loads(MODELS_FILE.read_text(encoding="utf-8"))
    return as_models(doc.get(key, {}))


def as_models(entries: dict[str, dict]) -> dict[str, LineOfSightModel]:
    """'source/class' → model from the file's entries (fields other than the model's, such as the counts
    the fit reports beside it, are left out)."""
    return {k: LineOfSightModel(**{f: v[f] for f in _FIELDS if f in v}) for k, v in entries.items()}


class Centring:
    """Per sensor id: its scans' detections moved to body centres from where the sensor is mounted
    (`pipeline.measurement_model: fitted`), or passed through (`reported`); a source without a position
    (the 3D-CNN's boxes, placed from every sensor at once) has its isotropic models applied where fitted,
    and is passed through where not."""

    def __init__(self, scenario):
        fitted = scenario.pipeline.measurement_model == "fitted"
        self.models = fitted_models() if fitted else {}
        self.body = fitted_models("body_models") if fitted else {}
        self.sensor_xy = {
            s.id: np.asarray(s.position[:2], float) for s in scenario.sensors if hasattr(s, "position")
        }
        self.fitted_sources = {k.split("/")[0] for k in self.models}

    def __call__(self, sensor_id: str, pm: PositionMeasurements) -> PositionMeasurements:
        if not self.models:
            return pm
        if sensor_id in self.sensor_xy:
            return centred(pm, self.sensor_xy[sensor_id], self.models, self.body)
        if pm.source in self.fitted_sources:
            return centred(pm, None, self.models, self.body)
        return pm


def centred(
    pm: PositionMeasurements, sensor_xy: np.ndarray | None, models: dict, body: dict | None = None
) -> PositionMeasurements:
    """The scan's detections moved to body centres and widened by their (source, reported class) model;
    with `body` models for the source, also read as each class's body (`by_class`). `sensor_xy` None: a
    source without a line of sight (isotropic models)."""
    if not len(pm):
        return pm
    none = LineOfSightModel()
    per = [models.get(f"{pm.source}/{c}", none) for c in pm.cls]
    z, R = to_centres(pm.z, pm.R, sensor_xy, per, pm.score)
    by_class = None
    if body and any(f"{pm.source}/{c}" in body for c in BODY_CLASSES):
        alt = [to_centres(pm.z, pm.R, sensor_xy, body_reading(body, pm, c), pm.score) for c in BODY_CLASSES]
        by_class = ClassConditioned(
            BODY_CLASSES, np.stack([a[0] for a in alt], 1), np.stack([a[1] for a in alt], 1)
        )
    return dataclasses.replace(pm, z=z, R=R, by_class=by_class)


def body_reading(body: dict, pm: PositionMeasurements, cls: str) -> list[LineOfSightModel]:
    """Per detection, how it reads as a body of class `cls`: the model of that body given the class the
    detection was reported as ('source/body/reported': a worker reported as a forklift is usually merged
    with one, and its centre is far worse), else of that body whatever it was reported as
    ('source/body'), else as reported."""
    none = LineOfSightModel()
    whole = body.get(f"{pm.source}/{cls}", none)
    return [body.get(f"{pm.source}/{cls}/{r}", whole) for r in pm.cls]

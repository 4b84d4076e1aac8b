"""The fitted line-of-sight models of the detecting front-ends (`measurement_models.json`, written by
`python tools/calibrate_measurements.py … --write`), applied to each scan before the fuser sees it."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import numpy as np

from fusion.line_of_sight import LineOfSightModel, to_centres
from fusion.measurements import PositionMeasurements

MODELS_FILE = Path(__file__).with_name("measurement_models.json")
_FIELDS = tuple(f.name for f in dataclasses.fields(LineOfSightModel))


@cache
def fitted_models() -> dict[str, LineOfSightModel]:
    """'source/class' → model, as fitted (groups with too few matches have none: used as reported)."""
    doc = json.loads(MODELS_FILE.read_text(encoding="utf-8"))
    return {k: LineOfSightModel(**{f: v[f] for f in _FIELDS if f in v}) for k, v in doc["models"].items()}


class Centring:
    """Per sensor id: its scans' detections moved to body centres from where the sensor is mounted
    (`pipeline.measurement_model: fitted`), or passed through (`reported`, and sensors without a position)."""

    def __init__(self, scenario):
        fitted = scenario.pipeline.measurement_model == "fitted"
        self.models = fitted_models() if fitted else {}
        self.sensor_xy = {
            s.id: np.asarray(s.position[:2], float) for s in scenario.sensors if hasattr(s, "position")
        }

    def __call__(self, sensor_id: str, pm: PositionMeasurements) -> PositionMeasurements:
        if not self.models or sensor_id not in self.sensor_xy:
            return pm
        return centred(pm, self.sensor_xy[sensor_id], self.models)


def centred(pm: PositionMeasurements, sensor_xy: np.ndarray, models: dict) -> PositionMeasurements:
    """The scan's detections moved to body centres and widened by their (source, class) model."""
    if not len(pm):
        return pm
    none = LineOfSightModel()
    per = [models.get(f"{pm.source}/{c}", none) for c in pm.cls]
    z, R = to_centres(pm.z, pm.R, sensor_xy, per)
    return dataclasses.replace(pm, z=z, R=R)

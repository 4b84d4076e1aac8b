"""Break-beam front-end: a beam that just became blocked says something is on its segment."""

from __future__ import annotations

import numpy as np

from fusion.measurements import LineCrossing
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.sensors.readings import BeamEvent


def _sees_nothing(xy: np.ndarray) -> np.ndarray:
    return np.zeros(len(xy), bool)  # a beam's silence is no evidence against any track


class BeamFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        self.a, self.b = np.asarray(spec.start[:2], float), np.asarray(spec.end[:2], float)

    def process(self, event: BeamEvent) -> FrontEndOutput:
        if not event.blocked:
            return FrontEndOutput()
        pm = LineCrossing(event.t, event.sensor_id, self.a, self.b).as_position()
        return FrontEndOutput(positions=pm, covered=_sees_nothing)


KIND = register(
    FrontEndKind("beam", "beam", BeamEvent, False, "line crossings", BeamFrontEnd, sufficient=False)
)

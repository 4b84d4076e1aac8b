"""The IDEALISED `oracle` source: detections straight from ground truth (Stone Soup's detection simulator
in spirit) — each actor detected with probability `detection_probability`, Gaussian position noise of
`sigma_m`, plus Poisson clutter of mean `clutter_per_scan` spread uniformly over the floor. For
separating fusion quality from perception quality only; labelled idealised wherever it appears."""

from __future__ import annotations

import numpy as np

from fusion.measurements import PositionMeasurements
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.world.kinds import CLASS_NAMES
from sim.world.truth import TruthFrame

ORACLE = "oracle (idealised)"


class OracleFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        s = ctx.settings.oracle
        self.rng, self.size = ctx.rng, np.asarray(ctx.scenario.layout.size_m, float)
        self.pd, self.sigma, self.clutter = s.detection_probability, s.sigma_m, s.clutter_per_scan
        self.every = max(1, round(1 / (s.rate_hz * ctx.scenario.dt_s)))

    def due(self, tick: int) -> bool:
        return tick % self.every == 0

    def process(self, truth: TruthFrame) -> FrontEndOutput:
        n = len(truth)
        seen = self.rng.random(n) < self.pd
        z = truth.xyz[seen, :2] + self.rng.normal(0, self.sigma, (int(seen.sum()), 2))
        cls = [CLASS_NAMES[int(c)] for c in truth.class_ids[seen]]
        k = self.rng.poisson(self.clutter)
        z = np.vstack([z, self.rng.uniform((0, 0), self.size, (k, 2))])
        cls += ["unknown"] * k
        R = np.broadcast_to(np.eye(2) * self.sigma**2, (len(z), 2, 2)).copy()
        pm = PositionMeasurements(truth.t, "oracle", ORACLE, z, R, tuple(cls), np.ones(len(z)))
        return FrontEndOutput(positions=pm)


KIND = register(
    FrontEndKind(
        "oracle", None, None, False, "IDEALISED: truth with misses, noise and clutter", OracleFrontEnd
    )
)

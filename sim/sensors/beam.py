"""Break-beam: a light barrier between two points, blocked while any actor's box crosses the segment.

Evaluated every tick; an event (with the tick's timestamp) is emitted on every change of state.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.models import BeamSensor as BeamSpec
from sim.sensors.base import Sensor, TickContext, pose_matrix
from sim.sensors.readings import BeamEvent
from sim.world.truth import TruthFrame


def segment_hits_boxes(a: np.ndarray, b: np.ndarray, truth: TruthFrame) -> np.ndarray:
    """Per actor: does segment a→b pass through its box (slab test in the box frame, vectorised)?"""
    if not len(truth):
        return np.zeros(0, bool)
    c, s = np.cos(truth.yaw), np.sin(truth.yaw)
    rel_a = a[None, :] - truth.xyz
    d = b - a
    # Into each box's frame (rotate by −yaw about z).
    pa = np.stack(
        [c * rel_a[:, 0] + s * rel_a[:, 1], -s * rel_a[:, 0] + c * rel_a[:, 1], rel_a[:, 2]], axis=1
    )
    pd = np.stack([c * d[0] + s * d[1], -s * d[0] + c * d[1], np.full(len(c), d[2])], axis=1)
    half = truth.size / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = (-half - pa) / pd
        t_hi = (half - pa) / pd
    t_near = np.where(pd == 0, np.where(np.abs(pa) <= half, -np.inf, np.inf), np.minimum(t_lo, t_hi))
    t_far = np.where(pd == 0, np.where(np.abs(pa) <= half, np.inf, -np.inf), np.maximum(t_lo, t_hi))
    enter = np.maximum(t_near.max(axis=1), 0.0)
    leave = np.minimum(t_far.min(axis=1), 1.0)
    return enter <= leave


class BreakBeam(Sensor):
    kind = "beam"

    def __init__(self, spec: BeamSpec, rng: np.random.Generator):
        super().__init__(spec.id, pose_matrix(np.eye(3), spec.start), rng)
        self.a = np.asarray(spec.start, float)
        self.b = np.asarray(spec.end, float)
        self.blocked = False

    def blocked_now(self, truth: TruthFrame) -> bool:
        return bool(segment_hits_boxes(self.a, self.b, truth).any())

    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> BeamEvent | None:
        """An event if the state changed at this tick, else None."""
        now = self.blocked_now(ctx.truth)
        if now == self.blocked:
            return None
        self.blocked = now
        return BeamEvent(self.id, ctx.t, ctx.t, now)

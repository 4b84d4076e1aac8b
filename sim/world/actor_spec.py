"""An actor's resolved body and limits: the scenario's overrides on top of its kind's defaults."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sim.scenario.models import Actor
from sim.world.kinds import CLASS_IDS, KINDS


@dataclass(frozen=True)
class ActorSpec:
    """Everything the world needs to move one actor; derived once from the scenario."""

    id: str
    kind: str
    class_id: int
    length: float
    width: float
    height: float
    max_speed: float
    accel: float
    decel: float
    lat_accel: float
    yaw_rate: float
    temperature_c: float
    priority: int
    margin: float

    @property
    def radius(self) -> float:
        """Clearance the planner keeps to racks and walls: half the body width plus a margin."""
        return self.width / 2 + self.margin

    @property
    def turn_radius(self) -> float:
        """Circumscribed radius plus margin: room needed to turn on the spot."""
        return math.hypot(self.length / 2, self.width / 2) + self.margin


def actor_spec(actor: Actor) -> ActorSpec:
    k = KINDS[actor.kind]
    length, width, height = actor.size_m or k.size_m
    return ActorSpec(
        id=actor.id,
        kind=actor.kind,
        class_id=CLASS_IDS[actor.kind],
        length=length,
        width=width,
        height=height,
        max_speed=actor.max_speed_mps or k.max_speed_mps,
        accel=k.accel_mps2,
        decel=k.decel_mps2,
        lat_accel=k.lat_accel_mps2,
        yaw_rate=k.yaw_rate_rps,
        temperature_c=k.temperature_c if actor.temperature_c is None else actor.temperature_c,
        priority=k.priority,
        margin=k.margin_m,
    )


def actor_specs(actors: Sequence[Actor]) -> list[ActorSpec]:
    return [actor_spec(a) for a in actors]

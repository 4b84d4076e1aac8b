"""Where an actor goes next: one small class per scenario motion type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sim.scenario.models import PatrolMotion, StationaryMotion, WaypointsMotion
from sim.world.layout import Rect
from sim.world.navigation import NavMap


@dataclass(frozen=True)
class Goal:
    position: tuple[float, float]
    dwell_s: float  # pause on arrival


class Behaviour(ABC):
    """Chooses an actor's start pose and its successive goals."""

    @abstractmethod
    def start(self) -> tuple[float, float, float | None]:
        """(x, y, yaw or None to face the first goal)."""

    @abstractmethod
    def next_goal(self) -> Goal | None:
        """The next goal, or None to stay put for good."""


class WaypointsBehaviour(Behaviour):
    def __init__(self, m: WaypointsMotion):
        self.points = [tuple(map(float, p)) for p in m.points]
        self.loop = m.loop
        self.dwell = m.dwell_s
        self.k = 0

    def start(self):
        x, y = self.points[0]
        return x, y, None

    def next_goal(self):
        self.k += 1
        if self.k >= len(self.points):
            if not self.loop or len(self.points) < 2:
                return None
            self.k = 0
        return Goal(self.points[self.k], self.dwell)


GOAL_EXTRA_CLEARANCE_M = (
    0.3  # patrol goals keep this much more than the travel clearance: near aisle centres,
)
# so an actor that arrives at an angle still has its corners clear of racks and walls


class PatrolBehaviour(Behaviour):
    """Random reachable goals on the roadmap, drawn from the actor's own generator."""

    def __init__(self, m: PatrolMotion, nav: NavMap, radius: float, rng: np.random.Generator):
        self.m = m
        self.nav = nav
        self.radius = radius
        self.rng = rng
        self.region = None
        if m.region is not None:
            (x0, y0), (x1, y1) = m.region
            self.region = Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        self._pos: tuple[float, float] | None = None
        self._candidates: np.ndarray | None = None

    def start(self):
        if self.m.start is not None:
            self._pos = tuple(map(float, self.m.start))
        else:
            cand = self.nav.free_nodes(self.radius, region=self.region)
            self._pos = tuple(map(float, cand[self.rng.integers(len(cand))]))
        return *self._pos, float(self.rng.uniform(-np.pi, np.pi))

    def next_goal(self):
        if self._candidates is None:
            comp = self.nav.component_of(self._pos, self.radius)
            self._candidates = self.nav.goal_nodes(self.radius, comp, self.region, GOAL_EXTRA_CLEARANCE_M)
        if len(self._candidates) == 0:
            return None
        p = self._candidates[self.rng.integers(len(self._candidates))]
        lo, hi = self.m.dwell_s
        return Goal((float(p[0]), float(p[1])), float(self.rng.uniform(lo, hi)))


class StationaryBehaviour(Behaviour):
    def __init__(self, m: StationaryMotion):
        self.m = m

    def start(self):
        return float(self.m.position[0]), float(self.m.position[1]), float(np.radians(self.m.yaw_deg))

    def next_goal(self):
        return None

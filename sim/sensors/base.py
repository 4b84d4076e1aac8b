"""The sensor role: a small abstract base, and the per-tick context every sensor reads from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.sensors.ray_grid import RayGrid
from sim.sensors.raycast import ActorScene, Hits, StaticScene, cast_world
from sim.sensors.readings import Reading
from sim.world.truth import TruthFrame


@dataclass
class TickContext:
    """What the world looks like at one tick, as sensors may sense it. Built once per tick, shared."""

    t: float
    truth: TruthFrame
    static: StaticScene
    actor_scene: Callable[[], ActorScene | None]  # built on first use, then cached for this tick
    actor_rows: np.ndarray  # scenario index of each truth row (actor instance = ACTOR_INSTANCE_BASE + index)
    actor_temperature: np.ndarray  # surface temperature of every scenario actor, °C

    def cast(self, grid: RayGrid, static_hits: Hits) -> tuple[Hits, np.ndarray]:
        """Hits of the grid's rays at this tick given its hits on the static scene, and which changed."""
        actors = self.actor_scene()
        cand = np.zeros(0, np.int64) if actors is None else grid.candidates(actors.centres, actors.radius)
        return cast_world(static_hits, actors, grid.rays, cand)


class Sensor(ABC):
    """One sensor: fixed mounting (`pose`, world from sensor), its own random generator."""

    kind: str

    def __init__(self, sensor_id: str, pose: np.ndarray, rng: np.random.Generator):
        self.id = sensor_id
        self.pose = pose
        self.rng = rng

    def prepare(self, static: StaticScene) -> None:  # noqa: B027 - optional hook
        """Precompute what depends only on the static scene (ray-casting sensors cast it once here)."""

    @abstractmethod
    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> Reading:
        """A reading at ctx.t, simulated from the true pose and reported with `reported_pose`."""


def pose_matrix(R: np.ndarray, t) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = t
    return T

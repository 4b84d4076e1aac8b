"""`whsim perf` (SPEC §9): performance figures, each measured in one process beside its baseline.

Figures are the best of `repeats` repetitions: the best run is the one least disturbed by the rest of the
machine, which on shared 2-core hosts matters more than any mean. Modules that do not exist yet add their
keys when they land.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import open3d as o3d

from sim.scenario.loader import load_scenario
from sim.sensors.base import TickContext
from sim.sensors.camera import Camera
from sim.sensors.lidar import Lidar
from sim.sensors.raycast import ACTOR_INSTANCE_BASE, ActorScene
from sim.simulation import Simulation

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"


def realtime_factor_world_only(repeats: int) -> float:
    """Simulated seconds per wall second of the default scenario's stepped loop with no sensors and no
    strategy: `Simulation.reset` (world build, planning) then `step()` to the end. Writing the run
    directory is not part of it (`whsim run` reports its own end-to-end figure in metrics.json)."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    sim = Simulation(scenario, sensors=False)
    sim.reset()  # builds the roadmap once, as a long-lived process would
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.reset()
        done = False
        while not done:
            _, done, _ = sim.step()
        best = min(best, time.perf_counter() - t0)
    return round(sim.tick * scenario.dt_s / best, 1)


def _loop_rtf(sim: Simulation, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.reset()
        done = False
        while not done:
            _, done, _ = sim.step()
        best = min(best, time.perf_counter() - t0)
    return round(sim.tick * sim.scenario.dt_s / best, 2)


def realtime_factors(repeats: int) -> dict:
    """`world_only`, and `none`: the same loop with every sensor of the default scenario simulated (the
    `none` strategy: sensing without tracking). Strategies add their keys when they land."""
    out = {"world_only": realtime_factor_world_only(repeats)}
    scenario = load_scenario(DEFAULT_SCENARIO)
    out["none"] = _loop_rtf(Simulation(scenario), max(1, min(repeats, 2)))
    return out


def _sensor_setup(at_s: float = 10.0):
    """The default scenario's simulation advanced to `at_s`, so actors are spread over the floor."""
    sim = Simulation(load_scenario(DEFAULT_SCENARIO))
    step, _ = sim.reset()
    while step.t < at_s - 1e-9:
        step, _, _ = sim.step()
    return sim, step


def _context(sim: Simulation, step) -> TickContext:
    """A fresh per-tick context: the actor scene is built inside whatever is timed, as in the loop."""
    suite = sim.sensors
    rows = np.array([suite.index[i] for i in step.truth.ids], dtype=np.int64)
    cache: list = []

    def actor_scene():
        if not cache:
            cache.append(ActorScene(suite.meshes, rows, step.truth.xyz[:, :2], step.truth.yaw,
                                    ACTOR_INSTANCE_BASE + rows))  # fmt: skip
        return cache[0]

    return TickContext(step.t, step.truth, suite.static, actor_scene, rows, suite.temperature)


def lidar_efficiency(repeats: int) -> float:
    """Raw Open3D cast of the VLP-16's 28 800 rays into one prebuilt scene holding the layout and the posed
    actors, divided by the project's LiDAR sensor time for the same rays and the same tick (actor scene
    build, actor-ray selection, casting, noise, intensities, points). Best of `repeats` × 10 each,
    interleaved."""
    sim, step = _sensor_setup()
    lidar = next(s for s in sim.sensors.sensors if isinstance(s, Lidar))
    actors = _context(sim, step).actor_scene()
    full = o3d.t.geometry.RaycastingScene()
    m = sim.sensors.static.mesh
    for verts, tris in ((m.vertices, m.triangles), (actors.vertices, actors.triangles)):
        full.add_triangles(o3d.core.Tensor(verts.astype(np.float32)), o3d.core.Tensor(tris.astype(np.uint32)))
    rays = o3d.core.Tensor(lidar.grid.rays)
    raw, ours = float("inf"), float("inf")
    for _ in range(repeats * 10):
        t0 = time.perf_counter()
        full.cast_rays(rays)
        raw = min(raw, time.perf_counter() - t0)
        ctx = _context(sim, step)
        t0 = time.perf_counter()
        lidar.measure(ctx, lidar.pose)
        ours = min(ours, time.perf_counter() - t0)
    return round(raw / ours, 3)


def camera_ms_320x240(repeats: int) -> float:
    """One 320 × 240 frame (RGB, ground-truth depth and masks), actor scene build included: the median
    over 20 ticks of the default scenario of the best of `repeats` per tick."""
    sim = Simulation(load_scenario(DEFAULT_SCENARIO))
    step, _ = sim.reset()
    cam = next(
        s
        for s in sim.sensors.sensors
        if isinstance(s, Camera) and s.model.width == 320 and s.model.height == 240
    )
    per_tick = []
    while len(per_tick) < 20:
        for _ in range(40):  # 2 s apart
            step, _, _ = sim.step()
        best = float("inf")
        for _ in range(repeats):
            ctx = _context(sim, step)
            t0 = time.perf_counter()
            cam.measure(ctx, cam.pose)
            best = min(best, time.perf_counter() - t0)
        per_tick.append(best)
    return round(float(np.median(per_tick)) * 1e3, 2)


FIGURES: dict[str, Callable[[int], object]] = {
    "lidar_efficiency": lidar_efficiency,
    "camera_ms_320x240": camera_ms_320x240,
    "realtime_factor": realtime_factors,
}


def run_perf(only: str | None = None, repeats: int = 5) -> dict:
    return {k: f(repeats) for k, f in FIGURES.items() if only is None or k == only}

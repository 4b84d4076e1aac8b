"""`whsim perf` (SPEC §9): performance figures, each measured in one process beside its baseline.

Figures are the best of `repeats` repetitions: the best run is the one least disturbed by the rest of the
machine, which on shared 2-core hosts matters more than any mean. A figure with a baseline times the two
in turn, repetition by repetition, so a slow spell of the machine falls on both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import open3d as o3d

from sim.loading import load_scenario
from sim.pipeline.pipeline import make_pipeline
from sim.sensors.base import TickContext
from sim.sensors.camera import Camera
from sim.sensors.lidar import Lidar
from sim.simulation import Simulation
from sim.sinks import TRACK_OUTPUT_PERIOD_S

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"


def _loop_rtf(sim: Simulation, repeats: int) -> float:
    """Best of `repeats`: simulated seconds per wall second of reset + every step."""
    sim.reset()  # builds the roadmap once, as a long-lived process would
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.reset()
        done = False
        while not done:
            _, done, _ = sim.step()
        best = min(best, time.perf_counter() - t0)
    return round(sim.tick * sim.scenario.dt_s / best, 2)


def realtime_factor_world_only(repeats: int) -> float:
    """The default scenario's stepped loop with no sensors and no strategy: world build, planning,
    traffic, kinematics, scheduling (writing the run directory is not part of it)."""
    return _loop_rtf(Simulation(load_scenario(DEFAULT_SCENARIO), sensors=False), repeats)


def _pipeline_s(recording, strategy: str) -> float:
    """Wall time of a strategy's pipeline over a recording, fed as `whsim run` feeds it (tracks at every
    output step; no files, no scoring)."""
    replay = recording.replay()
    every = max(1, round(TRACK_OUTPUT_PERIOD_S / replay.scenario.dt_s))
    t0 = time.perf_counter()
    step, _ = replay.reset()
    pipe = make_pipeline(
        strategy, replay.scenario, np.random.default_rng(replay.pipeline_seed), replay.world.static
    )
    pipe.process(step)
    done = replay.n_ticks == 0
    while not done:
        step, done, _ = replay.step()
        pipe.process(step)
        if step.tick % every == 0:
            pipe.tracks(step.t)
    return time.perf_counter() - t0


def realtime_factors(repeats: int, strategies: tuple[str, ...] | None = None) -> dict:
    """`world_only`; `none`: every sensor of the default scenario simulated, no tracking; then each
    tracking strategy (all, or `strategies`): simulated time / (the sensors' time + the strategy's
    pipeline time), the sensors simulated once per round and each pipeline replayed on that recording, as
    `whsim bench` does. Rounds run every part in turn — record, replay each strategy, record, replay… —
    and each part's best round counts, so a slow spell of the machine hits every part alike: `repeats`
    rounds for chosen strategies, at most 2 for all of them (a round of all is ≈ 3 minutes)."""
    from sim.recording import Recording
    from sim.strategies import STRATEGIES

    scenario = load_scenario(DEFAULT_SCENARIO)
    out = {"world_only": realtime_factor_world_only(repeats)}
    tracking = [name for name, info in STRATEGIES.items() if info.fuser != "none"]
    if strategies is not None:
        tracking = [name for name in tracking if name in strategies]
    rounds = max(1, repeats if strategies is not None else min(repeats, 2))
    sensors_s = float("inf")
    pipeline_s = dict.fromkeys(tracking, float("inf"))
    for _ in range(rounds):
        rec = Recording.record(scenario)
        sensors_s = min(sensors_s, rec.wall_s)
        for name in tracking:
            pipeline_s[name] = min(pipeline_s[name], _pipeline_s(rec, name))
    sim_time = (len(rec.steps) - 1) * scenario.dt_s
    out["none"] = round(sim_time / sensors_s, 2)
    for name in tracking:
        out[name] = round(sim_time / (sensors_s + pipeline_s[name]), 2)
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
    return sim.sensors.context(step.t, step.truth)


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


def _kalman_work(n: int = 1000, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.normal(0, 1, (n, 4, 4))
    P = A @ A.transpose(0, 2, 1) + np.eye(4)
    x = rng.normal(0, 10, (n, 4))
    z = rng.normal(0, 10, (n, 2))
    R = np.broadcast_to(np.diag([0.04, 0.09]), (n, 2, 2)).copy()
    return x, P, z, R, rng.uniform(0.05, 0.2, n), rng.uniform(0.1, 2.0, n)


def kalman_figures(repeats: int) -> tuple[float, float]:
    """filterpy 2.0 KalmanFilter predict+update per track in a Python loop, against the batched filter,
    1000 tracks with their own dt, q and R; best of `repeats` each. Also the largest |difference|."""
    from filterpy.kalman import KalmanFilter

    from fusion.kalman import predict, update
    from fusion.motion import cv_process_noise, cv_transition

    x, P, z, R, dt, q = _kalman_work()
    F, Q = cv_transition(dt), cv_process_noise(dt, q)
    H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    filters = []
    for _ in range(len(x)):
        kf = KalmanFilter(dim_x=4, dim_z=2)
        kf.H = H
        filters.append(kf)
    ref_best = ours_best = float("inf")
    for _ in range(repeats):
        for k, kf in enumerate(filters):  # reset to the same start each repetition
            kf.x, kf.P = x[k].copy(), P[k].copy()
        t0 = time.perf_counter()
        for k, kf in enumerate(filters):
            kf.F, kf.Q = F[k], Q[k]
            kf.predict()
            kf.update(z[k], R=R[k])
        ref_best = min(ref_best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        xb, Pb = predict(x, P, dt, q)
        xb, Pb, _ = update(xb, Pb, z, R)
        ours_best = min(ours_best, time.perf_counter() - t0)
    diff = max(
        max(np.abs(kf.x.ravel() - xb[k]).max(), np.abs(kf.P - Pb[k]).max()) for k, kf in enumerate(filters)
    )
    return round(ref_best / ours_best, 1), float(f"{diff:.3g}")


def association_ms_200x200(repeats: int) -> float:
    """Gating (Mahalanobis, χ² 99 %) and GNN assignment of 200 measurements to 200 tracks, best of repeats."""
    from fusion.association import gate_threshold, gnn, position_distances

    rng = np.random.default_rng(1)
    truth = rng.uniform(0, 40, (200, 2))
    x = np.column_stack([truth + rng.normal(0, 0.3, (200, 2)), rng.normal(0, 1, (200, 2))])
    P = np.broadcast_to(np.diag([0.2, 0.2, 1.0, 1.0]), (200, 4, 4)).copy()
    z = truth[rng.permutation(200)] + rng.normal(0, 0.2, (200, 2))
    R = np.broadcast_to(np.eye(2) * 0.04, (200, 2, 2)).copy()
    best = float("inf")
    for _ in range(max(repeats, 5)):
        t0 = time.perf_counter()
        gnn(position_distances(x, P, z, R), gate_threshold(2))
        best = min(best, time.perf_counter() - t0)
    return round(best * 1e3, 3)


def graphcut_overhead_ratio(repeats: int) -> float:
    """perception.graph_cut.segment_binary / bare PyMaxflow grid build + cut + read-out, same unary terms
    and λ on BEV-like 256 × 256 evidence (blobs in noise); best of max(repeats, 5) each, interleaved."""
    import maxflow

    from perception.evidence import unary_from_logodds
    from perception.graph_cut import segment_binary

    rng = np.random.default_rng(0)
    ev = rng.normal(-1.0, 1.5, (256, 256))
    for cx, cy in rng.integers(20, 236, (12, 2)):
        ev[cx - 6 : cx + 6, cy - 4 : cy + 4] += 3.0
    d0, d1 = unary_from_logodds(ev)
    lam = 0.4

    def bare():
        g = maxflow.Graph[float]()
        nodes = g.add_grid_nodes(d0.shape)
        g.add_grid_edges(nodes, weights=lam, symmetric=True)
        g.add_grid_tedges(nodes, d1, d0)
        g.maxflow()
        return g.get_grid_segments(nodes)

    ours_t = bare_t = float("inf")
    for _ in range(max(repeats, 5)):
        t0 = time.perf_counter()
        a = segment_binary(d0, d1, lam)
        ours_t = min(ours_t, time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = bare()
        bare_t = min(bare_t, time.perf_counter() - t0)
    assert np.array_equal(a, b)
    return round(ours_t / bare_t, 3)


def lidar_bev_ms_100k(repeats: int) -> float:
    """perception.bev.lidar_pillars of 100 000 points on a 0.1 m grid over the default building."""
    from perception.bev import BevGrid, lidar_pillars

    rng = np.random.default_rng(0)
    pts = np.column_stack(
        [rng.uniform(0, 40, 100_000), rng.uniform(0, 25, 100_000), rng.uniform(0, 3, 100_000)]
    )
    grid = BevGrid.covering((40, 25), 0.1)
    best = float("inf")
    for _ in range(max(repeats, 5)):
        t0 = time.perf_counter()
        lidar_pillars(grid, pts, pts[:, 2])
        best = min(best, time.perf_counter() - t0)
    return round(best * 1e3, 2)


def pointnet_points_per_s(repeats: int, device: str = "cpu") -> int:
    """The shipped PointNet segmenting the default scenario's VLP-16 sweep at 10 s, points per second:
    tiling, features, the network on `device` and the labels (best of `repeats` × 3)."""
    from perception.point_segmenter import PointSegmenter

    sim, step = _sensor_setup()
    lidar = next(s for s in sim.sensors.sensors if isinstance(s, Lidar))
    pc = lidar.measure(_context(sim, step), lidar.pose)
    segmenter = PointSegmenter.from_file(device=device)
    segmenter.segment(pc.points, pc.pose[:3, 3], pc.intensity)  # warm-up (allocator, threads)
    best = float("inf")
    for _ in range(repeats * 3):
        t0 = time.perf_counter()
        segmenter.segment(pc.points, pc.pose[:3, 3], pc.intensity)
        best = min(best, time.perf_counter() - t0)
    return round(len(pc.points) / best)


def cnn3d_ms_per_step(repeats: int, device: str = "cpu") -> float:
    """The shipped 3D-CNN (both networks, averaged, as the loop runs them) on the default grid (200 × 125
    cells, T = 5 frames): the networks on `device` (the frames' copy there and the maps' back included)
    and the peak decoding of one step, milliseconds (best of `repeats` × 3). The input is recorded-like:
    the default site's static map and sparse evidence, so decoding sees a realistic number of peaks, a new
    frame pushed onto a `FrameStack` each step as the loop pushes them (so the first layer's outputs over
    frames already seen are reused, as in the loop). The networks run as the loop runs them by default
    (`pipeline.cnn3d.flips`: that many mirror images of the grid averaged)."""
    from perception.bev import BevGrid
    from perception.bev_frames import N_CHANNELS, FrameStack
    from perception.cnn3d_detector import BoxDetector
    from sim.scenario.pipeline_settings import Cnn3dSettings

    grid = BevGrid.covering((40, 25), 0.2)
    rng = np.random.default_rng(0)
    pool = np.zeros((8, N_CHANNELS, *grid.shape), np.float32)
    pool[:, :7] = (rng.random((8, 7, *grid.shape)) < 0.02) * rng.uniform(-1, 1, (8, 7, *grid.shape))
    settings = Cnn3dSettings()
    detector = BoxDetector.from_file(settings.weight_files(), grid, device=device, flips=settings.flips)
    stack = FrameStack(detector.model.config.frames, detector.model.config.frame_step)
    best = float("inf")
    for k in range(repeats * 3 + 2 * detector.model.config.window):  # warm-up: the stack filled twice
        stack.push(pool[k % len(pool)])
        frames, keys = stack.stacked(), stack.stacked_keys()
        t0 = time.perf_counter()
        detector.detect(frames, keys)
        if k >= 2 * detector.model.config.window:
            best = min(best, time.perf_counter() - t0)
    return round(best * 1e3, 2)


def _kalman_speedup(repeats: int) -> float:
    return kalman_figures(repeats)[0]


def _kalman_diff(repeats: int) -> float:
    return kalman_figures(1)[1]


FIGURES: dict[str, Callable[..., object]] = {  # (repeats) → figure; ON_DEVICE ones (repeats, device)
    "kalman_speedup_vs_filterpy": _kalman_speedup,
    "kalman_max_abs_diff": _kalman_diff,
    "association_ms_200x200": association_ms_200x200,
    "graphcut_overhead_ratio": graphcut_overhead_ratio,
    "lidar_bev_ms_100k": lidar_bev_ms_100k,
    "lidar_efficiency": lidar_efficiency,
    "camera_ms_320x240": camera_ms_320x240,
    "pointnet_points_per_s": pointnet_points_per_s,
    "cnn3d_ms_per_step": cnn3d_ms_per_step,
    "realtime_factor": realtime_factors,
}


# The figures of the networks, which `--device` moves (the maps come back to the host: timing is synchronous).
ON_DEVICE = ("pointnet_points_per_s", "cnn3d_ms_per_step")


def run_perf(
    only: str | None = None, repeats: int = 5, strategies: tuple[str, ...] | None = None, device: str = "cpu"
) -> dict:
    def measure(key: str, f: Callable) -> object:
        if key == "realtime_factor":
            return realtime_factors(repeats, strategies)
        return f(repeats, device) if key in ON_DEVICE else f(repeats)

    return {k: measure(k, f) for k, f in FIGURES.items() if only is None or k == only}

"""`whsim dataset cnn3d`: sequences of BEV frames with the true boxes and velocities, one `.npz` each.

A sequence is one random site (`random_site`) simulated with its camera, LiDAR and thermal front-ends
feeding the site's BEV map; every 0.1 s the map becomes a frame (`site_frame`, the same call the `cnn3d`
front-end makes) and every actor present its box: class, centre, length and width, yaw, velocity, and
whether some sensor's evidence touched its footprint in that frame (`seen`). Any scenario can be recorded
the same way (`record`), which is how the held-out figures on the shipped scenarios are measured.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from perception.bev import BevGrid
from perception.classes import TRACKED
from perception.cnn3d_training import BoxSequence
from sim.learning.pointnet_dataset import HELDOUT_SEED_BASE, scene_seeds
from sim.learning.random_scenes import random_site
from sim.output.atomic import atomic_write_bytes
from sim.pipeline.frontends.cnn3d import FRAME_PERIOD_S, sensor_groups, site_frame
from sim.pipeline.pipeline import Pipeline
from sim.simulation import Simulation
from sim.strategies import Strategy

__all__ = ["HELDOUT_SEED_BASE", "load_sequence", "record", "save_sequence", "write_dataset"]
EVIDENCE = Strategy(
    "bev-frames",
    "camera, LiDAR and thermal evidence into the BEV map; no tracking",
    ("camera", "lidar", "thermal"),
    fuser="none",
    evidence_only=("camera", "lidar", "thermal"),
)
SEEN_MARGIN_M = 0.3  # evidence this far outside a footprint still counts as seeing the body


def seen_in(frame: np.ndarray, grid: BevGrid, xy: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether positive evidence (any sensor group) lies within each body's half diagonal (+ margin)."""
    positive = (frame[[0, 3, 5]] > 0).any(0)
    cells = np.argwhere(positive)
    if not len(cells) or not len(xy):
        return np.zeros(len(xy), bool)
    centres = grid.cell_to_world(cells)
    reach = 0.5 * np.hypot(size[:, 0], size[:, 1]) + SEEN_MARGIN_M
    counts = cKDTree(centres).query_ball_point(xy, reach, return_length=True)
    return np.asarray(counts) > 0


def record(scenario, seed: int | None = None) -> BoxSequence:
    """Simulate `scenario` (with `seed`, or its own) and collect its frames and boxes."""
    types = {s.type for s in scenario.sensors}
    present = tuple(f for f in EVIDENCE.frontends if f in types)
    if not present:
        raise ValueError(f"{scenario.name}: no camera, LiDAR or thermal camera feeds the BEV map")
    sim = Simulation(scenario)
    step, _ = sim.reset(seed)
    pipe = Pipeline(EVIDENCE, present, scenario, np.random.default_rng(0), sim.world.static)
    grid, groups = pipe.bev.grid, sensor_groups(scenario)
    every = max(1, round(FRAME_PERIOD_S / scenario.dt_s))
    index = {a.id: k for k, a in enumerate(scenario.actors)}
    frames, rows, done = [], [], False
    while True:
        pipe.process(step)
        if step.tick % every == 0:
            f = site_frame(pipe.bev, step.t, groups)
            tr = step.truth
            keep = np.isin(tr.class_ids, TRACKED)
            xy, size = tr.xyz[keep, :2], tr.size[keep, :2]
            seen = seen_in(f, grid, xy, size)
            cls = np.searchsorted(TRACKED, tr.class_ids[keep])
            ids = np.array([index[i] for i, k in zip(tr.ids, keep, strict=True) if k], np.int64)
            rows.append((len(frames), cls, xy, size, tr.yaw[keep], tr.vel[keep], seen, ids))
            frames.append(f.astype(np.float16))
        if done:
            break
        step, done, _ = sim.step()
    return BoxSequence(
        grid,
        np.stack(frames),
        np.concatenate([np.full(len(r[1]), r[0], np.int64) for r in rows]),
        *(np.concatenate([r[i] for r in rows]) for i in range(1, 8)),
    )


def save_sequence(path: Path, seq: BoxSequence) -> None:
    arrays = {
        "grid": np.array([*seq.grid.origin, seq.grid.resolution, *seq.grid.shape], float),
        "frames": seq.frames,
        "frame": seq.frame,
        "cls": seq.cls.astype(np.int8),
        "xy": seq.xy.astype(np.float32),
        "size": seq.size.astype(np.float32),
        "yaw": seq.yaw.astype(np.float32),
        "vel": seq.vel.astype(np.float32),
        "seen": seq.seen,
        "actor": seq.actor,
    }
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


FRAMES_ON_DISK = ".frames"  # beside a split's site files: their frames uncompressed, to be memory-mapped


def load_sequence(path: Path, on_disk: bool = False, channels: int | None = None) -> BoxSequence:
    """A recorded site. `on_disk`: its frames memory-mapped from an uncompressed copy beside it
    (`<split>/.frames/<name>.npy`, written on first use and again whenever the site file is newer), so
    the operating system pages them in as training reads them instead of the process holding them all.
    `channels`: only each frame's first channels are kept (those the weights read)."""
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files if not (on_disk and k == "frames")}
        if on_disk:
            a["frames"] = _frames_on_disk(Path(path), z)
    if channels is not None and a["frames"].shape[1] > channels:
        cut = a["frames"][:, :channels]  # a view of a mapped copy; held frames are copied, the rest freed
        a["frames"] = cut if on_disk else np.ascontiguousarray(cut)
    g = a.pop("grid")
    grid = BevGrid((float(g[0]), float(g[1])), float(g[2]), (int(g[3]), int(g[4])))
    return BoxSequence(
        grid,
        a["frames"],
        a["frame"],
        a["cls"].astype(np.int64),
        a["xy"],
        a["size"],
        a["yaw"],
        a["vel"],
        a["seen"],
        a["actor"],
    )


def _frames_on_disk(path: Path, z) -> np.memmap:
    """The site's frames, read-only and memory-mapped from `.frames/<name>.npy` (made from `z` when
    missing or older than the site file; written whole under a temporary name, then renamed)."""
    copy = path.parent / FRAMES_ON_DISK / f"{path.stem}.npy"
    if not copy.is_file() or copy.stat().st_mtime_ns < path.stat().st_mtime_ns:
        frames = z["frames"]
        part = copy.with_name(f"{copy.stem}.part.npy")
        try:
            copy.parent.mkdir(exist_ok=True)
            np.save(part, frames)
            os.replace(part, copy)
        except OSError as e:
            with contextlib.suppress(OSError):  # the folder itself may be what failed
                part.unlink(missing_ok=True)
            raise FramesOnDiskError(
                f"cannot write {copy} ({e.strerror or e}; it needs {frames.nbytes / 1e6:,.0f} MB)"
            ) from None
    return np.load(copy, mmap_mode="r")


class FramesOnDiskError(Exception):
    """An uncompressed copy of a site's frames could not be written (a read-only folder, a full disk)."""


def _frames_in(path: Path) -> int | None:
    """How many frames a finished sequence file holds; None when it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return len(z["frames"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _render(job: tuple[int, str, float, bool]) -> int:
    """Record one site into its file (run in a worker process); returns its frame count."""
    seed, path, duration_s, dense = job
    seq = record(random_site(seed, duration_s=duration_s, dense=dense))
    save_sequence(Path(path), seq)
    return len(seq.frames)


def write_dataset(
    out: Path,
    n_sequences: int,
    seed: int,
    n_heldout: int,
    duration_s: float = 30.0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    n_dense: int = 0,
) -> dict:
    """Record `n_sequences` training and `n_heldout` held-out sites into `out/{train,heldout}/` on
    `workers` processes, and `n_dense` dense training sites (`random_site(dense=True)`, the seeds after
    the others, files `site-<seed>-dense.npz`); a sequence already written is kept (an interrupted run
    resumes). Returns the dataset.json manifest."""
    manifest = {"kind": "cnn3d", "seed": seed, "duration_s": duration_s, "splits": {}}
    frames: dict[str, int] = {}
    todo = []
    dense_seeds = list(range(seed + n_sequences, seed + n_sequences + n_dense))
    for split, n in (("train", n_sequences), ("heldout", n_heldout)):
        folder = out / split
        folder.mkdir(parents=True, exist_ok=True)
        seeds = scene_seeds(split, n, seed)
        manifest["splits"][split] = {"site_seeds": [seeds[0], seeds[-1]] if seeds else []}
        sites = [(s, False) for s in seeds]
        if split == "train" and dense_seeds:
            manifest["splits"][split]["dense_site_seeds"] = [dense_seeds[0], dense_seeds[-1]]
            sites += [(s, True) for s in dense_seeds]
        names = [f"site-{s:07d}{'-dense' if dense else ''}.npz" for s, dense in sites]
        manifest["splits"][split]["files"] = names
        for (s, dense), name in zip(sites, names, strict=True):
            path = folder / name
            k = _frames_in(path)
            if k is None:  # not there yet, or damaged: record it
                todo.append((split, (s, str(path), duration_s, dense)))
            else:
                frames[split] = frames.get(split, 0) + k
                if progress:
                    progress(1)
    for split, k in _run(todo, workers, progress):
        frames[split] = frames.get(split, 0) + k
    for split, info in manifest["splits"].items():
        info["frames"] = frames.get(split, 0)
    atomic_write_bytes(out / "dataset.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _run(todo, workers: int, progress):
    """(split, frames) of each job, in a pool of spawned processes when `workers` > 1."""
    if workers <= 1:
        for split, job in todo:
            yield split, _render(job)
            if progress:
                progress(1)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(_render, job): split for split, job in todo}
        for f in as_completed(futures):
            yield futures[f], f.result()
            if progress:
                progress(1)

"""`whsim dataset pointnet`: labelled range scans of randomised scenes, one `.npz` per scene.

Each scene (`random_scene`) is simulated and its spinning LiDARs (`vlp16`) and depth cameras (`depth_cam`)
scan every few seconds as the traffic moves. Every point keeps the class and instance its ray hit (the ray
caster's ground truth) and, on the tracked classes, the floor-plane centre of its body (the vote target),
and whether it lies on the site map's fixed structure (racks, walls: what the segmenter is told at run time).
Training and held-out scenes come from disjoint seed ranges, so the held-out layouts were never seen.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from perception.pointnet_training import LabelledScan
from sim.learning.manifest import split_files as listed_files
from sim.learning.random_scenes import random_scene
from sim.output.atomic import atomic_write_bytes
from sim.pipeline.frontends.base import scenario_bev_map
from sim.sensors.raycast import ACTOR_INSTANCE_BASE
from sim.sensors.readings import PointCloud
from sim.simulation import Simulation

HELDOUT_SEED_BASE = 1_000_000  # held-out scene seeds start here; training seeds stay below it
SPLITS = ("train", "heldout")


def scene_seeds(split: str, n: int, seed: int) -> list[int]:
    """The scene seeds of a split: training seed, seed+1, …; held-out from HELDOUT_SEED_BASE + seed."""
    base = seed if split == "train" else HELDOUT_SEED_BASE + seed
    return list(range(base, base + n))


def render_scene(scene_seed: int) -> list[LabelledScan]:
    """Simulate one random scene and return every range scan it took, labelled."""
    scenario = random_scene(scene_seed)
    index = {a.id: k for k, a in enumerate(scenario.actors)}
    depth = {s.id for s in scenario.sensors if getattr(s, "preset", None) == "depth_cam"}
    sim = Simulation(scenario)
    step, _ = sim.reset()
    site = scenario_bev_map(scenario, sim.world.static)
    scans, done = [], False
    while True:
        for r in step.readings:
            if isinstance(r, PointCloud):
                fixed = site.grid.at(site.static, r.points[:, :2], outside=True)
                scans.append(_label(r, step.truth, index, r.sensor_id in depth, fixed))
        if done:
            return scans
        step, done, _ = sim.step()


def _label(
    pc: PointCloud, truth, index: dict[str, int], depth_camera: bool, fixed: np.ndarray
) -> LabelledScan:
    centre = np.full((len(pc.points), 2), np.nan, np.float32)
    for row, actor_id in enumerate(truth.ids):
        on = pc.truth_instance == ACTOR_INSTANCE_BASE + index[actor_id]
        centre[on] = truth.xyz[row, :2]
    return LabelledScan(
        pc.points.astype(np.float32),
        pc.intensity.astype(np.float32),
        pc.pose[:3, 3].astype(np.float32),
        depth_camera,
        pc.truth_class.astype(np.uint8),
        pc.truth_instance.astype(np.int32),
        centre,
        np.asarray(fixed, bool),
    )


def save_scans(path: Path, scans: list[LabelledScan]) -> None:
    """All scans of a scene in one `.npz`: points concatenated (`sizes` per scan), vote targets stored per
    (scan, actor) rather than per point."""
    import io

    n_actors = max([int(s.instance.max(initial=0)) - ACTOR_INSTANCE_BASE + 1 for s in scans] + [0])
    centres = np.full((len(scans), n_actors, 2), np.nan, np.float32)
    for k, s in enumerate(scans):
        actor = s.instance - ACTOR_INSTANCE_BASE
        on = actor >= 0
        centres[k, actor[on]] = s.centre[on]
    arrays = {
        "points": np.concatenate([s.points for s in scans]),
        "intensity": np.concatenate([s.intensity for s in scans]).astype(np.float16),
        "cls": np.concatenate([s.cls for s in scans]),
        "instance": np.concatenate([s.instance for s in scans]),
        "sizes": np.array([len(s.points) for s in scans], np.int64),
        "actor_centres": centres,
        "sensor_xyz": np.array([s.sensor_xyz for s in scans], np.float32).reshape(-1, 3),
        "depth_camera": np.array([s.depth_camera for s in scans], bool),
        "fixed": np.concatenate([np.asarray(s.fixed, bool) for s in scans]),  # rendered scans have it
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


class OlderDatasetError(ValueError):
    """A scene file from before scans kept their site-map mask: `write_dataset` renders it again."""


def load_scans(path: Path) -> list[LabelledScan]:
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    if "fixed" not in a:
        raise OlderDatasetError(f"{path}: written by an older whsim, without the site-map mask of each point")
    bounds = np.concatenate([[0], np.cumsum(a["sizes"])])
    out = []
    for k in range(len(a["sizes"])):
        sl = slice(bounds[k], bounds[k + 1])
        inst = a["instance"][sl]
        actor = inst - ACTOR_INSTANCE_BASE
        centre = np.full((len(inst), 2), np.nan, np.float32)
        on = actor >= 0
        centre[on] = a["actor_centres"][k, actor[on]]
        out.append(
            LabelledScan(
                a["points"][sl],
                a["intensity"][sl].astype(np.float32),
                a["sensor_xyz"][k],
                bool(a["depth_camera"][k]),
                a["cls"][sl],
                inst,
                centre,
                a["fixed"][sl],
            )
        )
    return out


def write_dataset(
    out: Path, n_scenes: int, seed: int, n_heldout: int, progress: Callable[[int], None] | None = None
) -> dict:
    """Render `n_scenes` training and `n_heldout` held-out scenes into `out/{train,heldout}/`; a scene
    already written is kept (an interrupted run resumes). Returns the manifest written to dataset.json."""
    manifest = {"kind": "pointnet", "seed": seed, "splits": {}}
    for split, n in (("train", n_scenes), ("heldout", n_heldout)):
        folder = out / split
        folder.mkdir(parents=True, exist_ok=True)
        seeds = scene_seeds(split, n, seed)
        points = 0
        names = [f"scene-{s:07d}.npz" for s in seeds]
        for s, name in zip(seeds, names, strict=True):
            path = folder / name
            n = _points_in(path)
            if n is None:  # not there yet, or damaged (a disk filled up, a copy cut short): render it
                scans = render_scene(s)
                save_scans(path, scans)
                n = sum(len(x.points) for x in scans)
            points += n
            if progress:
                progress(1)
        manifest["splits"][split] = {
            "scene_seeds": [seeds[0], seeds[-1]] if seeds else [],
            "points": points,
            "files": names,
        }
    atomic_write_bytes(out / "dataset.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _points_in(path: Path) -> int | None:
    """How many labelled points a finished scene file holds; None when it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            # a file from before scans kept their site-map mask ("fixed") is rendered again
            return len(z["cls"]) if "fixed" in z.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def split_files(data: Path, split: str) -> list[Path]:
    """The scene files of a split that the dataset's manifest lists (`sim.learning.manifest`)."""
    return listed_files(data, split, "scene-*.npz")

"""Measure how often each positioning sensor detects an actor on a cell its cover says it sees, per sensor
kind and tracked class, from the run directories of a `whsim bench` sweep or of `whsim run`s (each holds
its resolved scenario, truth and detections); also broken down by reach, printed.

    whsim bench scenarios/default.yaml scenarios/default_placed.yaml scenarios/busy.yaml \
        scenarios/busy_placed.yaml --strategies central --seeds 5 --first-seed 11 --out runs/tune
    python tools/detection_rates.py runs/tune [--write sim/coverage/detection_rates.json]

An actor-frame (truth every 0.1 s, the tracking metrics' frame) on a covered cell counts as detected when
that sensor reported a detection within 1 m of the actor's centre in the frame or the next, dropouts and
misplaced forklifts counting as misses. Only seeds ≥ 11 are accepted (1–10 are for reporting). The rate
kept is detected / Σ clear: each covered actor-frame weighted by the chance that no other actor stood in
the sensor's way (from the run's own traffic, `sim.coverage.crowding`), so it is the rate with a clear
view, which the objective then multiplies by each sensor's own clear chance. The printed raw rate is
detected / covered. The breakdown by reach bins cameras and thermal cameras by the cell's floor distance
over the mounting height (how steeply they look down), range sensors by the floor distance (their rings
spread apart); the breakdown by the clear chance checks the crowding model (detected / covered should
fall with it).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from sim.coverage.crowding import SIGHTLINES, Crowd
from sim.coverage.site_coverage import POSITION_KINDS, covers_of, static_world
from sim.coverage.visibility import TRACKED, Floor
from sim.loading import load_scenario

FRAME_S = 0.1
GATE_M = 1.0
CLEAR = (0.0, 0.6, 0.8, 0.9, 0.95, 0.99)  # bins of the chance of a clear view, for the check it prints
# How each kind's reach is measured for the breakdown, and its bin edges (the last bin is open-ended).
REACH = {
    "camera": ("floor_over_height", (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)),
    "thermal": ("floor_over_height", (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)),
    "lidar": ("floor_m", (0.0, 10.0, 15.0, 20.0, 25.0, 30.0)),
}


def reach_bin(kind: str, origin, xy: np.ndarray) -> np.ndarray:
    """The REACH bin of each floor point `xy` (n, 2) seen from a sensor mounted at `origin` (x, y, z)."""
    by, edges = REACH[kind]
    r = np.hypot(xy[:, 0] - origin[0], xy[:, 1] - origin[1])
    if by == "floor_over_height":
        r = r / max(float(origin[2]), 0.1)
    return np.clip(np.searchsorted(np.asarray(edges), r, side="right") - 1, 0, len(edges) - 1)


def _frames(run: Path):
    """Truth (frame, class index, x, y) every FRAME_S, and detections per sensor as {frame: (k, 2)}."""
    truth = []
    with open(run / "ground_truth.csv") as f:
        for r in csv.DictReader(f):
            t = float(r["t"])
            k = round(t / FRAME_S)
            if abs(k * FRAME_S - t) < 1e-6 and r["class"] in TRACKED:
                truth.append((k, TRACKED.index(r["class"]), float(r["x"]), float(r["y"])))
    dets = defaultdict(lambda: defaultdict(list))
    with open(run / "detections.csv") as f:
        for r in csv.DictReader(f):
            k = int(np.floor(float(r["t"]) / FRAME_S + 0.5))
            dets[r["sensor_id"]][k].append((float(r["x"]), float(r["y"])))
    dets = {s: {k: np.asarray(v) for k, v in by.items()} for s, by in dets.items()}
    return np.asarray(truth, float).reshape(-1, 4), dets


def counts_of_run(run: Path) -> dict:
    """{(kind, class): (covered, detected, clear)} per REACH bin, for one run directory — clear: the
    covered actor-frames weighted by the chance that no other actor was in the way (the run's own
    traffic density, `sim.coverage.crowding`); and {("clear", kind): the same} per CLEAR bin, classes
    together."""
    sc = load_scenario(run / "scenario.resolved.yaml")
    static = static_world(sc)
    floor = Floor.of(static)
    truth, dets = _frames(run)
    ij = floor.grid.world_to_cell(truth[:, 2:4])
    inside = floor.grid.inside(ij)
    cell = np.where(inside, ij[:, 0] * floor.grid.shape[1] + ij[:, 1], 0)
    cls = truth[:, 1].astype(int)
    traffic = np.zeros((len(TRACKED), len(floor.xy)))
    np.add.at(traffic, (cls[inside], cell[inside]), 1.0)
    n_frames = len(np.unique(truth[:, 0]))
    crowd = Crowd.of(floor, traffic, n_frames)
    mounts = {s.id: s.position for s in sc.sensors if s.type in POSITION_KINDS}
    out = {}
    for cover in covers_of(sc.sensors, static, floor, sc.pipeline.camera.min_pixels):
        if cover.kind not in POSITION_KINDS:
            continue
        seen = inside & cover.seen[cls, cell]
        clear = crowd.clear(cover.origin, cover.seen, SIGHTLINES[cover.kind])[cls, cell]
        mine = dets.get(cover.sensor_id, {})
        hit = np.zeros(len(truth), bool)
        for n in np.flatnonzero(seen):
            k = int(truth[n, 0])
            near = [d for d in (mine.get(k), mine.get(k + 1)) if d is not None]
            if near:
                d = np.concatenate(near)
                hit[n] = bool((np.hypot(d[:, 0] - truth[n, 2], d[:, 1] - truth[n, 3]) <= GATE_M).any())
        b = reach_bin(cover.kind, mounts[cover.sensor_id], truth[:, 2:4])
        for j, name in enumerate(TRACKED):
            _count(out, (cover.kind, name), b, len(REACH[cover.kind][1]), seen & (cls == j), hit, clear)
        cb = np.clip(np.searchsorted(np.asarray(CLEAR), clear, side="right") - 1, 0, len(CLEAR) - 1)
        _count(out, ("clear", cover.kind), cb, len(CLEAR), seen, hit, clear)
    return out


def _count(out: dict, key: tuple, b, nbins: int, m, hit, clear) -> None:
    """Add (covered, detected, clear) per bin `b` of the actor-frames `m` under `key`."""
    acc = out.setdefault(key, np.zeros((3, nbins)))
    acc[0] += np.bincount(b[m], minlength=nbins)
    acc[1] += np.bincount(b[m], weights=hit[m], minlength=nbins)
    acc[2] += np.bincount(b[m], weights=clear[m], minlength=nbins)


def rates_of(counts: dict) -> dict:
    """{kind: {class: detected / clear}} over all reach bins (at most 1): the rate with a view clear of
    other actors."""
    out: dict = {}
    for key, (n, h, c) in sorted(counts.items()):
        if key[0] != "clear":
            # A chance: where the model saw more crowd in the way than there was (AGVs, which only
            # near sensors see), the ratio can pass 1.
            rate = min(1.0, float(h.sum() / c.sum())) if n.sum() else 0.0
            out.setdefault(key[0], {})[key[1]] = round(rate, 3)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+", type=Path, help="sweep or run directories (searched for runs)")
    p.add_argument("--strategy", default="central", help="only runs of this strategy (default central)")
    p.add_argument("--write", type=Path, help="write the rates to this JSON file")
    a = p.parse_args(argv)
    runs = sorted(
        {f.parent for d in a.dirs for f in d.rglob("detections.csv") if f.parent.name == a.strategy}
    )
    if not runs:
        where = ", ".join(map(str, a.dirs))
        p.error(f"no '{a.strategy}' run directories (with detections.csv) under {where}")
    total: dict = {}
    for run in runs:
        seed = load_scenario(run / "scenario.resolved.yaml").seed
        if seed < 11:
            p.error(f"{run}: seed {seed}; measure on seeds ≥ 11, seeds 1–10 are for reporting")
        for key, acc in counts_of_run(run).items():
            total[key] = total.get(key, 0) + acc
    rates = rates_of(total)
    print(
        "kind     class     rate (covered actor-frames) | by reach: "
        + ", ".join(f"{k} {by} from {', '.join(f'{e:g}' for e in edges)}" for k, (by, edges) in REACH.items())
    )
    per_class = sorted((k, v) for k, v in total.items() if k[0] != "clear")
    for (kind, name), (n, h, _) in per_class:
        cells = " ".join(f"{hh / nn:.2f} ({int(nn)})" if nn else "- (0)" for nn, hh in zip(n, h, strict=True))
        raw = h.sum() / n.sum() if n.sum() else 0.0
        print(f"{kind:8s} {name:9s} {rates[kind][name]:.2f} ({raw:.2f} raw, {int(n.sum())}) | {cells}")
    print(
        "by the chance of a clear view, from "
        + ", ".join(f"{e:g}" for e in CLEAR)
        + ": detected / covered (mean clear chance, covered)"
    )
    for (_, kind), (n, h, c) in sorted((k, v) for k, v in total.items() if k[0] == "clear"):
        cells = " ".join(
            f"{hh / nn:.2f} ({cc / nn:.2f}, {int(nn)})" if nn else "- (0)"
            for nn, hh, cc in zip(n, h, c, strict=True)
        )
        print(f"{kind:8s} {cells}")
    if a.write:
        doc = {
            "fitted_with": "python tools/detection_rates.py "
            + " ".join(str(d) for d in a.dirs)
            + (f" --strategy {a.strategy}" if a.strategy != "central" else ""),
            "runs": len(runs),
            "rates": rates,
            "covered_frames": {f"{k}/{c}": int(n.sum()) for (k, c), (n, _, _) in per_class},
            "clear_frames": {f"{k}/{c}": round(float(v.sum()), 1) for (k, c), (_, _, v) in per_class},
        }
        a.write.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

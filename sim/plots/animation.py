"""`--animate`: animation.gif of truth, detections and tracks moving over the layout, from the run's files."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter

from sim.plots.trajectories import (
    ACTOR_PALETTE,
    MAX_LEGEND_ENTRIES,
    draw_layout,
    draw_scale_bar,
    draw_sensors,
)
from sim.scenario.models import Scenario
from sim.world.layout import StaticWorld

FRAME_PERIOD_S = 0.5
FPS = 2  # real time at one frame per 0.5 s
# Truth markers: hollow, shaped by class and coloured by actor, so the tracks (blue crosses) and the
# detections (orange dots) show inside them.
TRUTH_MARKERS = {"forklift": "s", "agv": "D", "worker": "o"}


def _by_time(path: Path, keep=lambda row: True) -> dict[float, list]:
    out: dict[float, list] = defaultdict(list)
    if path.is_file():
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if keep(row) and row["x"] not in ("nan", ""):
                    out[round(round(float(row["t"]) / 0.05) * 0.05, 3)].append(row)
    return out


def write_animation(out: Path, scenario: Scenario, static: StaticWorld) -> Path:
    truth = _by_time(out / "ground_truth.csv")
    dets = _by_time(out / "detections.csv")
    tracks = _by_time(out / "tracks.csv", lambda r: r["status"] == "confirmed")
    times = np.arange(0, scenario.duration_s + 1e-9, FRAME_PERIOD_S)
    L, W = static.size
    fig, ax = plt.subplots(figsize=(9, 9 * W / L + 0.8))
    draw_layout(ax, scenario, static)
    draw_sensors(ax, scenario)
    draw_scale_bar(ax)
    # Each actor in its own colour (as in trajectories.png), its marker's shape its class.
    actors: dict[str, str] = {}
    for rows in truth.values():
        for r in rows:
            actors.setdefault(r["id"], r["class"])
    colour = {a: ACTOR_PALETTE[k % len(ACTOR_PALETTE)] for k, a in enumerate(actors)}
    shown = MAX_LEGEND_ENTRIES // 2  # a legend taller than the figure helps no one
    for a, cls in list(actors.items())[:shown]:
        style = {"marker": TRUTH_MARKERS.get(cls, "o"), "facecolors": "none", "edgecolors": [colour[a]]}
        ax.scatter([], [], s=70, lw=1.6, label=f"{a} ({cls})", **style)
    if len(actors) > shown:
        ax.plot([], [], ls="none", label=f"… and {len(actors) - shown} more actors")
    truth_art = {
        cls: ax.scatter([], [], s=70, marker=m, facecolors="none", lw=1.6, zorder=6)
        for cls, m in TRUTH_MARKERS.items()
    }
    det_art = ax.scatter([], [], s=10, c="tab:orange", zorder=7, label="detections (last 0.5 s)")
    trk_art = ax.scatter([], [], s=60, c="tab:blue", marker="+", lw=1.5, zorder=8, label="confirmed tracks")
    labels = []
    title = ax.set_title("")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    fig.tight_layout()

    def frame(k):
        t = round(times[k], 3)
        for lab in labels:
            lab.remove()
        labels.clear()
        tr = truth.get(t, [])
        for cls, art in truth_art.items():
            mine = [r for r in tr if r["class"] == cls]
            art.set_offsets(np.array([[float(r["x"]), float(r["y"])] for r in mine]).reshape(-1, 2))
            art.set_edgecolors([colour[r["id"]] for r in mine] or "none")
        recent = [r for dt in np.arange(0, FRAME_PERIOD_S, 0.05) for r in dets.get(round(t - dt, 3), [])]
        det_art.set_offsets(np.array([[float(r["x"]), float(r["y"])] for r in recent]).reshape(-1, 2))
        tk = tracks.get(t, [])
        trk_art.set_offsets(np.array([[float(r["x"]), float(r["y"])] for r in tk]).reshape(-1, 2))
        for r in tk:
            labels.append(
                ax.annotate(
                    r["track_id"],
                    (float(r["x"]), float(r["y"])),
                    xytext=(3, 3),
                    textcoords="offset points",
                    fontsize=8,
                    color="tab:blue",
                )
            )
        title.set_text(f"{scenario.name}, strategy {scenario.pipeline.strategy}: t = {t:.1f} s")
        return (*truth_art.values(), det_art, trk_art)

    anim = FuncAnimation(fig, frame, frames=len(times), blit=False)
    path = out / "animation.gif"
    tmp = out / ".animation.tmp.gif"
    anim.save(tmp, writer=PillowWriter(fps=FPS), dpi=80)
    plt.close(fig)
    tmp.replace(path)
    return path

"""`plots/metrics.png`: GOSPA and its parts over time, truth and track counts, every sensor fault's window
shaded in its type's colour."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.output.atomic import atomic_write_bytes
from sim.scenario.models import Scenario

# Each fault type's shading: colour and hatch (dropouts plain grey, as before).
FAULT_STYLE = {
    "dropout": ("grey", None),
    "burst_dropout": ("grey", "//"),
    "latency": ("tab:blue", None),
    "miscalibration": ("tab:red", None),
    "clock": ("tab:purple", "\\\\"),
    "multipath": ("tab:olive", "xx"),
    "hot_spot": ("tab:orange", ".."),
}


def plot_metrics(path: Path, scenario: Scenario, timeseries: Path) -> None:
    with open(timeseries, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    col = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]} if rows else {}
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True)
    if rows:
        t = col["t"]
        a1.stackplot(
            t,
            col["gospa_localisation"],
            col["gospa_missed"],
            col["gospa_false"],
            labels=["localisation", "missed", "false"],
            colors=["#4c72b0", "#dd8452", "#c44e52"],
            alpha=0.85,
        )
        a1.plot(t, col["gospa"], color="black", lw=0.8, label="GOSPA")
        a2.step(t, col["n_truth"], where="post", color="black", label="actors (truth)")
        a2.step(t, col["n_tracks"], where="post", color="#4c72b0", label="confirmed tracks")
        a2.step(t, col["n_matched"], where="post", color="#55a868", ls="--", label="matched (≤ 1 m)")
    for f in scenario.faults:
        if f.start_s >= scenario.duration_s:
            continue  # after the end of this run: it did not happen
        end = min(f.end_s if f.end_s is not None else scenario.duration_s, scenario.duration_s)
        colour, hatch = FAULT_STYLE.get(f.type, ("grey", "..."))
        for ax in (a1, a2):
            ax.axvspan(
                f.start_s,
                end,
                facecolor=colour,
                edgecolor=colour,  # the hatch's colour: the fault's, faint, not black over the curves
                alpha=0.2,
                lw=0,
                hatch=hatch,
                label=f"{f.type.replace('_', ' ')}: {f.sensor}" if ax is a1 else None,
            )
    a1.set_ylabel("GOSPA (m), c = 2 m, p = 1")
    a1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # beside the axes, off the curves
    a2.set_ylabel("count")
    a2.set_xlabel("time (s)")
    a2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.suptitle(
        f"{scenario.name} (seed {scenario.seed}, strategy {scenario.pipeline.strategy}): "
        "tracking error and counts over time",
        fontsize=10,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())

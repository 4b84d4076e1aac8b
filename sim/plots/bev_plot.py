"""`plots/bev.png`: the BEV map at one step — merged evidence (unknown greyed), graph-cut segmentation
against plain thresholding, α-expansion semantics, and detections against the true footprints."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from perception.bev_map import SEMANTIC_LABELS
from sim.output.atomic import atomic_write_bytes

SEMANTIC_COLOURS = ["#f2f2f2", "#8c8c8c", "#dd8452", "#4c72b0", "#55a868"]


def plot_bev(path: Path, snap: dict) -> None:
    res = float(snap["resolution"])
    nx, ny = snap["logodds"].shape
    x0, y0 = snap["origin"]
    extent = (x0, x0 + nx * res, y0, y0 + ny * res)

    def show(ax, img, **kw):
        return ax.imshow(img.T, origin="lower", extent=extent, interpolation="nearest", **kw)

    truth = snap["truth"] > 0
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.6), constrained_layout=True)
    a = axes[0, 0]
    ev = np.ma.masked_where(~snap["known"], np.clip(snap["logodds"], -4, 4))
    a.set_facecolor("#bdbdbd")
    im = show(a, ev, cmap="RdBu_r", vmin=-4, vmax=4)
    fig.colorbar(im, ax=a, shrink=0.8, label="log-odds (grey: unknown)")
    a.set_title("merged evidence")
    a = axes[0, 1]
    # 0 neither, 1 threshold only, 2 graph cut only, 3 both
    both = snap["threshold"].astype(int) + 2 * snap["graph_cut"].astype(int)
    show(a, both, cmap=ListedColormap(["white", "#f4a582", "#92c5de", "#2166ac"]), vmin=0, vmax=3)
    a.contour(
        *np.meshgrid(x0 + (np.arange(nx) + 0.5) * res, y0 + (np.arange(ny) + 0.5) * res, indexing="ij"),
        truth,
        levels=[0.5],
        colors="black",
        linewidths=0.8,
    )
    a.set_title("graph cut (blue) vs threshold only (orange); truth outlined")
    a = axes[1, 0]
    show(
        a,
        snap["semantics"],
        cmap=ListedColormap(SEMANTIC_COLOURS),
        vmin=-0.5,
        vmax=len(SEMANTIC_LABELS) - 0.5,
    )
    classes = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SEMANTIC_COLOURS]
    a.legend(handles=classes, labels=list(SEMANTIC_LABELS), loc="upper left", fontsize=7, ncol=5)
    a.set_title("α-expansion semantics")
    a = axes[1, 1]
    show(a, snap["truth"], cmap=ListedColormap(SEMANTIC_COLOURS), vmin=-0.5, vmax=len(SEMANTIC_LABELS) - 0.5)
    d = snap["detections"]
    (marker,) = a.plot(d[:, 0], d[:, 1], "kx", ms=7, mew=1.5)
    # The footprints' classes in the same colours as the semantics panel, and the detections' marker.
    a.legend(
        handles=[*classes, marker],
        labels=[*SEMANTIC_LABELS, "detections (last 0.1 s)"],
        loc="upper left",
        fontsize=7,
        ncol=3,
    )
    a.set_title("detections vs true footprints")
    for a in axes.ravel():
        a.set_aspect("equal")
        a.set_xlabel("x [m]")
        a.set_ylabel("y [m]")
    fig.suptitle(f"BEV at t = {float(snap['t']):.1f} s ({res:g} m cells)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())

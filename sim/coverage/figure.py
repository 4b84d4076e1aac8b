"""`coverage.png`: k-coverage maps of one layout, or of a layout before and after `whsim place`."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap

from sim.coverage.site_coverage import SiteCoverage
from sim.output.atomic import atomic_write_bytes
from sim.plots.trajectories import draw_layout, draw_scale_bar, draw_sensors
from sim.scenario.models import Scenario
from sim.world.layout import StaticWorld

K_COLOURS = ListedColormap(["#d9d9d9", "#fdae61", "#a6d96a", "#1a9641"])  # 0, 1, 2, ≥ 3 sensors
K_NORM = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 99], K_COLOURS.N)


def _look_arrows(ax, scenario: Scenario) -> None:
    """A short arrow from each aimed sensor towards where it looks (or its boresight)."""
    for s in scenario.sensors:
        target = getattr(s, "look_at", None)
        if target is not None:
            d = np.asarray(target[:2], float) - np.asarray(s.position[:2], float)
        elif getattr(s, "boresight", None) is not None:
            d = np.asarray(s.boresight[:2], float)
        else:
            continue
        n = float(np.linalg.norm(d))
        if n < 1e-6:
            continue
        d = d / n * 2.0
        ax.annotate(
            "",
            (s.position[0] + d[0], s.position[1] + d[1]),
            (s.position[0], s.position[1]),
            arrowprops={"arrowstyle": "->", "lw": 0.8, "color": "black"},
            zorder=4,
        )


def draw_coverage(ax, title: str, scenario: Scenario, static: StaticWorld, cov: SiteCoverage):
    """k-coverage of the least-seen class on each free cell, the traffic's footprint, the sensors; returns
    the image, for the colour bar."""
    draw_layout(ax, scenario, static)
    k = cov.count().min(axis=0).astype(float)
    k[~cov.floor.free] = np.nan
    nx, ny = cov.floor.grid.shape
    r = cov.floor.grid.resolution
    x0, y0 = cov.floor.grid.origin
    extent = (x0, x0 + nx * r, y0, y0 + ny * r)
    im = ax.imshow(
        k.reshape(nx, ny).T, origin="lower", extent=extent, cmap=K_COLOURS, norm=K_NORM, zorder=0.5
    )
    busy = cov.traffic.sum(axis=0).reshape(nx, ny).T
    if busy.any():
        ax.contour(
            busy > 0, levels=[0.5], extent=extent, colors="#2b2b2b", linewidths=0.4, linestyles=":", zorder=3
        )
    draw_sensors(ax, scenario)
    _look_arrows(ax, scenario)
    one, two = cov.shares(1)["traffic"]["all"], cov.shares(2)["traffic"]["all"]
    expected = cov.expected_detected()
    ax.set_title(
        f"{title}\ntraffic seen by ≥ 1 sensor {one or 0:.2f}, ≥ 2 {two or 0:.2f}; "
        f"expected detected {expected or 0:.2f}; floor ≥ 1 {cov.shares(1)['floor']['all']:.2f}",
        fontsize=8,
    )
    draw_scale_bar(ax)
    return im


def plot_coverage(path: Path, panels: list[tuple[str, Scenario, StaticWorld, SiteCoverage]]) -> None:
    """One panel per layout, side by side, with one colour bar for the sensor count."""
    _L, _W = panels[0][2].size
    fig, axes = plt.subplots(1, len(panels), figsize=(min(7.5 * len(panels), 16), 5.2), squeeze=False)
    im = None
    for ax, (title, scenario, static, cov) in zip(axes[0], panels, strict=True):
        im = draw_coverage(ax, title, scenario, static, cov)
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=4, fontsize=6, frameon=False)
    bar = fig.colorbar(im, ax=list(axes[0]), ticks=[0, 1, 2, 3], shrink=0.8, pad=0.01)
    bar.ax.set_yticklabels(["0", "1", "2", "≥ 3"])
    bar.set_label("sensors that would detect the least-seen class (dotted: where traffic went)", fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())

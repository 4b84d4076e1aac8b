"""Sweep figures: per scenario, bars with 95 % intervals for each headline metric, and GOSPA over time
of every strategy on the first seed (from the runs' metrics_timeseries.csv)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.bench.jobs import run_dir
from sim.bench.stats import mean_ci
from sim.bench.summary import HEADLINE, seed_values
from sim.output.atomic import atomic_write_bytes


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


BARS_PER_ROW = 5


def bar_figure(path: Path, rows, scenario: str, strategies: list[str]) -> None:
    ncols = min(BARS_PER_ROW, len(HEADLINE))
    nrows = math.ceil(len(HEADLINE) / ncols)
    fig, grid = plt.subplots(
        nrows, ncols, figsize=(3.0 * ncols, 3.4 * nrows), constrained_layout=True, squeeze=False
    )
    axes = grid.ravel()
    for ax in axes[len(HEADLINE) :]:
        ax.set_visible(False)
    for ax, (col, heading, _) in zip(axes, HEADLINE, strict=False):
        for k, s in enumerate(strategies):
            mean, lo, hi = mean_ci(list(seed_values(rows, scenario, s, col).values()))
            if math.isnan(mean):  # not available for this strategy (or no run): no bar, not a zero
                ax.text(k, 0, "n/a", ha="center", va="bottom", fontsize=7, color="grey", rotation=90)
                continue
            ax.bar(k, mean, color="#4c72b0")
            if not math.isnan(lo):  # an interval needs two seeds or more
                ax.errorbar(k, mean, yerr=[[mean - lo], [hi - mean]], color="black", capsize=3, lw=1)
        ax.set_xticks(range(len(strategies)), strategies, rotation=60, ha="right", fontsize=8)
        ax.set_title(heading, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    n = max((len(seed_values(rows, scenario, s, HEADLINE[0][0])) for s in strategies), default=0)
    what = "mean over seeds with 95 % intervals" if n > 1 else "one seed: no intervals"
    fig.suptitle(f"{scenario}: {what}")
    _save(fig, path)


def gospa_figure(path: Path, out: Path, scenario: str, seed: int, strategies: list[str]) -> None:
    fig, ax = plt.subplots(figsize=(10, 4), constrained_layout=True)
    for s in strategies:
        ts = run_dir(out, scenario, seed, s) / "metrics_timeseries.csv"
        if not ts.is_file():
            continue
        with open(ts, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if rows:
            ax.plot([float(r["t"]) for r in rows], [float(r["gospa"]) for r in rows], lw=0.9, label=s)
    ax.set_xlabel("t [s]")
    ax.set_ylabel("GOSPA [m]")
    ax.set_title(f"{scenario}, seed {seed}: GOSPA over time")
    ax.legend(fontsize=8, ncol=4)
    ax.grid(alpha=0.3)
    _save(fig, path)


def write_figures(out: Path, rows, scenarios, strategies, first_seed: int) -> list[Path]:
    (Path(out) / "figures").mkdir(parents=True, exist_ok=True)
    paths = []
    for sc in scenarios:
        p = Path(out) / "figures" / f"{sc}_metrics.png"
        bar_figure(p, rows, sc, strategies)
        q = Path(out) / "figures" / f"{sc}_gospa_seed{first_seed}.png"
        gospa_figure(q, out, sc, first_seed, strategies)
        paths += [p, q]
    return paths

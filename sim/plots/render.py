"""Draw a run's figures from its saved files (used at the end of `whsim run` and by `whsim plot`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.output.bev_snapshot import load_snapshot
from sim.output.ground_truth import read_trajectories
from sim.output.tracking_csv import read_tracks
from sim.plots.bev_plot import plot_bev
from sim.plots.metrics_plot import plot_metrics
from sim.plots.trajectories import plot_trajectories
from sim.scenario.models import Scenario
from sim.scoring import track_matches
from sim.world.layout import StaticWorld, build_static_world


def render_plots(
    out: Path, *, scenario: Scenario, static: StaticWorld | None = None, step: int | None = None
) -> list[Path]:
    """Write every figure the run directory has data for; return their paths."""
    out = Path(out)
    if static is None:
        # Footprints do not depend on the seed; the layout generator only places pallets on shelves.
        static = build_static_world(
            scenario.layout, np.random.default_rng(np.random.SeedSequence(scenario.seed))
        )
    (out / "plots").mkdir(parents=True, exist_ok=True)
    truth = read_trajectories(out / "ground_truth.csv")
    at = None if step is None else step * scenario.dt_s
    path = out / "plots" / "trajectories.png"
    tracks_csv = out / "tracks.csv"
    tracks = read_tracks(tracks_csv) if tracks_csv.is_file() else None
    matched, switches = (
        track_matches(out / "ground_truth.csv", tracks_csv) if tracks is not None else ({}, [])
    )
    plot_trajectories(
        path, scenario, static, truth, at_time=at, tracks=tracks, matched=matched, switches=switches
    )
    paths = [path]
    snap = load_snapshot(out)
    if snap is not None:
        paths.append(out / "plots" / "bev.png")
        plot_bev(paths[-1], snap)
    if (out / "metrics_timeseries.csv").is_file():
        paths.append(out / "plots" / "metrics.png")
        plot_metrics(paths[-1], scenario, out / "metrics_timeseries.csv")
    return paths

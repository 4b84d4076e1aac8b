"""Time the LiDAR graph cut on regions of interest against the whole-grid cut, on real scans.

    python tools/graphcut_regions.py default --ticks 40
    python tools/graphcut_regions.py runs/scale/s300.yaml --ticks 3   # from tools/scale_scenario.py

Simulates the scenario's first ticks, builds each LiDAR scan's evidence as the LiDAR front-end does (the
site's static map subtracted), then cuts every scan both ways, interleaved, three times; prints the
share of foreground-preferring cells, the milliseconds per scan and their ratio, and checks the masks
are equal.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from perception.evidence import unary_from_logodds
from perception.graph_cut import segment_binary
from perception.lidar_detector import LidarDetector
from sim.library import resolve
from sim.loading import load_scenario
from sim.pipeline.frontends.base import site_bev_map
from sim.sensors.readings import PointCloud
from sim.simulation import Simulation


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--ticks", type=int, default=40)
    ap.add_argument("--lam", type=float, default=0.8, help="the LiDAR detector's λ")
    a = ap.parse_args(argv)
    sim = Simulation(load_scenario(resolve(a.scenario)))
    step, _ = sim.reset()
    bev = site_bev_map(sim.world.static.size, sim.world.static)
    detector = LidarDetector(bev.grid, bev.static)
    scans = []
    for _ in range(a.ticks):
        for r in step.readings:
            if isinstance(r, PointCloud):
                ev, _ = detector.evidence(r.points)
                scans.append(unary_from_logodds(ev.logodds))
        step, _, _ = sim.step()
    regions = whole = 0.0
    for _ in range(3):
        for d0, d1 in scans:
            t0 = time.perf_counter()
            a_ = segment_binary(d0, d1, a.lam)
            regions += time.perf_counter() - t0
            t0 = time.perf_counter()
            b_ = segment_binary(d0, d1, a.lam, roi_margin=None)
            whole += time.perf_counter() - t0
            assert np.array_equal(a_, b_), "the region cut differs from the whole-grid cut"
    n = 3 * len(scans)
    share = np.mean([(d1 < d0).mean() for d0, d1 in scans])
    nx, ny = bev.grid.shape
    print(
        f"{len(scans)} scans of a {nx} × {ny} grid, {share:.2%} of cells prefer "
        f"foreground: regions {regions / n * 1e3:.2f} ms, whole grid {whole / n * 1e3:.2f} ms, "
        f"{whole / regions:.1f}× (masks equal)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

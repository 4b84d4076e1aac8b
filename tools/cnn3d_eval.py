"""Held-out figures of 3D-CNN weights on shipped scenarios: detection AP at 1 m over the actors some sensor
saw in the stack's window and over all actors, velocity RMSE, per-class AP and σ.

    python tools/cnn3d_eval.py scenarios/default.yaml scenarios/busy.yaml --seeds 1-5 \\
        [--weights W [W ...]] [--cache DIR] [--flips 1|2|4] [--velocity-cells 1]

Each (scenario, seed) is simulated with its camera, LiDAR and thermal front-ends feeding the BEV map, as
the `cnn3d` front-end sees it (`sim.learning.cnn3d_dataset.record`); `--cache` keeps those recordings so a
second set of weights is scored on the same frames. Prints each scenario's mean over the seeds with its
95 % t-interval, as `whsim bench` reports its metrics.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from tune_tracker import _seeds as seeds  # run from tools/, as calibrate_measurements.py does

from perception.cnn3d_detector import VELOCITY_CELLS, load_cnn3d
from perception.weights import CNN3D_ENSEMBLE
from sim.bench.stats import mean_ci
from sim.learning.cnn3d_dataset import load_sequence, record, save_sequence
from sim.learning.cnn3d_eval import evaluate_sequences
from sim.loading import load_scenario
from sim.scenario.pipeline_settings import Cnn3dSettings

KEYS = ("ap_seen", "ap_all", "velocity_rmse_mps")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+", type=Path)
    p.add_argument("--seeds", default="1-5", help="seeds and ranges, e.g. 1-5 or 1,3,7-9")
    p.add_argument(
        "--weights",
        type=Path,
        nargs="+",
        default=list(CNN3D_ENSEMBLE),
        help="weights file(s); several: their maps averaged, as the front-end does (default: the shipped "
        "two)",
    )
    p.add_argument("--cache", type=Path, help="folder to keep (and reuse) the recorded sequences")
    p.add_argument(
        "--flips",
        type=int,
        default=Cnn3dSettings().flips,
        choices=(1, 2, 4),
        help="average over this many of the grid's mirror images (1: none; 2, the loop's default: the grid "
        "and its half turn)",
    )
    p.add_argument(
        "--velocity-cells",
        type=int,
        default=VELOCITY_CELLS,
        choices=(1, 3, 5),
        help="read the velocity over this square of cells round each peak",
    )
    args = p.parse_args()
    model = [load_cnn3d(w)[0] for w in args.weights]
    for path in args.scenarios:
        scenario = load_scenario(path)
        values = defaultdict(list)
        for seed in seeds(args.seeds):
            cached = args.cache / f"{scenario.name}-seed{seed}.npz" if args.cache else None
            if cached is not None and cached.is_file():
                seq = load_sequence(cached)
            else:
                seq = record(scenario, seed)
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    save_sequence(cached, seq)
            fig = evaluate_sequences(model, [seq], flips=args.flips, velocity_cells=args.velocity_cells)
            for k in KEYS:
                values[k].append(fig[k])
            for c, v in fig["ap_per_class"].items():
                values[f"ap {c}"].append(v)
            for c, v in fig["sigma_m"].items():
                values[f"sigma_m {c}"].append(v)
            shown = ", ".join(f"{k} {fig[k]:.3f}" for k in KEYS if fig[k] is not None)
            print(f"{scenario.name} seed {seed}: {shown}", flush=True)
        for k, v in values.items():
            v = [x for x in v if x is not None and x == x]
            if v:
                mean, lo, hi = mean_ci(v)
                print(f"{scenario.name:<10} {k:<20} {mean:.3f} [{lo:.3f}, {hi:.3f}] (n={len(v)})")


if __name__ == "__main__":
    main()

"""Digest every strategy's outputs on one scenario and seed, to prove a refactor changes no result.

    python tools/golden.py --out runs/golden [--scenario scenarios/default.yaml] [--seed 7] [--jobs 2]

The scenario is simulated once per job and replayed through each strategy (as `whsim bench` does; a
replay is byte-identical to `whsim run --seed N --strategy S`). For each strategy it writes the run
directory and prints the SHA-256 of `tracks.csv`, `detections.csv` and `metrics.json` with the fields
that measure wall-clock time removed. Compare two trees with `diff` of their `digests.txt`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

WALL_CLOCK_KEYS = ("wall_time_s", "realtime_factor", "timing", "replayed")


def _digest(run: Path) -> dict[str, str]:
    out = {}
    for name in ("tracks.csv", "detections.csv"):
        out[name] = hashlib.sha256((run / name).read_bytes()).hexdigest()[:16]
    metrics = json.loads((run / "metrics.json").read_text())
    for key in WALL_CLOCK_KEYS:
        metrics.pop(key, None)
    text = json.dumps(metrics, indent=2, sort_keys=True)
    (run / "metrics.stable.json").write_text(text + "\n")
    out["metrics.json"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def _job(scenario_path: str, seed: int, strategies: list[str], out: str) -> dict[str, dict[str, str]]:
    from sim.loading import load_scenario
    from sim.recording import Recording
    from sim.runner import apply_overrides, run_scenario

    scenario = apply_overrides(load_scenario(scenario_path), scenario_path, seed=seed)
    recording = Recording.record(scenario)
    digests = {}
    for strategy in strategies:
        sc = apply_overrides(scenario, scenario_path, strategy=strategy)
        run = Path(out) / strategy
        run_scenario(sc, run, overwrite=True, recording=recording, plots=False, log=io.StringIO())
        digests[strategy] = _digest(run)
    return digests


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="scenarios/default.yaml")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--strategies", default="oracle,rfid,thermal,lidar,camera,central,t2t-ci")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    names = args.strategies.split(",")
    chunks = [names[k :: args.jobs] for k in range(args.jobs) if names[k :: args.jobs]]
    with ProcessPoolExecutor(len(chunks)) as pool:
        futures = [pool.submit(_job, args.scenario, args.seed, c, str(args.out)) for c in chunks]
        digests = {}
        for f in futures:
            digests.update(f.result())
    lines = [
        f"{s} {n} {digests[s][n]}" for s in names for n in ("tracks.csv", "detections.csv", "metrics.json")
    ]
    (args.out / "digests.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

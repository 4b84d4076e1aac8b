"""Time the world alone (`realtime_factor.world_only`'s loop), or with `--sensors` the world and every
sensor (`realtime_factor.none`'s), of two checkouts in alternating processes.

Each checkout runs in its own long-lived process; the two take turns, one whole 60 s run of the default
scenario each (A B, B A, A B, …), so a slow spell of the machine hits both alike. Prints each side's
best and median real-time factor and the median of the paired ratios (B faster: above 1).

    git worktree add /tmp/before HEAD~3 --detach
    python tools/ab_world.py /tmp/before . --runs 40
    python tools/ab_world.py /tmp/before . --runs 10 --sensors
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

# The child: build the loop once (the roadmap is kept across resets, as in `whsim perf`), then one timed
# reset-and-run per line read from stdin, its wall time written back.
CHILD = """
import sys, time
from sim.loading import load_scenario
from sim.perf import DEFAULT_SCENARIO
from sim.simulation import Simulation
sim = Simulation(load_scenario(DEFAULT_SCENARIO), sensors=sys.argv[1] == "sensors")
sim.reset()
print(sim.n_ticks * sim.scenario.dt_s, flush=True)
for _ in sys.stdin:
    t0 = time.perf_counter()
    sim.reset()
    done = False
    while not done:
        _, done, _ = sim.step()
    print(time.perf_counter() - t0, flush=True)
"""


def _spawn(root: Path, sensors: bool) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(root)}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    what = "sensors" if sensors else "world"
    return subprocess.Popen([sys.executable, "-c", CHILD, what], cwd=root, env=env, text=True, **pipes)


def compare(a_root: Path, b_root: Path, runs: int, sensors: bool = False) -> dict[str, float]:
    """Best and median real-time factor of each side and the median paired ratio A time / B time."""
    procs = [_spawn(a_root, sensors), _spawn(b_root, sensors)]
    try:
        sim_s = [float(p.stdout.readline()) for p in procs]
        times: list[list[float]] = [[], []]
        for k in range(runs):
            for side in (0, 1) if k % 2 == 0 else (1, 0):
                procs[side].stdin.write("go\n")
                procs[side].stdin.flush()
                times[side].append(float(procs[side].stdout.readline()))
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()
    ratios = [a / b for a, b in zip(times[0], times[1], strict=True)]
    return {
        "a_best": sim_s[0] / min(times[0]),
        "a_median": sim_s[0] / statistics.median(times[0]),
        "b_best": sim_s[1] / min(times[1]),
        "b_median": sim_s[1] / statistics.median(times[1]),
        "paired_ratio_median": statistics.median(ratios),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path, help="checkout A (e.g. before a change)")
    ap.add_argument("b", type=Path, help="checkout B (e.g. after it)")
    ap.add_argument("--runs", type=int, default=30, help="timed runs per side (default 30)")
    ap.add_argument(
        "--sensors", action="store_true", help="simulate every sensor too (`realtime_factor.none`)"
    )
    args = ap.parse_args(argv)
    for root in (args.a, args.b):
        if not (root / "sim" / "simulation.py").is_file():
            print(f"ab_world.py: {root}: not a whsim checkout (no sim/simulation.py)", file=sys.stderr)
            return 2
    if args.runs < 1:
        print("ab_world.py: --runs: must be at least 1", file=sys.stderr)
        return 2
    r = compare(args.a.resolve(), args.b.resolve(), args.runs, args.sensors)
    print(
        f"A best {r['a_best']:.0f}× median {r['a_median']:.0f}× | B best {r['b_best']:.0f}× median "
        f"{r['b_median']:.0f}× | B faster by {r['paired_ratio_median']:.3f} (median of paired ratios)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

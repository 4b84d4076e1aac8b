"""Profile a `whsim run` with cProfile: where the time of a run goes, function by function.

    python tools/profile_run.py default --duration 30 --out runs/profile
    python tools/profile_run.py busy --strategy camera --top 40

Writes `<out>/profile.prof` (open it with `python -m pstats`, snakeviz or any cProfile viewer) and
prints the functions with the most time of their own, then whsim's own functions by cumulative time.
The profiler roughly doubles the cost of small calls: read shares, not absolute times, and time the
run without it (`whsim run`, its metrics.json `realtime_factor` and `timing` block) before and after.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

from sim.cli import main as whsim

OURS = "(sim|perception|fusion)/"  # a path fragment matching whsim's own modules


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", help="a scenario file or a shipped scenario's name")
    ap.add_argument("--duration", type=float, default=30.0, help="simulated seconds (default 30)")
    ap.add_argument("--strategy", default=None, help="override the scenario's strategy")
    ap.add_argument("--out", type=Path, default=Path("runs/profile"), help="run directory")
    ap.add_argument("--top", type=int, default=30, help="rows of each table")
    args = ap.parse_args(argv)
    run = ["run", args.scenario, "--duration", str(args.duration), "--out", str(args.out)]
    run += ["--overwrite", "--quiet"] + (["--strategy", args.strategy] if args.strategy else [])
    profiler = cProfile.Profile()
    code = profiler.runcall(whsim, run)
    if code:
        return code
    path = args.out / "profile.prof"
    profiler.dump_stats(path)
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(OURS, args.top)
    print(f"profile: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`whsim place --verify N`: the file's layout and the placed one benchmarked over the same seeds."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sim.bench.stats import mean_ci
from sim.bench.summary import fmt_interval, seed_values
from sim.bench.sweep import run_sweep, seeds_for
from sim.coverage.seed_text import seed_range

VERIFY_METRICS = (
    ("mota", "MOTA"),
    ("idf1", "IDF1"),
    ("hota", "HOTA"),
    ("coverage_ceiling", "coverage ceiling"),
)


def verify_dir(out: Path) -> Path:
    """Where the sweep of `--verify` goes: beside the placed file, `<stem>_verify/`."""
    return out.with_name(out.stem + "_verify")


def _fmt(m: float, lo: float, hi: float, sign: bool = False) -> str:
    text = fmt_interval(m, lo, hi)
    return "+" + text if sign and m >= 0 else text


def comparison_lines(rows: list[dict], before: str, after: str, strategy: str) -> list[str]:
    """Mean [95 % interval] of each metric per layout, and of the paired per-seed difference."""
    lines = [f"{'':<18}{'as the file has them':>26}{'placed':>26}{'placed − file (paired)':>28}"]
    for key, label in VERIFY_METRICS:
        a = seed_values(rows, before, strategy, key)
        b = seed_values(rows, after, strategy, key)
        seeds = sorted(set(a) & set(b))
        d = [b[s] - a[s] for s in seeds]
        lines.append(
            f"{label:<18}{_fmt(*mean_ci(list(a.values()))):>26}{_fmt(*mean_ci(list(b.values()))):>26}"
            f"{_fmt(*mean_ci(d), sign=True):>28}"
        )
    return lines


def verify_placement(args, scenario, placed) -> int:
    """Bench both files with the scenario's strategy over seeds 1..N; print the comparison."""
    out = verify_dir(args.out)
    if out.exists():
        shutil.rmtree(out)  # checked before placing: ours, and --overwrite was given
    strategy = args.strategy
    result = run_sweep(
        [(str(args.scenario), scenario.name), (str(args.out), placed.name)],
        [strategy],
        args.verify,
        out,
        workers=args.workers,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    if not args.quiet:
        print(f"verify: '{strategy}' over seeds {seed_range(seeds_for(args.verify))}, bench in {out}/")
        print("\n".join(comparison_lines(result.rows, scenario.name, placed.name, strategy)))
    return 1 if result.failed else 0

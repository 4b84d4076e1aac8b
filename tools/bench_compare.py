"""Compare two `whsim bench` sweeps of the same scenarios, strategies and seeds (before and after a
change): per metric the two means, the paired difference over seeds with its 95 % Student-t interval,
and whether the change is inside the first sweep's 95 % interval or better.

    whsim bench default busy noisy_cameras --strategies central,camera --seeds 5 --out runs/before
    (change the code)
    whsim bench default busy noisy_cameras --strategies central,camera --seeds 5 --out runs/after
    python tools/bench_compare.py runs/before runs/after            # a Markdown table

Two strategies of one sweep (or of two), paired over the seeds both ran — the way to tell whether one
strategy is ahead of another, since both meet the same traffic on a seed:

    python tools/bench_compare.py runs/key --strategies central,cnn3d-kf   # cnn3d-kf − central

Sweeps of other seeds of the same strategies are read as one with `+` — e.g. ten seeds from a sweep of
seeds 1–5 and one of `--first-seed 6`:

    python tools/bench_compare.py runs/bench+runs/seeds6-10 --strategies central,cnn3d-kf

Exit status 1 when some metric got worse by more than the first sweep's interval allows; 2 for a missing
sweep or a run that two of the joined sweeps both hold.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sim.bench.results import read_results
from sim.bench.stats import mean_ci
from sim.bench.summary import fmt_interval

# Metric column → True when higher is better. Runtime is left out: sweeps run beside each other or with
# other worker counts do not time alike (compare speed in turn on one machine instead).
METRICS = {
    "mota": True,
    "idf1": True,
    "hota": True,
    "gospa": False,
    "rmse_m": False,
    "nees_in_bounds": True,
    "nees_position_in_bounds": True,
    "identity_accuracy": True,
    "class_accuracy": True,
    "bev_iou_graphcut": True,
}


def read(sweep: Path) -> dict[tuple[str, str], dict[int, dict[str, float]]]:
    """(scenario, strategy) → seed → metric values of the finished runs of a sweep directory, read as
    `whsim bench` reads its own (ValueError for a file that is not a bench results file)."""
    out: dict[tuple[str, str], dict[int, dict[str, float]]] = {}
    for row in read_results(sweep / "results.csv"):
        if row["status"] != "ok":
            continue
        values = {m: float(row[m]) if row[m] != "" else math.nan for m in METRICS}
        out.setdefault((row["scenario"], row["strategy"]), {})[int(row["seed"])] = values
    return out


def read_joined(sweeps: list[Path]) -> dict[tuple[str, str], dict[int, dict[str, float]]]:
    """The runs of several sweeps of disjoint seeds, read as one; a (scenario, strategy, seed) that two
    of them hold is refused (ValueError): which of the two to take would be a guess."""
    out: dict[tuple[str, str], dict[int, dict[str, float]]] = {}
    for sweep in sweeps:
        for key, seeds in read(sweep).items():
            mine = out.setdefault(key, {})
            both = sorted(mine.keys() & seeds.keys())
            if both:
                raise ValueError(f"{sweep}: {key[0]} / {key[1]} seed {both[0]} is in an earlier sweep too")
            mine.update(seeds)
    return out


def compare(before: dict, after: dict) -> list[dict]:
    """One row per (scenario, strategy, metric) present in both, over the seeds both finished."""
    rows = []
    for key in sorted(before.keys() & after.keys()):
        seeds = sorted(before[key].keys() & after[key].keys())
        for metric, higher in METRICS.items():
            a = [before[key][s][metric] for s in seeds]
            b = [after[key][s][metric] for s in seeds]
            if not all(math.isfinite(x) for x in a + b):
                continue
            m0, lo0, hi0 = mean_ci(a)
            m1 = sum(b) / len(b)
            d, dlo, dhi = mean_ci([y - x for x, y in zip(a, b, strict=True)])
            ok = (m1 >= lo0 if higher else m1 <= hi0) if math.isfinite(lo0) else True
            rows.append(dict(scenario=key[0], strategy=key[1], metric=metric, seeds=len(seeds), before=m0,
                             before_lo=lo0, before_hi=hi0, after=m1, delta=d, delta_lo=dlo, delta_hi=dhi,
                             ok=ok))  # fmt: skip
    return rows


def pick(results: dict, strategy: str, label: str) -> dict:
    """One strategy's runs of a sweep, keyed (scenario, `label`) so another strategy's can pair with them."""
    return {(sc, label): seeds for (sc, st), seeds in results.items() if st == strategy}


def table(rows: list[dict]) -> str:
    lines = [
        "| scenario | strategy | metric | before [95 % CI] | after | paired Δ [95 % CI] | inside or better |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        before = fmt_interval(r["before"], r["before_lo"], r["before_hi"])
        delta = fmt_interval(r["delta"], r["delta_lo"], r["delta_hi"], signed=True)
        lines.append(
            f"| {r['scenario']} | {r['strategy']} | {r['metric']} | {before} | {r['after']:.3f} | {delta} "
            f"| {'yes' if r['ok'] else '**no**'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", help="the first sweep directory (its results.csv); DIR+DIR joins sweeps")
    ap.add_argument("after", nargs="?", help="the second sweep directory (default: the first)")
    ap.add_argument("--strategies", help="A,B: strategy A of the first sweep against B of the second")
    args = ap.parse_args(argv)
    after = args.after or args.before
    if args.after is None and not args.strategies:
        print("bench_compare: give a second sweep, or --strategies A,B for one", file=sys.stderr)
        return 2
    sides = [[Path(d) for d in side.split("+")] for side in (args.before, after)]
    for d in (d for side in sides for d in side):
        if not (d / "results.csv").is_file():
            print(f"bench_compare: {d}: no results.csv (not a finished whsim bench sweep)", file=sys.stderr)
            return 2
    try:
        first, second = (read_joined(side) for side in sides)
    except ValueError as e:
        print(f"bench_compare: {e}", file=sys.stderr)
        return 2
    if args.strategies:
        names = args.strategies.split(",")
        if len(names) != 2 or not all(names):
            print(f"bench_compare: --strategies: two names A,B, got {args.strategies!r}", file=sys.stderr)
            return 2
        label = f"{names[1]} − {names[0]}"
        first, second = pick(first, names[0], label), pick(second, names[1], label)
    rows = compare(first, second)
    if not rows:
        print("bench_compare: the sweeps share no scenario, strategy and seed", file=sys.stderr)
        return 2
    print(table(rows))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

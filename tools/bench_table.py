"""Print the docs' result tables from `whsim bench` sweeps: one Markdown row per (scenario, strategy),
each metric as its mean over the finished seeds with the 95 % Student-t interval.

    python tools/bench_table.py runs/lib --strategies central --metrics mota,gospa,coverage_ceiling
    python tools/bench_table.py runs/bench --metrics mota,idf1,hota,gospa        # README's headline table

    python tools/bench_table.py runs/key runs/singles --summary docs/bench_summary.md  # bench's summary.md

`--summary FILE` writes, for several sweeps read as one, the summary.md that `whsim bench` writes for one
(every scenario and strategy they hold; a later sweep's run of the same scenario, seed and strategy wins).
Rows keep the order in which the sweeps list them; several sweep directories are read as one. Digits:
GOSPA, RMSE and coverage ceilings 2, everything else 3; negative numbers with a minus sign (−), as the
docs print them. Exit status 2 when a directory holds no finished sweep or a metric is not a column.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

from sim.bench.stats import mean_ci
from sim.bench.summary import summary_markdown
from sim.output.atomic import atomic_write_text
from sim.strategies import STRATEGIES

TWO_DIGITS = {"gospa", "rmse_m", "coverage_ceiling", "gospa_localisation", "gospa_missed", "gospa_false"}
HEADERS = {
    "mota": "MOTA",
    "idf1": "IDF1",
    "hota": "HOTA",
    "gospa": "GOSPA (m)",
    "coverage_ceiling": "coverage ceiling",
}


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}".replace("-", "−")


def cell(values: list[float], digits: int) -> str:
    """'mean [lo, hi]' of the finite values; the mean alone with one value; '–' with none."""
    m, lo, hi = mean_ci(values)
    if not math.isfinite(m):
        return "–"
    if not math.isfinite(lo):
        return _fmt(m, digits)
    return f"{_fmt(m, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def read(sweeps: list[Path], strategies: set[str] | None) -> dict[tuple[str, str], list[dict]]:
    """(scenario, strategy) → the finished runs' rows, in the sweeps' order."""
    out: dict[tuple[str, str], list[dict]] = {}
    for sweep in sweeps:
        with open(sweep / "results.csv", newline="") as f:
            for row in csv.DictReader(f):
                if row["status"] == "ok" and (strategies is None or row["strategy"] in strategies):
                    out.setdefault((row["scenario"], row["strategy"]), []).append(row)
    return out


def table(groups: dict[tuple[str, str], list[dict]], metrics: list[str]) -> str:
    heads = [HEADERS.get(m, m) for m in metrics]
    lines = [
        "| scenario | strategy | seeds | " + " | ".join(heads) + " |",
        "|" + " --- |" * (3 + len(metrics)),
    ]
    for (scenario, strategy), rows in groups.items():
        cells = [
            cell(
                [float(r[m]) if r[m] not in ("", None) else math.nan for r in rows],
                2 if m in TWO_DIGITS else 3,
            )
            for m in metrics
        ]
        lines.append(f"| `{scenario}` | {strategy} | {len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(sweeps: list[Path], out: Path) -> int:
    """bench's summary.md over several sweeps: scenarios in first-seen order, strategies in `whsim
    strategies` order."""
    runs: dict[tuple[str, str, str], dict] = {}
    for sweep in sweeps:
        with open(sweep / "results.csv", newline="") as f:
            for row in csv.DictReader(f):
                runs[(row["scenario"], row["strategy"], row["seed"])] = row
    rows = [{k: (v if v is not None else "") for k, v in r.items()} for r in runs.values()]
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    present = {r["strategy"] for r in rows}
    strategies = [s for s in STRATEGIES if s in present] + sorted(present - set(STRATEGIES))
    seeds = sorted({int(r["seed"]) for r in rows})
    title, rest = summary_markdown(rows, scenarios, strategies, seeds).split("\n", 1)
    read_from = ", ".join(f"`{d}`" for d in sweeps)
    atomic_write_text(
        out, f"{title}\n\nSweeps read together (`tools/bench_table.py --summary`): {read_from}.\n{rest}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweeps", type=Path, nargs="+", help="sweep directories (each with results.csv)")
    ap.add_argument("--strategies", default=None, help="comma-separated strategies to keep (default: all)")
    ap.add_argument("--metrics", default="mota,idf1,hota,gospa", help="comma-separated results.csv columns")
    ap.add_argument("--summary", type=Path, default=None, help="write the sweeps' summary.md to this file")
    args = ap.parse_args(argv)
    for d in args.sweeps:
        if not (d / "results.csv").is_file():
            print(f"bench_table: {d}: no results.csv (not a finished whsim bench sweep)", file=sys.stderr)
            return 2
    if args.summary is not None:
        return summary(args.sweeps, args.summary)
    metrics = [m for m in args.metrics.split(",") if m]
    strategies = set(args.strategies.split(",")) if args.strategies else None
    groups = read(args.sweeps, strategies)
    columns = set().union(*(r.keys() for rows in groups.values() for r in rows))
    missing = [m for m in metrics if m not in columns]
    if missing or not groups:
        what = f"no column {', '.join(missing)}" if missing else "no finished run of those strategies"
        print(f"bench_table: {', '.join(map(str, args.sweeps))}: {what}", file=sys.stderr)
        return 2
    print(table(groups, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())

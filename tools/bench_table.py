"""Print the docs' result tables from `whsim bench` sweeps: one Markdown row per (scenario, strategy),
each metric as its mean over the finished seeds with the 95 % Student-t interval.

    python tools/bench_table.py runs/lib --strategies central --metrics mota,gospa,coverage_ceiling
    python tools/bench_table.py runs/bench --metrics mota,idf1,hota,gospa        # README's headline table

    python tools/bench_table.py runs/key runs/singles --summary docs/bench_summary.md  # bench's summary.md
    python tools/bench_table.py docs/bench_sweep --figures runs/fig   # a sweep's metric bars, redrawn

`--summary FILE` writes, for several sweeps read as one, the summary.md that `whsim bench` writes for one
(every scenario and strategy they hold). Several sweep directories are read as one (a later sweep's run of
the same scenario, seed and strategy replaces an earlier one's); rows keep the order in which they list
them. Digits:
GOSPA, RMSE and coverage ceilings 2, everything else 3; negative numbers with a minus sign (−), as the
docs print them. Exit status 2 when a directory holds no finished sweep or a metric is not a column.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sim.bench.results import read_results
from sim.bench.stats import mean_ci
from sim.bench.summary import fmt_interval, summary_markdown
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


def cell(values: list[float], digits: int) -> str:
    """'mean [lo, hi]' of the finite values (bench's own format, with the docs' minus sign)."""
    return fmt_interval(*mean_ci(values), digits).replace("-", "−")


def read(sweeps: list[Path]) -> list[dict]:
    """Every run of the sweeps, in their order; a later sweep's run of the same scenario, seed and strategy
    replaces an earlier one's. ValueError for a file that is not a bench results file."""
    runs: dict[tuple[str, str, str], dict] = {}
    for sweep in sweeps:
        for row in read_results(sweep / "results.csv"):
            runs[(row["scenario"], row["strategy"], row["seed"])] = row
    return list(runs.values())


def groups(rows: list[dict], strategies: set[str] | None) -> dict[tuple[str, str], list[dict]]:
    """(scenario, strategy) → the finished runs' rows."""
    out: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["status"] == "ok" and (strategies is None or row["strategy"] in strategies):
            out.setdefault((row["scenario"], row["strategy"]), []).append(row)
    return out


def table(kept: dict[tuple[str, str], list[dict]], metrics: list[str]) -> str:
    heads = [HEADERS.get(m, m) for m in metrics]
    lines = [
        "| scenario | strategy | seeds | " + " | ".join(heads) + " |",
        "|" + " --- |" * (3 + len(metrics)),
    ]
    for (scenario, strategy), rows in kept.items():
        cells = [
            cell(
                [float(r[m]) if r[m] not in ("", None) else math.nan for r in rows],
                2 if m in TWO_DIGITS else 3,
            )
            for m in metrics
        ]
        lines.append(f"| `{scenario}` | {strategy} | {len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(sweeps: list[Path], rows: list[dict], out: Path) -> int:
    """bench's summary.md over several sweeps: scenarios in first-seen order, strategies in `whsim
    strategies` order."""
    scenarios, strategies = _order(rows)
    seeds = sorted({int(r["seed"]) for r in rows})
    title, rest = summary_markdown(rows, scenarios, strategies, seeds).split("\n", 1)
    read_from = ", ".join(f"`{d}`" for d in sweeps)
    atomic_write_text(
        out, f"{title}\n\nSweeps read together (`tools/bench_table.py --summary`): {read_from}.\n{rest}"
    )
    return 0


def _order(rows: list[dict]) -> tuple[list[str], list[str]]:
    """Scenarios in first-seen order, strategies in `whsim strategies` order (others after, sorted)."""
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    present = {r["strategy"] for r in rows}
    return scenarios, [s for s in STRATEGIES if s in present] + sorted(present - set(STRATEGIES))


def figures(rows: list[dict], out: Path) -> None:
    """`<scenario>_metrics.png` per scenario in `out`: the bars `whsim bench` draws into its figures/."""
    from sim.bench.figures import bar_figure

    out.mkdir(parents=True, exist_ok=True)
    scenarios, strategies = _order(rows)
    for sc in scenarios:
        bar_figure(out / f"{sc}_metrics.png", rows, sc, strategies)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweeps", type=Path, nargs="+", help="sweep directories (each with results.csv)")
    ap.add_argument("--strategies", default=None, help="comma-separated strategies to keep (default: all)")
    ap.add_argument("--metrics", default="mota,idf1,hota,gospa", help="comma-separated results.csv columns")
    ap.add_argument("--summary", type=Path, default=None, help="write the sweeps' summary.md to this file")
    ap.add_argument(
        "--figures", type=Path, default=None, help="draw each scenario's metric bars, as a sweep does, here"
    )
    args = ap.parse_args(argv)
    for d in args.sweeps:
        if not (d / "results.csv").is_file():
            print(f"bench_table: {d}: no results.csv (not a finished whsim bench sweep)", file=sys.stderr)
            return 2
    try:
        rows = read(args.sweeps)
    except ValueError as e:
        print(f"bench_table: {e}", file=sys.stderr)
        return 2
    if args.figures is not None:
        figures(rows, args.figures)
    if args.summary is not None:
        return summary(args.sweeps, rows, args.summary)
    if args.figures is not None:
        return 0
    metrics = [m for m in args.metrics.split(",") if m]
    strategies = set(args.strategies.split(",")) if args.strategies else None
    kept = groups(rows, strategies)
    missing = [m for m in metrics if m not in (rows[0] if rows else {})]
    if missing or not kept:
        what = f"no column {', '.join(missing)}" if missing else "no finished run of those strategies"
        print(f"bench_table: {', '.join(map(str, args.sweeps))}: {what}", file=sys.stderr)
        return 2
    print(table(kept, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())

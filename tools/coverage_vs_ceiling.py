"""What `whsim coverage` predicts against what the runs measured: for every scenario file of a `whsim bench`
sweep, per seed, the share of actor-frames on cells a positioning sensor covers and the share expected to
be detected (both for that seed's own traffic), beside the run's measured coverage ceiling.

    python tools/coverage_vs_ceiling.py runs/placed/default_placed_verify \\
        scenarios/default.yaml runs/placed/default_placed.yaml

Prints a markdown table: each file's mean over the sweep's seeds with its 95 % t-interval, for one
strategy's runs (`--strategy`, default `central`: the coverage ceiling depends on the sensors it reads).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.bench.results import read_results
from sim.bench.stats import mean_ci
from sim.bench.summary import fmt_interval
from sim.coverage.site_coverage import POSITION_KINDS, site_coverage
from sim.loading import load_scenario


def _fmt(values) -> str:
    return fmt_interval(*mean_ci(values))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench", type=Path, help="a `whsim bench` output directory")
    ap.add_argument("scenarios", type=Path, nargs="+", help="the scenario files that sweep ran")
    ap.add_argument("--strategy", default="central", help="the strategy whose runs to read (default central)")
    args = ap.parse_args(argv)
    rows = [
        r
        for r in read_results(args.bench / "results.csv")
        if r["status"] == "ok" and r["strategy"] == args.strategy
    ]
    if not rows:
        ap.error(f"{args.bench / 'results.csv'}: no finished '{args.strategy}' runs")
    print("| scenario | covered (predicted) | expected detected (predicted) | coverage ceiling (measured) |")
    print("| --- | --- | --- | --- |")
    for path in args.scenarios:
        sc = load_scenario(path)
        mine = [r for r in rows if r["scenario"] == sc.name]
        covered, expected, measured = [], [], []
        for r in mine:
            _, cov = site_coverage(sc.model_copy(update={"seed": int(r["seed"])}), [int(r["seed"])])
            covered.append(cov.shares(1, POSITION_KINDS)["traffic"]["all"])
            expected.append(cov.expected_detected())
            measured.append(float(r["coverage_ceiling"]))
        print(f"| {sc.name} | {_fmt(covered)} | {_fmt(expected)} | {_fmt(measured)} |")


if __name__ == "__main__":
    main()

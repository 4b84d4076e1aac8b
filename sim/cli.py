"""The `whsim` command line (SPEC §5). Exit codes: 0 done, 2 bad input, 1 internal error, 130 interrupted."""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import threading
import traceback
import zipfile
from pathlib import Path

from sim import export
from sim import perf_command as perf_command_line
from sim.coverage import commands as coverage
from sim.learning import commands as learning
from sim.library import cmd_scenarios

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# What reading a truncated CSV, a damaged npz or unreadable files raises while redrawing a run's figures.
DAMAGED_FILE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OSError, EOFError)
DAMAGED_FILE_ERRORS += (zipfile.BadZipFile, csv.Error)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors on one line with exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"whsim: {message} (see '{self.prog} --help')\n")


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got '{text}'") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return v


def _seed(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got '{text}'") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"must be in [0, 2^63), got {text}")
    return v


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("whsim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="whsim", description="Warehouse perception and sensor-fusion simulator.")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    p.add_argument("--version", action="version", version=f"whsim {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    r = sub.add_parser("run", parents=[common], help="simulate a scenario and write its run directory")
    r.add_argument(
        "scenario", type=Path, help="a scenario file, or a shipped scenario's name ('whsim scenarios')"
    )
    r.add_argument(
        "--out", type=Path, help="run directory (default: runs/<scenario name, as a plain folder name>)"
    )
    r.add_argument("--seed", type=_seed, help="override the scenario seed")
    r.add_argument("--strategy", help="override pipeline.strategy (see 'whsim strategies')")
    r.add_argument("--duration", type=_positive_float, help="override duration_s")
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override any scenario field by its dotted path, e.g. pipeline.tracker.confirm_hits=2 "
        "(repeatable; checked like the file)",
    )
    r.add_argument("--save-sensors", type=int, metavar="EVERY", help="save raw sensor data every N readings")
    r.add_argument("--animate", action="store_true", help="also write animation.gif")
    r.add_argument("--rerun", type=Path, metavar="FILE.rrd", help="also write a Rerun recording")
    r.add_argument("--overwrite", action="store_true", help="reuse a non-empty run directory")
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    r.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")

    v = sub.add_parser("validate", parents=[common], help="check scenario files without running them")
    v.add_argument("scenarios", type=Path, nargs="+")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="as for run")

    pl = sub.add_parser("plot", parents=[common], help="redraw a run's figures from its saved files")
    pl.add_argument("run_dir", type=Path)
    pl.add_argument("--step", type=int, help="tick at which to draw the actors' boxes (default: last)")

    sub.add_parser("strategies", parents=[common], help="list the tracking strategies")
    sub.add_parser("scenarios", parents=[common], help="list the shipped scenarios")

    b = sub.add_parser("bench", parents=[common], help="compare strategies across scenarios and seeds")
    b.add_argument("scenarios", type=Path, nargs="+")
    b.add_argument("--strategies", required=True, help="comma-separated strategy names, or 'all'")
    b.add_argument("--seeds", type=int, required=True, help="how many seeds of every scenario to run")
    b.add_argument(
        "--first-seed",
        type=int,
        default=1,
        help="seeds FIRST..FIRST+N-1 (default 1; tune on seeds >= 11, report on 1-5)",
    )
    b.add_argument(
        "--duration",
        type=_positive_float,
        help="override every scenario's duration_s (later events do not happen)",
    )
    b.add_argument("--out", type=Path, required=True, help="sweep directory")
    b.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="local worker processes (1: this process)"
    )
    b.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    b.add_argument(
        "--resume", action="store_true", help="keep the finished runs of an earlier sweep in --out"
    )
    b.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    perf_command_line.add_parser(sub, common)
    learning.add_parsers(sub, common, _seed)
    coverage.add_parsers(sub, common, _seed)
    export.add_parsers(sub, common)
    return p


# ----------------------------------------------------------------------------------------- commands
def cmd_run(args) -> int:
    from sim.loading import load_scenario
    from sim.run_summary import print_run_summary, run_files
    from sim.runner import UsageError, apply_overrides, run_scenario
    from sim.strategies import STRATEGIES

    if args.save_sensors is not None and args.save_sensors < 1:
        raise UsageError(
            f"--save-sensors: EVERY must be a positive number of readings, got {args.save_sensors}"
        )
    from sim.library import resolve

    args.scenario = resolve(args.scenario)
    scenario = load_scenario(args.scenario, sets=args.set)
    if args.strategy is not None:
        from sim.scenario.suggest import did_you_mean

        if args.strategy not in STRATEGIES:
            raise UsageError(
                f"--strategy: unknown strategy '{args.strategy}'{did_you_mean(args.strategy, STRATEGIES)}"
                f" (allowed: {', '.join(STRATEGIES)})"
            )
    scenario = apply_overrides(
        scenario, str(args.scenario), seed=args.seed, strategy=args.strategy, duration=args.duration
    )
    if args.out is None:
        from sim.output.paths import folder_name

        out = Path("runs") / folder_name(scenario.name)  # the file's text never chooses a path
    else:
        out = args.out
    progress = not args.quiet and sys.stderr.isatty()
    try:
        rerun = export.check_rerun_path(args.rerun, args.overwrite) if args.rerun else None
        opts = {"overwrite": args.overwrite, "save_sensors": args.save_sensors, "rerun": rerun}
        result = run_scenario(scenario, out, progress=progress, **opts)
        if args.animate:
            from sim.plots.animation import write_animation

            if progress:
                print("whsim: writing animation.gif…", file=sys.stderr, flush=True)
            write_animation(out, scenario, result.static)
    except KeyboardInterrupt:
        print(f"whsim: interrupted; partial results in {out} (status: interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps({**result.metrics, "run_dir": str(out), "files": run_files(out)}, indent=2))
    elif not args.quiet:
        print_run_summary(scenario, result.metrics, out)
    return EXIT_OK


def cmd_validate(args) -> int:
    from sim.library import resolve
    from sim.loading import load_scenario
    from sim.scenario.loader import ScenarioError

    bad = 0
    for path in map(resolve, args.scenarios):
        try:
            sc = load_scenario(path, sets=args.set)
        except ScenarioError as e:
            bad += 1
            for problem in e.problems:
                print(problem, file=sys.stderr)
            continue
        print(
            f"{path}: ok — '{sc.name}', {len(sc.actors)} actors, {len(sc.sensors)} sensors, "
            f"{sc.duration_s:g} s at dt {sc.dt_s:g} s"
        )
    return EXIT_USAGE if bad else EXIT_OK


def cmd_plot(args) -> int:
    from sim.errors import UsageError
    from sim.loading import load_scenario
    from sim.plots.render import render_plots

    run = args.run_dir
    for name in ("scenario.resolved.yaml", "ground_truth.csv", "metrics.json"):
        if not (run / name).is_file():
            raise UsageError(f"{run}: not a run directory (no {name})")
    try:
        json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise UsageError(f"{run}/metrics.json: damaged ({e})") from None
    if (run / "plots").exists() and not (run / "plots").is_dir():
        raise UsageError(f"{run}/plots: exists and is not a directory")
    scenario = load_scenario(run / "scenario.resolved.yaml", check_physics=False)
    if args.step is not None and not 0 <= args.step <= scenario.n_ticks:
        raise UsageError(f"--step: {args.step} is outside this run's ticks 0..{scenario.n_ticks}")
    try:
        paths = render_plots(run, scenario=scenario, step=args.step)
    except DAMAGED_FILE_ERRORS as e:
        # The run's files are the input here: a truncated CSV or a damaged npz is the user's to fix.
        why = f"{type(e).__name__}: {e}".splitlines()[0]
        raise UsageError(f"{run}: damaged run files, the figures cannot be redrawn ({why})") from None
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_strategies(args) -> int:
    from sim.strategies import print_strategies

    print_strategies()
    return EXIT_OK


def cmd_bench(args) -> int:
    from sim.bench.executors import SchedulerUnavailable
    from sim.bench.sweep import check_resumable, run_sweep
    from sim.loading import load_scenario
    from sim.output.paths import folder_name
    from sim.runner import UsageError, apply_overrides
    from sim.scenario.suggest import did_you_mean
    from sim.strategies import STRATEGIES

    tracking = [n for n, s in STRATEGIES.items() if s.fuser != "none"]
    names = tracking if args.strategies.strip() == "all" else [s.strip() for s in args.strategies.split(",")]
    for name in names:
        if name not in tracking:
            raise UsageError(
                f"--strategies: '{name}' is not a tracking strategy{did_you_mean(name, tracking)} "
                f"(allowed: {', '.join(tracking)}, or all)"
            )
    if len(set(names)) != len(names) or not names:
        raise UsageError("--strategies: give each strategy once")
    if args.seeds < 1:
        raise UsageError(f"--seeds: must be at least 1, got {args.seeds}")
    if args.first_seed < 0:
        raise UsageError(f"--first-seed: must be 0 or more, got {args.first_seed}")
    if args.workers < 1:
        raise UsageError(f"--workers: must be at least 1, got {args.workers}")
    from sim.library import resolve

    scenarios = []
    for path in map(resolve, args.scenarios):
        sc = load_scenario(path)  # every file checked before anything runs
        if args.duration is not None:
            sc = apply_overrides(sc, str(path), duration=args.duration)
        if folder_name(sc.name) in {folder_name(n) for _, n in scenarios}:
            raise UsageError(f"{path}: scenario name '{sc.name}' is already in this sweep")
        scenarios.append((str(path), sc.name))
    out = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not args.resume:
        raise UsageError(f"--out: {out} is not empty; pass --resume to continue the sweep in it")
    if args.resume:
        try:
            check_resumable(out, args.duration, args.first_seed)
        except ValueError as e:
            raise UsageError(f"--resume: {e}") from None
    progress = not args.quiet and sys.stderr.isatty()
    try:
        result = run_sweep(
            scenarios,
            names,
            args.seeds,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=progress,
            duration_s=args.duration,
            first_seed=args.first_seed,
        )
    except SchedulerUnavailable as e:
        raise UsageError(str(e)) from None
    if not args.quiet:
        ok = sum(r["status"] == "ok" for r in result.rows)
        print(
            f"bench: {len(result.rows)} runs ({result.ran} run now, {ok} ok, {len(result.failed)} failed); "
            f"{out}/results.csv, {out}/summary.md, {out}/figures/"
        )
    return EXIT_INTERNAL if result.failed else EXIT_OK


def perf_command(args) -> int:
    from sim.perf_command import cmd_perf

    return cmd_perf(args)


COMMANDS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "plot": cmd_plot,
    "strategies": cmd_strategies,
    "bench": cmd_bench,
    "perf": perf_command,
    "dataset": learning.cmd_dataset,
    "train": learning.cmd_train,
    "scenarios": cmd_scenarios,
    "coverage": coverage.cmd_coverage,
    "place": coverage.cmd_place,
    "export": export.cmd_export,
}


def _terminated(signum, frame):
    """SIGTERM (a scheduler, `docker stop`) ends a run the way Ctrl-C does: valid files, exit 130."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one command; SIGTERM and SIGINT are handled from the first instant, start-up included."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except KeyboardInterrupt:
        print("whsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _dispatch(args) -> int:
    from sim.errors import UsageError
    from sim.scenario.loader import ScenarioError

    try:
        return COMMANDS[args.command](args)
    except ScenarioError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except UsageError as e:
        print(f"whsim: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        raise
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # an internal error: one line, the traceback with --debug
        if args.debug:
            traceback.print_exc()
        print(
            f"whsim: internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

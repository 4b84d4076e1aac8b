"""`whsim perf`'s command line: its arguments, the figures as a table or JSON, `--scaling`'s sweeps.
The figures themselves are measured in `sim.perf` and `sim.perf_scaling`."""

from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub, common) -> None:
    """The `perf` subcommand and its options."""
    pf = sub.add_parser("perf", parents=[common], help="measure whsim's speed figures (docs/performance.md)")
    pf.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pf.add_argument("--only", help="run one figure (by key)")
    pf.add_argument("--repeats", type=int, default=5, help="best of this many repetitions per figure")
    pf.add_argument(
        "--strategies",
        help="realtime_factor: only these tracking strategies (comma-separated); rounds follow --repeats",
    )
    pf.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where the networks run for pointnet_points_per_s and cnn3d_ms_per_step (default cpu)",
    )
    pf.add_argument("--scaling", action="store_true", help="real-time factor against actors, cameras, area")
    pf.add_argument("--out", type=Path, default=Path("runs/perf-scaling"), help="--scaling's folder")


def cmd_perf(args) -> int:
    """`whsim perf`: every figure (or `--only` one), as a table or `--json`; `--scaling` the sweeps."""
    from sim.errors import UsageError, require_cuda
    from sim.perf import FIGURES, run_perf  # open3d, torch…: only when measuring

    if args.scaling:
        return _cmd_scaling(args)
    if args.only is not None and args.only not in FIGURES:
        from sim.scenario.suggest import did_you_mean

        raise UsageError(
            f"--only: unknown figure '{args.only}'{did_you_mean(args.only, FIGURES)} "
            f"(available: {', '.join(FIGURES)})"
        )
    if args.repeats < 1:
        raise UsageError("--repeats: must be at least 1")
    if args.device == "cuda":
        require_cuda("--device cuda")
    results = run_perf(args.only, args.repeats, tracking_strategies(args.strategies), args.device)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    print(f"{key}.{sub:<20} {v}")
            else:
                print(f"{key:<28} {value}")
    return 0


def tracking_strategies(text: str | None) -> tuple[str, ...] | None:
    """`--strategies` as names of tracking strategies; UsageError naming any other."""
    if text is None:
        return None
    from sim.errors import UsageError
    from sim.scenario.suggest import did_you_mean
    from sim.strategies import STRATEGIES

    tracking = [name for name, info in STRATEGIES.items() if info.fuser != "none"]
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for n in names:
        if n not in tracking:
            raise UsageError(
                f"--strategies: '{n}' is not a tracking strategy{did_you_mean(n, tracking)} "
                f"(available: {', '.join(tracking)})"
            )
    if not names:
        raise UsageError(f"--strategies: name one or more of {', '.join(tracking)}")
    return names


def _cmd_scaling(args) -> int:
    import sys

    from sim.errors import UsageError
    from sim.perf_scaling import run_scaling, table

    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out: {args.out} exists and is not a directory")
    say = (
        (lambda what: print(f"whsim: measuring {what}…", file=sys.stderr, flush=True))
        if not args.json
        else None
    )
    results = run_scaling(args.out, say)
    print(json.dumps(results, indent=2) if args.json else "\n".join(table(results)))
    if not args.json:
        print(f"{args.out}/scaling.json, {args.out}/scaling.png")
    return 0

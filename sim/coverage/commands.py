"""`whsim coverage` and `whsim place`: what a layout's sensors can see, and where to put them (SPEC §5)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sim.coverage.seed_text import seed_range
from sim.progress import progress_bar

MOUNT_CHOICES = ("walls", "ceiling", "rack-ends")
DEFAULT_TRAFFIC_SEED = 11  # placement tunes on seeds ≥ 11; tracking figures are reported on seeds 1–5


def add_parsers(sub, common, seed_type) -> None:
    c = sub.add_parser("coverage", parents=[common], help="map which floor cells each sensor would detect")
    c.add_argument("scenario", type=Path)
    c.add_argument("--out", type=Path, help="output directory (default: runs/<scenario name>-coverage)")
    c.add_argument("--seeds", type=int, default=1, help="traffic runs to weight by (default 1)")
    c.add_argument("--first-seed", type=seed_type, help="first traffic seed (default: the scenario's)")
    c.add_argument("--cell", type=float, default=0.2, help="floor cell size in metres (default 0.2)")
    c.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="as for run")
    c.add_argument("--quiet", action="store_true", help="no summary")

    p = sub.add_parser("place", parents=[common], help="choose sensor poses that cover the traffic")
    p.add_argument("scenario", type=Path)
    p.add_argument("--out", type=Path, required=True, help="scenario file to write (.yaml)")
    p.add_argument(
        "--budget",
        help="sensors to place, e.g. camera=2,lidar=1,thermal=2,rfid=2,beam=1 (default: the file's)",
    )
    p.add_argument(
        "--mounts",
        default=",".join(MOUNT_CHOICES),
        help="where sensors may go (default walls,ceiling,rack-ends)",
    )
    p.add_argument("--traffic-seeds", type=int, default=5, help="traffic runs to place for (default 5)")
    p.add_argument(
        "--cell", type=float, default=0.2, help="floor cell size in metres (default 0.2; 0.4: ~3x faster)"
    )
    p.add_argument(
        "--first-traffic-seed", type=seed_type, default=DEFAULT_TRAFFIC_SEED, help="default 11 (tuning seeds)"
    )
    p.add_argument(
        "--shortlist",
        type=int,
        default=1,
        metavar="K",
        help="bench the objective's K best layouts on the traffic seeds; another than its best is placed "
        "only if it tracks better beyond doubt (default 1: no bench)",
    )
    p.add_argument(
        "--shortlist-seeds", type=int, default=3, metavar="N", help="seeds each option is benched on (3)"
    )
    p.add_argument("--verify", type=int, metavar="N", help="bench both layouts over seeds 1..N and compare")
    p.add_argument(
        "--strategy", help="the tracking strategy --shortlist and --verify bench (default: the file's)"
    )
    p.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes for --shortlist and --verify"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _share_table(columns: list[tuple[str, dict]]) -> list[str]:
    """Rows of traffic and floor shares (≥ 1, ≥ 2, positioning ≥ 1) for each summary in `columns`."""
    head = f"{'':<26}" + "".join(f"{name:>14}" for name, _ in columns)
    rows = [head]
    for label, path in (
        ("traffic, >= 1 sensor", ("any", "k1", "traffic")),
        ("traffic, >= 2 sensors", ("any", "k2", "traffic")),
        ("traffic, >= 1 positioning", ("position", "k1", "traffic")),
        ("floor, >= 1 sensor", ("any", "k1", "floor")),
        ("floor, >= 2 sensors", ("any", "k2", "floor")),
    ):
        cells = []
        for _, s in columns:
            v = s[path[0]][path[1]][path[2]]["all"]
            cells.append(f"{v:>14.3f}" if v is not None else f"{'—':>14}")
        rows.append(f"{label:<26}" + "".join(cells))
    expected = [s.get("expected_detected") for _, s in columns]
    rows.append(
        f"{'traffic, expected detected':<26}"
        + "".join(f"{v:>14.3f}" if v is not None else f"{'—':>14}" for v in expected)
    )
    return rows


def cmd_coverage(args) -> int:
    from sim.coverage.figure import plot_coverage
    from sim.coverage.site_coverage import site_coverage
    from sim.errors import UsageError
    from sim.library import resolve
    from sim.loading import load_scenario
    from sim.output.atomic import atomic_write_text
    from sim.output.paths import folder_name

    if args.seeds < 0:
        raise UsageError(f"--seeds: must be 0 or more, got {args.seeds}")
    if not 0.05 <= args.cell <= 2.0:
        raise UsageError(f"--cell: must be between 0.05 and 2 m, got {args.cell}")
    args.scenario = resolve(args.scenario)
    scenario = load_scenario(args.scenario, sets=args.set)
    out = args.out or Path("runs") / f"{folder_name(scenario.name)}-coverage"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a directory")
    first = scenario.seed if args.first_seed is None else args.first_seed
    seeds = list(range(first, first + args.seeds))
    static, cov = site_coverage(scenario, seeds, args.cell)
    summary = {"schema": 1, "scenario": scenario.name, "traffic_seeds": seeds, **cov.summary()}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "coverage.json", json.dumps(summary, indent=2) + "\n")
    plot_coverage(out / "coverage.png", [(f"'{scenario.name}'", scenario, static, cov)])
    if not args.quiet:
        frames = f"{summary['traffic_frames']:,} actor-frames" if seeds else "no traffic runs"
        print(
            f"coverage of '{scenario.name}' ({args.cell:g} m cells; "
            f"traffic of seeds {seed_range(seeds)}: {frames})"
        )
        print("\n".join(_share_table([("share", summary)])))
        print("\n".join(_sensor_table(summary["sensors"])))
        print(f"{out}/coverage.json, {out}/coverage.png")
    return 0


def _sensor_table(sensors: dict) -> list[str]:
    """Per sensor: the shares of free floor and of traffic it covers, and of that traffic the share other
    actors leave in its view ('—' for sensors without a line of sight, or without traffic)."""
    rows = [f"{'sensor':<16}{'type':<10}{'floor':>8}{'traffic':>9}{'clear':>8}"]
    for sid, s in sensors.items():
        traffic = f"{s['traffic']:>9.3f}" if s["traffic"] is not None else f"{'—':>9}"
        clear = f"{s['clear']:>8.3f}" if "clear" in s else f"{'—':>8}"
        rows.append(f"{sid:<16}{s['type']:<10}{s['floor']:>8.3f}{traffic}{clear}")
    return rows


def parse_budget(text: str | None, scenario) -> dict[str, int]:
    """`camera=2,lidar=1` → {"camera": 2, "lidar": 1}; None → the scenario's own placeable sensors."""
    from sim.coverage.placement import PLACEABLE
    from sim.errors import UsageError

    if text is None:
        own = {k: sum(s.type == k for s in scenario.sensors) for k in PLACEABLE}
        budget = {k: n for k, n in own.items() if n}
        if not budget:
            raise UsageError("--budget: the scenario has no sensors to move; give one, e.g. camera=2,lidar=1")
        return budget
    budget: dict[str, int] = {}
    for part in text.split(","):
        kind, _, n = part.strip().partition("=")
        kind = kind.strip()
        if kind not in PLACEABLE:
            raise UsageError(f"--budget: unknown sensor kind '{kind}' (allowed: {', '.join(PLACEABLE)})")
        if kind in budget:
            raise UsageError(f"--budget: '{kind}' is given twice")
        try:
            budget[kind] = int(n)
        except ValueError:
            raise UsageError(f"--budget: '{part.strip()}' is not KIND=COUNT") from None
        if not 0 <= budget[kind] <= 20:
            raise UsageError(f"--budget: {kind} count must be between 0 and 20, got {n}")
    budget = {k: n for k, n in budget.items() if n}
    if not budget:
        raise UsageError("--budget: nothing to place")
    return budget


def _mounts(text: str) -> tuple[str, ...]:
    from sim.errors import UsageError

    where = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in where if m not in MOUNT_CHOICES]
    if bad or not where:
        raise UsageError(
            f"--mounts: '{text}' (allowed: a comma-separated choice of {', '.join(MOUNT_CHOICES)})"
        )
    return where


def _check_place_args(args) -> None:
    from sim.errors import UsageError

    if args.out.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out: {args.out} should be a .yaml file")
    if args.out.exists() and not args.overwrite:
        raise UsageError(f"--out: {args.out} exists; pass --overwrite to replace it")
    if args.out.exists() and not args.out.is_file():
        raise UsageError(f"--out: {args.out} exists and is not a file")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out: folder {args.out.parent} does not exist")
    if not 0.05 <= args.cell <= 2.0:
        raise UsageError(f"--cell: must be between 0.05 and 2 m, got {args.cell}")
    if args.traffic_seeds < 1:
        raise UsageError(f"--traffic-seeds: must be at least 1, got {args.traffic_seeds}")
    if not 1 <= args.shortlist <= 10:
        raise UsageError(f"--shortlist: must be between 1 and 10, got {args.shortlist}")
    if args.shortlist_seeds < 1:
        raise UsageError(f"--shortlist-seeds: must be at least 1, got {args.shortlist_seeds}")
    if args.verify is not None and args.verify < 1:
        raise UsageError(f"--verify: must be at least 1, got {args.verify}")
    if args.workers < 1:
        raise UsageError(f"--workers: must be at least 1, got {args.workers}")
    from sim.coverage.shortlist import shortlist_dir
    from sim.coverage.verify import verify_dir

    for flag, asked, d in (
        ("--shortlist", args.shortlist > 1, shortlist_dir(args.out)),
        ("--verify", args.verify, verify_dir(args.out)),
    ):  # the folders the benches write beside the placed file: ours to replace only when told
        if asked and d.exists() and (not d.is_dir() or (any(d.iterdir()) and not args.overwrite)):
            raise UsageError(f"{flag}: {d} exists; pass --overwrite to replace it")


def _bench_strategy(args, scenario) -> str:
    """The strategy `--shortlist` and `--verify` bench: `--strategy`, or the file's; one that tracks."""
    from sim.errors import UsageError
    from sim.scenario.suggest import did_you_mean
    from sim.strategies import STRATEGIES

    tracking = [n for n, s in STRATEGIES.items() if s.fuser != "none"]
    allowed = ", ".join(tracking)
    if args.strategy and args.strategy not in tracking:
        raise UsageError(
            f"--strategy: '{args.strategy}' is not a tracking strategy"
            f"{did_you_mean(args.strategy, tracking)} (allowed: {allowed})"
        )
    name = args.strategy or scenario.pipeline.strategy
    if name not in tracking:
        raise UsageError(
            f"--shortlist/--verify: the file's strategy '{name}' tracks nothing; give --strategy "
            f"(one of {allowed})"
        )
    return name


def cmd_place(args) -> int:
    import yaml

    from sim.coverage.figure import plot_coverage
    from sim.coverage.placement import place, placed_coverage, placed_document
    from sim.coverage.site_coverage import site_coverage
    from sim.library import resolve
    from sim.loading import load_scenario
    from sim.output.atomic import atomic_write_text
    from sim.scenario.loader import read_scenario_text
    from sim.scenario.safe_yaml import compose, construct

    _check_place_args(args)
    args.scenario = resolve(args.scenario)
    where = _mounts(args.mounts)
    scenario = load_scenario(args.scenario)
    budget = parse_budget(args.budget, scenario)
    if args.shortlist > 1 or args.verify or args.strategy:
        args.strategy = _bench_strategy(args, scenario)
    seeds = list(range(args.first_traffic_seed, args.first_traffic_seed + args.traffic_seeds))
    static, before = site_coverage(scenario, seeds, args.cell)
    bar = progress_bar(args, 0, "pose")

    def progress(stage: str, done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.set_description(stage, refresh=False)
            bar.update(done - bar.n)

    try:
        placed = place(scenario, static, before, budget, where, progress, n_options=args.shortlist)
    finally:
        if bar is not None:
            bar.close()
    original = construct(compose(read_scenario_text(args.scenario)))

    def write(layout, path: Path, name: str, note: str = "") -> list[str]:
        doc, dropped = placed_document(original, scenario, layout, budget, name)
        text = yaml.safe_dump(_plain(doc), sort_keys=False, default_flow_style=None, width=110)
        atomic_write_text(path, _header(args, name, scenario.name, budget, seeds) + note + text)
        return dropped

    shortlist, trial_lines, note = None, [], ""
    if len(placed.options) > 1:
        from sim.coverage.shortlist import choose, shortlist_note

        placed, shortlist, trial_lines = choose(args, placed, write)
        note = shortlist_note(shortlist)
    after = placed_coverage(before, placed, budget, scenario, static)
    name = args.out.stem if args.out.stem != scenario.name else f"{scenario.name}_placed"
    dropped = write(placed, args.out, name, note)
    placed_scenario = load_scenario(args.out)  # the written file is a valid scenario, or this is a bug
    report = {
        "schema": 1,
        "scenario": scenario.name,
        "budget": budget,
        "placed": {k: sum(b["type"] == k for b in placed.blocks) for k in budget},
        "mounts": list(where),
        "traffic_seeds": seeds,
        "candidates": placed.n_candidates,
        "objective": {"greedy": round(placed.greedy_value, 6), "final": round(placed.final_value, 6)},
        "swaps": placed.swaps,
        "before": before.summary(),
        "after": after.summary(),
        **({"shortlist": shortlist} if shortlist else {}),
    }
    stem = args.out.with_suffix("")
    atomic_write_text(stem.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    plot_coverage(
        stem.with_suffix(".png"),
        [("as the file has them", scenario, static, before), ("placed", placed_scenario, static, after)],
    )
    if not args.quiet:
        _print_place(args, report, dropped, stem)
        print("\n".join(trial_lines))
    if args.verify:
        from sim.coverage.verify import verify_placement

        return verify_placement(args, scenario, placed_scenario)
    return 0


def _header(args, name: str, original: str, budget: dict[str, int], seeds: list[int]) -> str:
    """The comment the written file opens with: what it is and the command that wrote it."""
    spent = ",".join(f"{k}={n}" for k, n in budget.items())
    short = f" --shortlist {args.shortlist} --shortlist-seeds {args.shortlist_seeds}"
    short = short if args.shortlist > 1 else ""
    return (
        f"# {name} — '{original}' with its sensors placed by whsim place ({spent}; traffic of seeds "
        f"{seed_range(seeds)}, mounts {args.mounts}).\n"
        f"# Look at: whsim coverage on this file and on {args.scenario}; `--verify N` benches both.\n"
        f"# Written by: whsim place {args.scenario} --budget {spent} --mounts {args.mounts} "
        f"--traffic-seeds {args.traffic_seeds} --first-traffic-seed {args.first_traffic_seed}{short}\n"
    )


def _plain(v):
    """Tuples to lists, so the YAML has no Python tags."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _print_place(args, report: dict, dropped: list[str], stem: Path) -> None:
    n = sum(report["candidates"].values())
    print(
        f"placed {', '.join(f'{c} {k}' for k, c in report['placed'].items())} among {n} candidate poses "
        f"(traffic of seeds {seed_range(report['traffic_seeds'])}; {report['swaps']} swaps after greedy)"
    )
    print("\n".join(_share_table([("before", report["before"]), ("placed", report["after"])])))
    short = [
        f"{k} ({n - report['placed'][k]} short: too few candidates)"
        for k, n in report["budget"].items()
        if report["placed"][k] < n
    ]
    if short:
        print(f"could not spend the whole budget: {', '.join(short)}")
    if dropped:
        print(f"faults of sensors no longer in the file were dropped: {', '.join(sorted(set(dropped)))}")
    print(f"{args.out}, {stem.with_suffix('.png')}, {stem.with_suffix('.json')}")

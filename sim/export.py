"""`whsim export RUN_DIR --rerun FILE.rrd`: a Rerun recording of a finished run from its files (and its
`--save-sensors` data, if any). `whsim run … --rerun FILE.rrd` writes the same while it runs, with the
sensor frames and clouds it sees (sim/output/rerun_recording.py)."""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    e = sub.add_parser("export", parents=[common], help="convert a run directory for other tools (Rerun)")
    e.add_argument("run_dir", type=Path)
    e.add_argument(
        "--rerun", type=Path, required=True, metavar="FILE.rrd", help="the Rerun recording to write"
    )
    e.add_argument("--overwrite", action="store_true", help="replace an existing FILE.rrd")


def check_rerun_path(path: Path, overwrite: bool) -> Path:
    """The recording's path, refused in one line if it cannot be written as asked."""
    from sim.errors import UsageError

    path = Path(path)
    try:
        import rerun  # noqa: F401
    except ImportError:
        raise UsageError(
            "--rerun needs the rerun-sdk package: pip install 'whsim[rerun]' (make setup installs it)"
        ) from None
    if path.suffix != ".rrd":
        raise UsageError(f"--rerun: {path}: a Rerun recording must end in .rrd")
    if path.exists() and (path.is_dir() or not overwrite):
        what = "is a directory" if path.is_dir() else "exists (--overwrite replaces it)"
        raise UsageError(f"--rerun: {path} {what}")
    if not path.parent.is_dir():
        raise UsageError(f"--rerun: {path.parent} is not a directory")
    return path


def cmd_export(args) -> int:
    from sim.errors import UsageError
    from sim.loading import load_scenario
    from sim.output.rerun_recording import (
        close_recording,
        log_run_files,
        log_saved_sensors,
        log_static,
        open_recording,
    )
    from sim.simulation import Simulation

    run = args.run_dir
    for name in ("scenario.resolved.yaml", "ground_truth.csv", "metrics.json"):
        if not (run / name).is_file():
            raise UsageError(f"{run}: not a run directory (no {name})")
    path = check_rerun_path(args.rerun, args.overwrite)
    scenario = load_scenario(run / "scenario.resolved.yaml", check_physics=False)  # seed included
    sim = Simulation(scenario, sensors=False)  # the run's own static world (pallets are seeded)
    sim.reset()
    tmp = path.with_name(f".{path.name}.tmp")
    rec = open_recording(tmp, f"{scenario.name}-seed{scenario.seed}")
    from sim.cli import DAMAGED_FILE_ERRORS

    try:
        log_static(rec, scenario, sim.world.static)
        saved = log_saved_sensors(rec, run)
        log_run_files(rec, run)
    except BaseException as e:
        close_recording(rec)
        tmp.unlink(missing_ok=True)
        if isinstance(e, DAMAGED_FILE_ERRORS):  # the run's files are the input here: the user's to fix
            why = f"{type(e).__name__}: {e}".splitlines()[0]
            raise UsageError(f"{run}: damaged run files, no recording written ({why})") from None
        raise
    close_recording(rec)
    tmp.replace(path)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB; {saved} saved sensor files)", file=sys.stderr)
    print(f"open it with: rerun {path}", file=sys.stderr)
    return EXIT_OK

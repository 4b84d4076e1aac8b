"""`results.csv`: one row per scenario × strategy × seed, in sweep order whatever order runs finish in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sim.bench.jobs import COLUMNS, METRIC_COLUMNS
from sim.output.atomic import atomic_write_text

FINISHED = ("ok", "unavailable")  # `--resume` runs everything else again


def _cell(v) -> str:
    if isinstance(v, float):
        return format(v, ".10g")
    return str(v)


def write_results(path: Path, rows: list[dict], order: dict) -> None:
    """`order` maps (scenario, seed, strategy) to its place in the sweep."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: order.get((r["scenario"], int(r["seed"]), r["strategy"]), 1e18)):
        w.writerow([_cell(row[c]) for c in COLUMNS])
    atomic_write_text(path, buf.getvalue())


def read_results(path: Path) -> list[dict]:
    """The rows of an earlier sweep ([] when there is none); ValueError for anything else in its place."""
    if Path(path).exists() and not Path(path).is_file():
        raise ValueError(f"{path}: exists and is not a regular file")
    if not Path(path).is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return rows
    have = list(rows[0])
    missing = [c for c in COLUMNS if c not in have]
    if [c for c in have if c not in COLUMNS] or any(c not in METRIC_COLUMNS for c in missing):
        raise ValueError(f"{path}: not a whsim bench results file (columns differ)")
    # A sweep from before some metric columns were added: its runs keep them empty.
    return [{c: r.get(c, "") for c in COLUMNS} for r in rows]

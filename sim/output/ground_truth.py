"""`ground_truth.csv` (SPEC §6): streamed row by row while the run goes, read back for plots."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np

from sim.output.atomic import AtomicStream
from sim.output.csv_text import csv_field
from sim.world.kinds import CLASS_NAMES
from sim.world.truth import TruthFrame

COLUMNS = (
    "t",
    "id",
    "class",
    "x",
    "y",
    "z",
    "yaw",
    "vx",
    "vy",
    "length",
    "width",
    "height",
    "tags",
    "temperature_c",
)
# x, y, z in m to 0.1 mm; yaw in rad; velocities in m/s; box size in m; temperature in °C.
_NEG_ZERO = re.compile(r",-(0\.0+)(?=,)")
_DYNAMIC = "%s,{id},{cls},%.4f,%.4f,%.4f,%.5f,%.4f,%.4f,{static}\n"


def time_decimals(dt_s: float) -> int:
    """Decimals that print tick · dt exactly for the dt the scenario wrote (0.05 → 2)."""
    return max(2, -Decimal(repr(float(dt_s))).as_tuple().exponent)


def _tags(tags: tuple[str, ...]) -> str:
    """The tags column of the row template: one CSV field, with `%` escaped (the template is %-formatted;
    a tag is the user's text, never a format)."""
    return csv_field(";".join(tags)).replace("%", "%%")


class GroundTruthWriter:
    """Appends one row per actor per tick; published atomically by `commit()`."""

    def __init__(self, path: Path, dt_s: float):
        self._out = AtomicStream(path)
        self._out.write(",".join(COLUMNS) + "\n")
        self._tfmt = f"%.{time_decimals(dt_s)}f"
        self._ids: tuple[str, ...] | None = None
        self._template = ""

    def write(self, frame: TruthFrame) -> None:
        n = len(frame)
        if not n:
            return
        if frame.ids != self._ids:
            # The columns that do not change while the same actors are present go into one template.
            self._ids = frame.ids
            self._template = "".join(
                _DYNAMIC.format(
                    id=i,
                    cls=CLASS_NAMES[int(c)],
                    static="{:.3f},{:.3f},{:.3f},{},{:.1f}".format(*size, _tags(tags), temp),
                )
                for i, c, size, tags, temp in zip(
                    frame.ids,
                    frame.class_ids,
                    frame.size.tolist(),
                    frame.tags,
                    frame.temperature_c.tolist(),
                    strict=True,
                )
            )
        t = self._tfmt % frame.t
        args: list = []
        for (x, y, z), yaw, (vx, vy) in zip(
            frame.xyz.tolist(), frame.yaw.tolist(), frame.vel.tolist(), strict=True
        ):
            args += (t, x, y, z, yaw, vx, vy)
        text = self._template % tuple(args)
        if ",-0.0000" in text:  # tiny negatives print as -0.0000; write them as 0
            text = _NEG_ZERO.sub(r",\1", text)
        self._out.write(text)

    def commit(self) -> None:
        self._out.commit()

    def discard(self) -> None:
        self._out.discard()


def read_trajectories(path: Path) -> dict[str, dict]:
    """Per-actor arrays (t, x, y, yaw) and box size / class from a ground_truth.csv."""
    cols: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    meta: dict[str, dict] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            c = cols[row["id"]]
            for k in ("t", "x", "y", "yaw"):
                c[k].append(float(row[k]))
            meta.setdefault(
                row["id"],
                {"kind": row["class"], "length": float(row["length"]), "width": float(row["width"])},
            )
    return {i: {**{k: np.array(v) for k, v in c.items()}, **meta[i]} for i, c in cols.items()}

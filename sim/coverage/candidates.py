"""Candidate mounting poses for `whsim place`: on the walls, under the roof, on the ends of rack rows.

Walls: every `WALL_SPACING_M` along each wall and in each corner, 0.3 m off the wall, at 3 m, 6 m and
just under the roof, aimed inwards and 45° either side of inwards, at floor points one and two mounting
heights away (pitches of about 45° and 27°). Ceiling: a grid under the roof, looking straight down or out
along ±x and ±y at 45°. Rack ends: on each row's end uprights, looking down the aisle beside the row.
Spinning LiDARs are not aimed; they go at 2, 3.5 and 5 m (a VLP-16's lowest beam is 15° below level, so
a unit under a 9 m roof sees no worker within 26 m). RFID antennas hang at 2.5 m facing inwards or down the
aisle (ceiling: facing down). Break-beams span the mouths of aisles and the dock doors 0.3 m above the
floor, under an AGV's deck.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sim.world.layout import StaticWorld

MOUNTS = ("walls", "ceiling", "rack-ends")
WALL_SPACING_M = 5.0
CEILING_SPACING_M = 5.0
WALL_INSET_M = 0.3
ROOF_GAP_M = 0.3  # a ceiling mount hangs this far under the roof
AIMED_HEIGHTS_M = (3.0, 6.0)  # and just under the roof
LIDAR_HEIGHTS_M = (2.0, 3.5, 5.0)
RFID_HEIGHT_M = 2.5
BEAM_HEIGHT_M = 0.3
AIM_TURNS_DEG = (-45.0, 0.0, 45.0)
AIM_DISTANCES = (1.0, 2.0)  # floor target this many mounting heights away
AISLE_LOOK_M = (8.0, 16.0)  # rack-end aim: a floor point this far down the aisle
DEFAULT_HALF_AISLE_M = 1.2


@dataclass(frozen=True)
class Mount:
    """A place for a sensor: its position and the floor direction it faces (None: down, from the roof)."""

    where: str  # one of MOUNTS
    position: tuple[float, float, float]
    facing: tuple[float, float] | None  # unit (dx, dy)
    aisle_dy: float = 0.0  # rack ends: from the mount to the middle of its aisle, along y


def _wall_points(L: float, W: float) -> list[tuple[float, float, tuple[float, float]]]:
    """(x, y, inward normal) along the four walls and in the corners."""
    pts = []
    for x in np.arange(WALL_SPACING_M / 2, L, WALL_SPACING_M):
        pts += [(float(x), WALL_INSET_M, (0.0, 1.0)), (float(x), W - WALL_INSET_M, (0.0, -1.0))]
    for y in np.arange(WALL_SPACING_M / 2, W, WALL_SPACING_M):
        pts += [(WALL_INSET_M, float(y), (1.0, 0.0)), (L - WALL_INSET_M, float(y), (-1.0, 0.0))]
    r = 1 / math.sqrt(2)
    for cx, cy, n in (
        (0.5, 0.5, (r, r)),
        (L - 0.5, 0.5, (-r, r)),
        (0.5, W - 0.5, (r, -r)),
        (L - 0.5, W - 0.5, (-r, -r)),
    ):
        pts.append((cx, cy, n))
    return pts


def _half_aisle(static: StaticWorld, row, below: bool) -> float:
    """Half the gap from `row` to the nearest row beside it (below or above in y), or the default."""
    gaps = [
        (row.y0 - r.y1) if below else (r.y0 - row.y1)
        for r in static.rack_rows
        if r is not row and r.x0 < row.x1 and row.x0 < r.x1
    ]
    gaps = [g for g in gaps if g > 0]
    return min(gaps) / 2 if gaps else DEFAULT_HALF_AISLE_M


def _blocked(static: StaticWorld, x: float, y: float) -> bool:
    return any(r.contains(x, y, 0.05) for r in static.obstacles)


def mounts(
    static: StaticWorld, heights: tuple[float, ...], where: tuple[str, ...], roof: bool
) -> list[Mount]:
    """Every mount in `where` at each of `heights` below the roof (and just under it if `roof`)."""
    L, W = static.size
    top = static.height - ROOF_GAP_M
    hs = sorted({h for h in heights if h <= top} | ({top} if roof else set()))
    out: list[Mount] = []
    if "walls" in where:
        out += [Mount("walls", (x, y, h), n) for x, y, n in _wall_points(L, W) for h in hs]
    if "ceiling" in where:
        for x in np.arange(CEILING_SPACING_M / 2, L, CEILING_SPACING_M):
            for y in np.arange(CEILING_SPACING_M / 2, W, CEILING_SPACING_M):
                out.append(Mount("ceiling", (float(x), float(y), top if roof else max(hs)), None))
    if "rack-ends" in where:
        for r in static.rack_rows:
            for x, dx in ((r.x0 - 0.15, 1.0), (r.x1 + 0.15, -1.0)):
                for y, dy in (
                    (r.y0 - 0.05, -_half_aisle(static, r, True)),
                    (r.y1 + 0.05, _half_aisle(static, r, False)),
                ):
                    if 0.2 < x < L - 0.2 and 0.2 < y < W - 0.2 and not _blocked(static, x, y):
                        out += [Mount("rack-ends", (x, y, h), (dx, 0.0), dy) for h in hs]
    return out


def _turn(d: tuple[float, float], deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([d[0] * math.cos(a) - d[1] * math.sin(a), d[0] * math.sin(a) + d[1] * math.cos(a)])


def _floor_point(static: StaticWorld, xy: np.ndarray) -> list[float]:
    L, W = static.size
    return [round(float(np.clip(xy[0], 0.5, L - 0.5)), 2), round(float(np.clip(xy[1], 0.5, W - 0.5)), 2), 0.0]


def _pos(p) -> list[float]:
    return [round(float(v), 2) for v in p]


def aimed_poses(static: StaticWorld, where: tuple[str, ...]) -> list[dict]:
    """`position` and `look_at` of camera-like candidates (cameras, thermal and depth cameras)."""
    poses = []
    for m in mounts(static, AIMED_HEIGHTS_M, where, roof=True):
        p = np.array(m.position)
        if m.facing is None:  # from the roof: straight down (a hair east: image x along -y) or out at 45°
            offsets = [(0.01, 0.0)] + [
                (p[2] * dx, p[2] * dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
            ]
            targets = [p[:2] + np.array(d) for d in offsets]
        elif m.where == "rack-ends":
            targets = [p[:2] + np.array([m.facing[0] * d, m.aisle_dy]) for d in AISLE_LOOK_M]
        else:
            targets = [p[:2] + _turn(m.facing, t) * k * p[2] for t in AIM_TURNS_DEG for k in AIM_DISTANCES]
        poses += [{"position": _pos(p), "look_at": _floor_point(static, t)} for t in targets]
    return poses


def lidar_poses(static: StaticWorld, where: tuple[str, ...]) -> list[dict]:
    """`position` of spinning-LiDAR candidates (level, not aimed)."""
    return [{"position": _pos(m.position)} for m in mounts(static, LIDAR_HEIGHTS_M, where, roof=False)]


def rfid_poses(static: StaticWorld, where: tuple[str, ...]) -> list[dict]:
    """`position` and `boresight` of RFID antenna candidates."""
    out = []
    for m in mounts(static, (RFID_HEIGHT_M,), where, roof="ceiling" in where):
        if m.facing is None:
            out.append({"position": _pos(m.position), "boresight": [0.0, 0.0, -1.0]})
        elif m.position[2] <= RFID_HEIGHT_M + 1e-9:
            p = np.array(m.position)
            if m.where == "rack-ends":
                p[1] += m.aisle_dy  # hung over the aisle's mouth
            out.append({"position": _pos(p), "boresight": [m.facing[0], m.facing[1], 0.0]})
    return out


def beam_segments(static: StaticWorld) -> list[dict]:
    """`from` and `to` of break-beam candidates: across aisle mouths and inside dock doors."""
    L, W = static.size
    out = []
    rows = sorted(static.rack_rows, key=lambda r: r.y0)
    for a, b in itertools.pairwise(rows):
        if b.y0 > a.y1 and a.x0 < b.x1 and b.x0 < a.x1:  # an aisle between two rows
            for x in (max(a.x0, b.x0) - 0.3, min(a.x1, b.x1) + 0.3):
                if 0.2 < x < L - 0.2:
                    out.append(
                        {
                            "from": [round(x, 2), round(a.y1 + 0.05, 2), BEAM_HEIGHT_M],
                            "to": [round(x, 2), round(b.y0 - 0.05, 2), BEAM_HEIGHT_M],
                        }
                    )
    for d in static.docks:
        if d.x1 - d.x0 < d.y1 - d.y0:  # a door in an east or west wall: the beam runs along y
            x = min(max((d.x0 + d.x1) / 2, 0.5), L - 0.5)
            out.append(
                {
                    "from": [round(x, 2), round(d.y0 + 0.1, 2), BEAM_HEIGHT_M],
                    "to": [round(x, 2), round(d.y1 - 0.1, 2), BEAM_HEIGHT_M],
                }
            )
        else:
            y = min(max((d.y0 + d.y1) / 2, 0.5), W - 0.5)
            out.append(
                {
                    "from": [round(d.x0 + 0.1, 2), round(y, 2), BEAM_HEIGHT_M],
                    "to": [round(d.x1 - 0.1, 2), round(y, 2), BEAM_HEIGHT_M],
                }
            )
    return out

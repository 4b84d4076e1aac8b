"""Static warehouse geometry expanded from a scenario's layout: racks, walls, docks, pallets.

Everything here is axis-aligned boxes (centre, size) tagged with a semantic class and an instance id, which
is what the navigation grid rasterises and what the sensors issue turns into triangle meshes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.models import Layout
from sim.world.kinds import CLASS_IDS

UPRIGHT_M = 0.08  # rack upright section (typical 80–100 mm roll-formed upright)
BEAM_M = 0.10  # shelf beam/deck thickness
PALLET_M = (1.2, 0.8, 1.2)  # EUR pallet 1.2 × 0.8 m with a 1.2 m load (EN 13698-1 footprint)


@dataclass(frozen=True)
class Rect:
    """Axis-aligned rectangle on the floor, [x0, x1] × [y0, y1] in metres."""

    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        return self.x0 - margin <= x <= self.x1 + margin and self.y0 - margin <= y <= self.y1 + margin


@dataclass(frozen=True)
class Box:
    """Axis-aligned solid: centre and size (x, y, z extents), semantic class id and instance id."""

    center: tuple[float, float, float]
    size: tuple[float, float, float]
    class_id: int
    instance: int


@dataclass(frozen=True)
class Pallet:
    """A pallet load resting in a rack slot, optionally carrying an RFID tag."""

    box: Box
    tag: str | None


def rect_array(rects) -> np.ndarray:
    """Rectangles as a (k, 4) array of x0, y0, x1, y1."""
    return np.array([(r.x0, r.y0, r.x1, r.y1) for r in rects], float).reshape(-1, 4)


@dataclass(frozen=True)
class StaticWorld:
    """The building and everything in it that never moves."""

    size: tuple[float, float]
    height: float
    rack_rows: tuple[Rect, ...]  # footprints of whole rack rows (the navigation obstacles)
    wall_rects: tuple[Rect, ...]  # perimeter (outside the interior) and interior wall footprints
    boxes: tuple[Box, ...]  # every static solid: walls, uprights, shelves, pallets
    pallets: tuple[Pallet, ...]
    docks: tuple[Rect, ...]  # door openings in the perimeter wall

    @property
    def obstacles(self) -> tuple[Rect, ...]:
        return self.rack_rows + self.wall_rects


def _interior_wall_rects(layout: Layout) -> list[Rect]:
    """Bounding rectangles of interior walls (only axis-aligned walls are exact; others are boxed)."""
    rects = []
    for w in layout.walls:
        h = w.thickness_m / 2
        (xa, ya), (xb, yb) = w.start, w.end
        rects.append(Rect(min(xa, xb) - h, min(ya, yb) - h, max(xa, xb) + h, max(ya, yb) + h))
    return rects


def _perimeter(layout: Layout) -> tuple[list[Rect], list[Rect]]:
    """Perimeter wall pieces outside the interior [0, L] × [0, W], split around dock openings."""
    L, W = layout.size_m
    t = layout.wall_thickness_m
    sides = {  # side: (fixed coordinate range, running axis start/end)
        "south": (0.0, L),
        "north": (0.0, L),
        "west": (0.0, W),
        "east": (0.0, W),
    }
    openings: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    docks = []
    for d in layout.docks:
        x, y = d.position
        half = d.width_m / 2
        side = min(
            (("west", abs(x)), ("east", abs(x - L)), ("south", abs(y)), ("north", abs(y - W))),
            key=lambda s: s[1],
        )[0]
        along = y if side in ("west", "east") else x
        openings[side].append((along - half, along + half))
        if side == "west":
            docks.append(Rect(-t, y - half, 0.0, y + half))
        elif side == "east":
            docks.append(Rect(L, y - half, L + t, y + half))
        elif side == "south":
            docks.append(Rect(x - half, -t, x + half, 0.0))
        else:
            docks.append(Rect(x - half, W, x + half, W + t))
    rects = []
    for side, (lo, hi) in sides.items():
        start = lo - t
        pieces = []
        for a, b in sorted(openings[side]):
            pieces.append((start, a))
            start = b
        pieces.append((start, hi + t))
        for a, b in pieces:
            if b - a <= 1e-9:
                continue
            if side == "south":
                rects.append(Rect(a, -t, b, 0.0))
            elif side == "north":
                rects.append(Rect(a, W, b, W + t))
            elif side == "west":
                rects.append(Rect(-t, a, 0.0, b))
            else:
                rects.append(Rect(L, a, L + t, b))
    return rects, docks


def build_static_world(layout: Layout, rng: np.random.Generator) -> StaticWorld:
    """Expand rack blocks into rows, uprights, shelves and pallets; walls around dock openings.

    `rng` (the layout's own generator) decides which rack slots hold pallets.
    """
    boxes: list[Box] = []
    pallets: list[Pallet] = []
    rows: list[Rect] = []
    instance = 1  # 0 is reserved for "nothing"

    def add(center, size, cls) -> Box:
        nonlocal instance
        b = Box(tuple(map(float, center)), tuple(map(float, size)), CLASS_IDS[cls], instance)
        instance += 1
        boxes.append(b)
        return b

    tag_counter: dict[str, int] = {}
    for block in layout.racks:
        ox, oy = block.origin
        length = block.bays * block.bay_length_m
        top = block.levels * block.level_height_m
        for r in range(block.rows):
            y0 = oy + r * block.row_spacing_m
            y1 = y0 + block.depth_m
            rows.append(Rect(ox, y0, ox + length, y1))
            # Uprights at every bay boundary, front and back.
            for b in range(block.bays + 1):
                x = min(max(ox + b * block.bay_length_m, ox + UPRIGHT_M / 2), ox + length - UPRIGHT_M / 2)
                for y in (y0 + UPRIGHT_M / 2, y1 - UPRIGHT_M / 2):
                    add((x, y, top / 2), (UPRIGHT_M, UPRIGHT_M, top), "rack")
            # One deck per level over the whole row (first level on the floor holds pallets directly).
            for lv in range(1, block.levels):
                z = lv * block.level_height_m
                add((ox + length / 2, (y0 + y1) / 2, z - BEAM_M / 2), (length, block.depth_m, BEAM_M), "rack")
            # Pallet loads in a random subset of slots.
            fill = rng.random((block.bays, block.levels)) < block.pallet_fill
            pl = min(PALLET_M[0], block.bay_length_m - 2 * UPRIGHT_M)
            pd = min(PALLET_M[1], block.depth_m)
            for b, lv in zip(*np.nonzero(fill), strict=True):
                ph = min(PALLET_M[2], block.level_height_m - 2 * BEAM_M)
                cx = ox + (b + 0.5) * block.bay_length_m
                cz = lv * block.level_height_m + ph / 2
                box = add((cx, (y0 + y1) / 2, cz), (pl, pd, ph), "pallet")
                tag = None
                if block.pallet_tag_prefix:
                    n = tag_counter.get(block.pallet_tag_prefix, 0) + 1
                    tag_counter[block.pallet_tag_prefix] = n
                    tag = f"{block.pallet_tag_prefix}-{n:04d}"
                pallets.append(Pallet(box, tag))

    perimeter, docks = _perimeter(layout)
    walls = perimeter + _interior_wall_rects(layout)
    for w in perimeter:
        add(
            ((w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2, layout.height_m / 2),
            (w.x1 - w.x0, w.y1 - w.y0, layout.height_m),
            "wall",
        )
    for w, spec in zip(_interior_wall_rects(layout), layout.walls, strict=True):
        add(
            ((w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2, spec.height_m / 2),
            (w.x1 - w.x0, w.y1 - w.y0, spec.height_m),
            "wall",
        )
    return StaticWorld(
        size=tuple(map(float, layout.size_m)),
        height=float(layout.height_m),
        rack_rows=tuple(rows),
        wall_rects=tuple(walls),
        boxes=tuple(boxes),
        pallets=tuple(pallets),
        docks=tuple(docks),
    )

"""Whether an actor's body, an oriented box on the floor, keeps clear of the racks and walls near it."""

from __future__ import annotations

import math

BODY_GAP_M = 0.05  # the body guard keeps every actor's box at least this far from racks and walls


def footprint_clear(rects, length: float, width: float, x: float, y: float, yaw: float) -> bool:
    """The body (length × width, centred at x, y, heading yaw) stays `BODY_GAP_M` clear of every
    axis-aligned rectangle in `rects` (exact separating-axis tests: the world axes, then the body's)."""
    c, s = math.cos(yaw), math.sin(yaw)
    hl, hw = length / 2 + BODY_GAP_M, width / 2 + BODY_GAP_M
    ex, ey = abs(c) * hl + abs(s) * hw, abs(s) * hl + abs(c) * hw  # half extents of the body's AABB
    for r in rects:
        if x + ex <= r.x0 or x - ex >= r.x1 or y + ey <= r.y0 or y - ey >= r.y1:
            continue
        rx, ry = (r.x0 + r.x1) / 2 - x, (r.y0 + r.y1) / 2 - y
        rhx, rhy = (r.x1 - r.x0) / 2, (r.y1 - r.y0) / 2
        if abs(rx * c + ry * s) >= hl + abs(c) * rhx + abs(s) * rhy:
            continue
        if abs(-rx * s + ry * c) >= hw + abs(s) * rhx + abs(c) * rhy:
            continue
        return False
    return True

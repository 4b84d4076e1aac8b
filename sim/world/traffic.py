"""Traffic rules between actors: a speed cap per actor from the others around it.

An actor slows and stops `MIN_GAP_M` behind whoever is ahead in its lane; of two head-on, the lower
priority (then the later listed) stops; a lower-priority actor (workers, then AGVs) does not step into a
moving higher-priority one's lane. Only pairs closer than `INTERACTION_M` are examined (a numpy prefilter
for large crowds); the rules per pair are scalar arithmetic, which for the usual handful of nearby pairs
beats array set-up.
"""

from __future__ import annotations

import math

import numpy as np

# Pairs farther apart than this cannot constrain each other: the longest look-ahead is a forklift's braking
# distance at 2.5 m/s (≈ 2.1 m) + gap and margin (2.6 m) + two half lengths (2.5 m), or the give-way reach
# (≈ 2.4 m + 6.1 m); 9 m covers both.
INTERACTION_M = 9.0
MIN_GAP_M = 0.6  # bumper-to-bumper gap kept to the actor ahead
GIVE_WAY_HORIZON_S = 1.5  # a lower-priority actor looks this far ahead before entering another's lane
GIVE_WAY_SAMPLES = (
    0.34,
    0.67,
    1.0,
)  # ... at these fractions of that look-ahead, so it cannot step over a lane


class _Scene:
    """The live actors' positions, directions of travel (backwards while reversing) and speeds, and the
    caps found so far with who set them."""

    def __init__(self, actors, live: list[int], ignore: set[tuple[int, int]]):
        self.A, self.live, self.ignore = actors, live, ignore
        self.xs = [a.x for a in actors]
        self.ys = [a.y for a in actors]
        self.hx = [-math.cos(a.yaw) if a.reversing else math.cos(a.yaw) for a in actors]
        self.hy = [-math.sin(a.yaw) if a.reversing else math.sin(a.yaw) for a in actors]
        self.sp = [abs(a.v) for a in actors]
        self.caps = [math.inf] * len(actors)
        self.who = [-1] * len(actors)

    def limit(self, i: int, j: int, value: float) -> None:
        if value < self.caps[i]:
            self.caps[i], self.who[i] = value, j

    def ignored(self, i: int, j: int) -> bool:
        return bool(self.ignore) and (self.live[i], self.live[j]) in self.ignore

    def pairs(self) -> list[tuple[int, int]]:
        n, xs, ys = len(self.A), self.xs, self.ys
        if n <= 48:
            # Squared distance after a cheap test on x (a pair at exactly INTERACTION_M cannot interact,
            # so how the boundary rounds does not matter).
            out, r, r2 = [], INTERACTION_M, INTERACTION_M * INTERACTION_M
            for i in range(n):
                xi, yi = xs[i], ys[i]
                for j in range(i + 1, n):
                    dx = xs[j] - xi
                    if -r < dx < r:
                        dy = ys[j] - yi
                        if dx * dx + dy * dy < r2:
                            out.append((i, j))
            return out
        p = np.array([xs, ys]).T
        d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)
        return list(zip(*np.nonzero(np.triu(d2 < INTERACTION_M * INTERACTION_M, 1)), strict=True))


def speed_caps(actors, live: list[int], ignore: set[tuple[int, int]]) -> tuple[list[float], list[int]]:
    """(cap, index into the world's actors of who set it, or −1) for each of `actors` (the live ones,
    `live` their indices); pairs in `ignore` (i, j) do not constrain i."""
    sc = _Scene(actors, live, ignore)
    if len(actors) >= 2:
        for i, j in sc.pairs():
            _pair(sc, i, j)
    return sc.caps, sc.who


def _pair(sc: _Scene, i: int, j: int) -> None:
    A, live, hx, hy, sp = sc.A, sc.live, sc.hx, sc.hy, sc.sp
    sa, sb = A[i].spec, A[j].spec
    dx, dy = sc.xs[j] - sc.xs[i], sc.ys[j] - sc.ys[i]
    lane = (sa.width + sb.width) / 2 + 0.2
    half_len = (sa.length + sb.length) / 2
    # Each one ahead of the other: in its lane (lateral offset < lane), in front, within braking reach.
    f_ij = dx * hx[i] + dy * hy[i]
    gap_ij = f_ij - half_len
    ahead_ij = (
        f_ij > 0
        and abs(dx * hy[i] - dy * hx[i]) < lane
        and gap_ij < sp[i] ** 2 / (2 * sa.decel) + MIN_GAP_M + 2.0
    )
    f_ji = -dx * hx[j] - dy * hy[j]
    gap_ji = f_ji - half_len
    ahead_ji = (
        f_ji > 0
        and abs(-dx * hy[j] + dy * hx[j]) < lane
        and gap_ji < sp[j] ** 2 / (2 * sb.decel) + MIN_GAP_M + 2.0
    )
    if sc.ignore:
        ahead_ij = ahead_ij and not sc.ignored(i, j)
        ahead_ji = ahead_ji and not sc.ignored(j, i)
    # Following: brake to keep MIN_GAP_M behind whoever is ahead in the lane.
    if ahead_ij:
        sc.limit(i, live[j], math.sqrt(2 * sa.decel * max(gap_ij - MIN_GAP_M, 0.0)))
    if ahead_ji:
        sc.limit(j, live[i], math.sqrt(2 * sb.decel * max(gap_ji - MIN_GAP_M, 0.0)))
    # Head-on (each ahead of the other): the lower priority (then later listed) one stops.
    if ahead_ij and ahead_ji:
        if (sa.priority, -live[i]) < (sb.priority, -live[j]):
            sc.limit(i, live[j], 0.0)
        else:
            sc.limit(j, live[i], 0.0)
        return
    if sa.priority != sb.priority:
        lo, hi, lo_in_lane = (i, j, ahead_ji) if sa.priority < sb.priority else (j, i, ahead_ij)
        if not lo_in_lane and sp[hi] > 0.3 and not sc.ignored(lo, hi):
            _give_way(sc, lo, hi, lane, math.hypot(dx, dy))


def _give_way(sc: _Scene, lo: int, hi: int, lane: float, apart: float) -> None:
    """A lower-priority actor does not step into the lane of a moving higher-priority one (unless it is
    already in that lane, when it must clear it rather than stop in it): any point of where `lo` will be
    over the horizon inside `hi`'s lane ahead stops it. `apart`: the distance between the two."""
    xs, ys, hx, hy, sp = sc.xs, sc.ys, sc.hx, sc.hy, sc.sp
    reach = sp[lo] * GIVE_WAY_HORIZON_S + 0.3
    far = sp[hi] ** 2 / (2 * sc.A[hi].spec.decel) + 4.0
    # Every sample lies at least `apart - reach` from `hi`, and a point inside the lane box ahead lies
    # within hypot(far, lane) of it: beyond that (with a margin for rounding) none can stop `lo`.
    if apart - reach > math.hypot(far, lane) + 1e-6:
        return
    for frac in GIVE_WAY_SAMPLES:
        fx = xs[lo] + hx[lo] * reach * frac - xs[hi]
        fy = ys[lo] + hy[lo] * reach * frac - ys[hi]
        f = fx * hx[hi] + fy * hy[hi]
        if 0 < f < far and abs(fx * hy[hi] - fy * hx[hi]) < lane:
            sc.limit(lo, sc.live[hi], 0.0)
            return

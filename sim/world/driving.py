"""Pure pursuit of one actor along its path (Coulter 1992, CMU-RI-TR-92-01), with the kind's limits on
speed, acceleration, braking, lateral acceleration v·ω and yaw rate. Scalar `math` on plain floats: this
runs once per actor per tick, where numpy's call overhead would dominate."""

from __future__ import annotations

import math
from itertools import pairwise

TURN_IN_PLACE_RAD = math.radians(60)  # heading error beyond which an actor stops and turns on the spot
TURN_DONE_RAD = math.radians(8)  # ... and turns until the error is below this
ARRIVE_M = 0.1  # arrival tolerance at a goal
HALF_PI = math.pi / 2
REVERSE_FRACTION = 0.5  # reversing speed as a fraction of the cruise speed
PURSUE, TURN, REVERSE = 0, 1, 2  # driving modes


def wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def path_legs(path: list[tuple[float, float]]) -> list[tuple[float, float, float, float, float]]:
    """(x0, y0, dx, dy, length²) of each leg of a polyline, computed once per path for `project`."""
    return [
        (x0, y0, x1 - x0, y1 - y0, (x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0))
        for (x0, y0), (x1, y1) in pairwise(path)
    ]


def project(a) -> tuple[int, float]:
    """(segment, arc length) of the actor's nearest point on its path, searched near its current segment."""
    legs, ax, ay = a.legs, a.x, a.y
    last = len(legs)
    if last < 1:  # a path of one point (already at the goal): nothing to follow
        return 0, 0.0
    seg = a.seg if a.seg < last else last - 1
    best, best_d2, best_u = seg, math.inf, 0.0
    for k in range(seg, seg + 3 if seg + 3 < last else last):
        x0, y0, dx, dy, ll = legs[k]
        u = ((ax - x0) * dx + (ay - y0) * dy) / ll if ll > 0 else 0.0
        u = 0.0 if u < 0.0 else (1.0 if u > 1.0 else u)
        ex, ey = x0 + u * dx - ax, y0 + u * dy - ay
        d2 = ex * ex + ey * ey
        if d2 < best_d2 - 1e-12:
            best, best_d2, best_u = k, d2, u
    cum = a.cum
    return best, cum[best] + best_u * (cum[best + 1] - cum[best])


def lookahead_point(a, best: int, s_here: float) -> tuple[float, float]:
    """The point one look-ahead distance further along the path (its end when nearer)."""
    path, cum = a.path, a.cum
    last = len(path) - 1
    target_s = s_here + a.lookahead
    if target_s >= cum[-1]:
        return path[-1]
    k = best
    while k < last - 1 and cum[k + 1] < target_s:
        k += 1
    seg_len = cum[k + 1] - cum[k]
    u = (target_s - cum[k]) / seg_len if seg_len > 0 else 0.0
    (x0, y0), (x1, y1) = path[k], path[k + 1]
    return x0 + u * (x1 - x0), y0 + u * (y1 - y0)


def speed_target(a, mode: int, cap: float, best: int, s_here: float, to_end: float, speed: float, kappa):
    """Speed magnitude to aim for: cruise, the traffic cap, braking to the end and into corners, curvature."""
    s = a.spec
    v_t = a.cruise if mode == PURSUE else REVERSE_FRACTION * a.cruise
    if cap < v_t:
        v_t = cap
    two_dec = 2.0 * s.decel
    v_end = math.sqrt(two_dec * (to_end - 0.02)) if to_end > 0.02 else 0.0
    if v_end < v_t:
        v_t = v_end
    look, cum, vc2 = a.lookahead, a.cum, a.corner_v2
    horizon = s_here + 2.0 * look + speed * speed / two_dec + 1.0
    for j in range(best + 1, len(a.path) - 1):
        if cum[j] > horizon:
            break
        d_brake = cum[j] - s_here - look
        v_j = math.sqrt(vc2[j] + two_dec * d_brake) if d_brake > 0.0 else math.sqrt(vc2[j])
        if v_j < v_t:
            v_t = v_j
    abs_kappa = kappa if kappa >= 0.0 else -kappa
    if abs_kappa > 1e-6:
        v_k = math.sqrt(s.lat_accel / abs_kappa)
        if v_k < v_t:
            v_t = v_k
    return v_t


def integrate(a, dt: float, mode: int, target: float, alpha: float, kappa: float, speed: float):
    """One step towards the signed speed `target`: (x, y, yaw, v, ω) after `dt`, midpoint heading."""
    s, v = a.spec, a.v
    # Signed speed change: speeding up at `accel`, slowing down (or reversing through 0) at `decel`.
    rate = (s.accel if target * v >= 0.0 and (target if target >= 0 else -target) > speed else s.decel) * dt
    dv = target - v
    v_new = v + (rate if dv > rate else (-rate if dv < -rate else dv))
    sp_new = v_new if v_new >= 0.0 else -v_new
    w_max = s.yaw_rate
    if sp_new > 1e-9 and s.lat_accel / sp_new < w_max:
        w_max = s.lat_accel / sp_new
    if mode == TURN:
        abs_alpha = alpha if alpha >= 0.0 else -alpha
        omega = abs_alpha / dt if abs_alpha / dt < w_max else w_max
        omega = omega if alpha >= 0.0 else -omega
    else:
        omega = sp_new * kappa
        omega = w_max if omega > w_max else (-w_max if omega < -w_max else omega)
    yaw_mid = a.yaw + 0.5 * omega * dt
    nx = a.x + v_new * math.cos(yaw_mid) * dt
    ny = a.y + v_new * math.sin(yaw_mid) * dt
    return nx, ny, wrap(a.yaw + omega * dt), v_new, omega

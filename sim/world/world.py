"""The warehouse world: static layout plus actors that drive the aisle roadmap (Gymnasium-style reset/step).

Each actor is a unicycle (position, yaw, speed) steered by pure pursuit (Coulter 1992, CMU-RI-TR-92-01)
along a planned polyline. Speed obeys the kind's limits: forward acceleration and braking, lateral
acceleration v·ω, yaw rate; it slows for corners, the end of a leg, and traffic. Traffic rules: an actor
slows and stops behind another in its lane; a lower-priority actor (workers, then AGVs) gives way before
stepping into a higher-priority one's lane; an actor blocked for `PATIENCE_S` replans around the blocker.
Gridlock (two forklifts nose to nose in a 2.4 m aisle, a goal occupied by a parked truck) has no
kinematic way out in this model, so after `PASS_AFTER_S` of being blocked — by the same actor, or
without a break by several in turn (a jam of many, where who holds whom changes from tick to tick) — an
actor stops treating its current blocker as an obstacle until they are apart again: the bodies may
briefly overlap. Those events are counted (`World.overlap_events`) rather than hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.models import PatrolMotion, Scenario, StationaryMotion, WaypointsMotion
from sim.world.actor_spec import ActorSpec, actor_specs
from sim.world.behaviour import Behaviour, Goal, PatrolBehaviour, StationaryBehaviour, WaypointsBehaviour
from sim.world.driving import (
    ARRIVE_M,
    HALF_PI,
    PURSUE,
    REVERSE,
    TURN,
    TURN_DONE_RAD,
    TURN_IN_PLACE_RAD,
    integrate,
    lookahead_point,
    path_legs,
    project,
    speed_target,
    wrap,
)
from sim.world.footprint import BODY_GAP_M, footprint_clear
from sim.world.layout import StaticWorld, build_static_world
from sim.world.navigation import NavMap, build_navmap
from sim.world.traffic import speed_caps
from sim.world.truth import TruthFrame

PATIENCE_S = 3.0  # blocked this long → replan around the blocker
CREEP_MPS = 0.3  # speed of an actor that must turn but has no room to turn on the spot, or backs off
CLOSE_ENOUGH_M = 1.0  # held by a rack this near its goal: it has arrived
AVOID_MARGIN_M = 0.4  # a detour passes the blocker at least this far beyond both bodies
PASS_AFTER_S = 10.0  # blocked this long (by one actor, or by any without a break) → pass (gridlock escape)
PASS_CLEAR_M = 4.0  # an ignored actor counts again once the centres are this far apart
TURN_ROOM_M = 0.05  # turning on the spot needs the circumscribed radius plus this much clearance
LOOKAHEAD_M = {"forklift": 1.2, "agv": 0.8, "worker": 0.6}  # pure-pursuit look-ahead per kind


@dataclass(slots=True)
class ActorState:
    """Mutable state of one actor; owned by the world."""

    spec: ActorSpec
    behaviour: Behaviour
    spawn_s: float
    leave_s: float | None
    cruise: float
    lookahead: float
    tags: tuple[str, ...] = ()
    active: bool = False
    gone: bool = False
    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0
    v: float = 0.0
    omega: float = 0.0
    goal: Goal | None = None
    path: list[tuple[float, float]] | None = None
    cum: list[float] = field(default_factory=list)  # arc length at each path vertex
    legs: list[tuple[float, float, float, float, float]] = field(default_factory=list)  # x0, y0, dx, dy, len²
    corner_v2: list[float] = field(default_factory=list)  # squared speed allowed through each vertex
    seg: int = 0
    turning: bool = False  # turning on the spot until the heading error is small
    reversing: bool = False  # driving (or about to drive) backwards: traffic looks behind
    reach: float = 0.0  # centre clearance below which the body is checked against racks and walls
    guard_stops: int = 0  # times the body guard overrode pure pursuit
    held_since: float = -1.0  # since when the guard has held it where it stands (-1: not held)
    dwell_until: float = -1.0
    finished: bool = False  # no more goals
    blocked_by: int = -1
    blocked_since: float = 0.0  # since when the current blocker has held it
    free_at: float = 0.0  # the last tick it was not blocked by anyone
    last_replan: float = -math.inf
    replans: int = 0


class World:
    """Static warehouse plus moving actors; `reset(seed)` then `step()` once per tick of `dt_s`."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.dt = scenario.dt_s
        self.specs = actor_specs(scenario.actors)
        self.static: StaticWorld | None = None
        self._nav: NavMap | None = None
        self.actors: list[ActorState] = []
        self.tick = 0
        self.overlap_events = 0
        self._static_key: tuple | None = None
        self._static_cols: tuple = ()
        self._ignore: set[tuple[int, int]] = set()  # (i, j): i no longer yields to j until apart

    @property
    def nav(self) -> NavMap:
        if self._nav is None:
            assert self.static is not None, "call reset() first"
            self._nav = build_navmap(self.static)
        return self._nav

    # -------------------------------------------------------------------------------------- lifecycle
    def reset(self, seed: np.random.SeedSequence | int | None = None) -> TruthFrame:
        """Rebuild the world from `seed` (default: the scenario's) and return the truth at tick 0."""
        ss = (
            seed
            if isinstance(seed, np.random.SeedSequence)
            else np.random.SeedSequence(self.scenario.seed if seed is None else seed)
        )
        layout_ss, *actor_ss = ss.spawn(1 + len(self.specs))
        self.static = build_static_world(self.scenario.layout, np.random.default_rng(layout_ss))
        nav = self.nav  # footprints do not depend on the seed: the roadmap is kept across resets
        self.actors = []
        for actor, spec, a_ss in zip(self.scenario.actors, self.specs, actor_ss, strict=True):
            rng = np.random.default_rng(a_ss)
            m = actor.motion
            if isinstance(m, WaypointsMotion):
                beh: Behaviour = WaypointsBehaviour(m)
            elif isinstance(m, PatrolMotion):
                beh = PatrolBehaviour(m, nav, spec.radius, rng)
            else:
                assert isinstance(m, StationaryMotion)
                beh = StationaryBehaviour(m)
            speed = getattr(m, "speed_mps", None) or spec.max_speed
            state = ActorState(
                spec,
                beh,
                actor.spawn_s,
                actor.leave_s,
                min(speed, spec.max_speed),
                LOOKAHEAD_M[spec.kind],
                tuple(actor.tags),
            )
            state.reach = math.hypot(spec.length, spec.width) / 2 + BODY_GAP_M
            self.actors.append(state)
        self.tick = 0
        self.overlap_events = 0
        self._ignore = set()
        self._lifecycle(0.0)
        return self.truth()

    def step(self) -> TruthFrame:
        """Advance one tick and return the truth at the new time."""
        self.tick += 1
        t = self.tick * self.dt
        self._lifecycle(t)
        live = [i for i, a in enumerate(self.actors) if a.active]
        act = [self.actors[i] for i in live]  # the set cannot change until the next tick's lifecycle
        if live:
            caps = self._traffic(live, act, t)
            for a, cap in zip(act, caps, strict=True):
                self._drive(a, t, cap)
        return self.truth(act)

    def truth(self, act: list[ActorState] | None = None) -> TruthFrame:
        """Ground truth of the actors present now (static columns cached while the set is unchanged);
        `act`: those actors, when the caller has them."""
        act = [a for a in self.actors if a.active] if act is None else act
        n = len(act)
        key = tuple(map(id, act))
        if key != self._static_key:
            specs = [a.spec for a in act]
            self._static_key = key
            self._static_cols = (
                tuple(s.id for s in specs),
                np.array([s.class_id for s in specs], dtype=np.int64),
                np.array([(s.length, s.width, s.height) for s in specs], dtype=float).reshape(n, 3),
                np.array([s.temperature_c for s in specs], dtype=float),
                tuple(a.tags for a in act),
            )
            for arr in self._static_cols[1:4]:
                arr.setflags(write=False)
        ids, class_ids, size, temperature, tags = self._static_cols
        cos, sin = math.cos, math.sin
        flat: list[float] = []  # one flat list, then one array: cheaper than a list of row tuples
        for a in act:
            v, yaw = a.v, a.yaw
            flat += (a.x, a.y, a.spec.height / 2, yaw, v * cos(yaw) + 0.0, v * sin(yaw) + 0.0)
        dyn = np.array(flat, dtype=float).reshape(n, 6)
        dyn.setflags(write=False)
        return TruthFrame(
            self.tick,
            self.tick * self.dt,
            ids,
            class_ids,
            dyn[:, :3],
            dyn[:, 3],
            dyn[:, 4:],
            size,
            temperature,
            tags,
        )

    # --------------------------------------------------------------------------------------- internals
    def _lifecycle(self, t: float) -> None:
        for a in self.actors:
            if a.gone:
                continue
            if a.active and a.leave_s is not None and t >= a.leave_s - 1e-9:
                a.active, a.gone = False, True
            elif not a.active and t >= a.spawn_s - 1e-9 and (a.leave_s is None or t < a.leave_s):
                x, y, yaw = a.behaviour.start()
                a.x, a.y, a.active = x, y, True
                self._new_goal(a, t)
                if yaw is None:
                    yaw = (
                        math.atan2(a.path[1][1] - y, a.path[1][0] - x) if a.path and len(a.path) > 1 else 0.0
                    )
                a.yaw = yaw

    def _set_path(self, a: ActorState, path: np.ndarray) -> None:
        a.path = [(float(p[0]), float(p[1])) for p in path]
        a.legs = path_legs(a.path)
        d = np.linalg.norm(np.diff(path, axis=0), axis=1)
        a.cum = np.r_[0.0, np.cumsum(d)].tolist()
        heading = np.arctan2(np.diff(path[:, 1]), np.diff(path[:, 0]))
        turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
        # Squared corner speed at each vertex: pure pursuit rounds a corner of angle θ on an arc of radius
        # ≈ L / (2 sin(θ/2)) (L the look-ahead); lateral acceleration v²/R must stay within the limit.
        radius = a.lookahead / (2 * np.sin(np.maximum(turn, 1e-6) / 2))
        a.corner_v2 = np.r_[np.inf, a.spec.lat_accel * radius, np.inf].tolist()
        a.seg = 0

    def _new_goal(self, a: ActorState, t: float, avoid=None) -> None:
        """Take goals from the behaviour until one has a path (a few tries), else stay put."""
        for _ in range(5):
            goal = a.behaviour.next_goal()
            if goal is None:
                break
            path = self.nav.plan((a.x, a.y), goal.position, a.spec.radius, a.spec.turn_radius, avoid)
            if path is not None:
                a.goal = goal
                self._set_path(a, path)
                return
        a.goal, a.path, a.finished = None, None, True

    def _replan(self, a: ActorState, t: float, blocker: ActorState) -> None:
        # Keep the detour out of the blocker's lane: its circumscribed radius plus a lane margin.
        r = math.hypot(blocker.spec.length, blocker.spec.width) / 2 + AVOID_MARGIN_M
        avoid = [(blocker.x, blocker.y, r)]
        a.replans += 1
        a.last_replan = t
        if a.goal is not None:
            path = self.nav.plan((a.x, a.y), a.goal.position, a.spec.radius, a.spec.turn_radius, avoid)
            if path is not None:
                self._set_path(a, path)
                return
        if isinstance(a.behaviour, PatrolBehaviour):
            self._new_goal(a, t, avoid)
            a.finished = False if a.path else a.finished

    def _traffic(self, live: list[int], A: list[ActorState], t: float) -> list[float]:
        """Speed cap per live actor (indices `live`, states `A`) from the actors around it
        (`sim.world.traffic`), and what an actor blocked for long does about it (replan around a
        stopped blocker, or pass through in gridlock)."""
        if self._ignore:  # forget ignored blockers once apart
            self._ignore = {
                (i, j)
                for i, j in self._ignore
                if self.actors[i].active
                and self.actors[j].active
                and math.hypot(self.actors[i].x - self.actors[j].x, self.actors[i].y - self.actors[j].y)
                < PASS_CLEAR_M
            }
        caps, who = speed_caps(A, live, self._ignore)
        for k, a in enumerate(A):
            if caps[k] < 0.05:
                self._blocked(a, live[k], self.actors[who[k]], who[k], t)
            else:
                a.blocked_by, a.free_at = -1, t
        return caps

    def _blocked(self, a: ActorState, i: int, b: ActorState, j: int, t: float) -> None:
        """Actor `a` (index i) is held by `b` (index j) this tick."""
        # Regression: in a jam of seven the blocker changed every second or so, which restarted the
        # same-blocker clock for ever: an hour-long run froze at 40 min. The unbroken clock passes too.
        if a.blocked_by < 0:  # free until now (or just spawned, or just passed): the clock starts
            a.free_at = t
        jammed = t - a.free_at >= PASS_AFTER_S
        if a.blocked_by != j and not jammed:
            a.blocked_by, a.blocked_since = j, t
        elif t - a.blocked_since >= PASS_AFTER_S or jammed:
            self._ignore.add((i, j))
            self.overlap_events += 1
            a.blocked_by, a.free_at = -1, t
        elif t - max(a.blocked_since, a.last_replan) >= PATIENCE_S and abs(b.v) < 0.05 and a.path is not None:
            # In a mutual block only the one that gives way replans; the other waits for it.
            mutual = b.blocked_by == i
            if not mutual or (a.spec.priority, -i) < (b.spec.priority, -j):
                self._replan(a, t, b)

    def _drive(self, a: ActorState, t: float, cap: float) -> None:
        """One tick of pure pursuit (`sim.world.driving`), then the body guard."""
        dt, s = self.dt, a.spec
        if a.path is None:
            if not a.finished and t >= a.dwell_until:
                self._new_goal(a, t)
            if a.path is None:
                a.v = a.omega = 0.0
                return
        best, s_here = project(a)
        a.seg = best
        tx, ty = lookahead_point(a, best, s_here)
        ax, ay, v, end = a.x, a.y, a.v, a.path[-1]
        dx, dy = tx - ax, ty - ay
        dist = math.hypot(dx, dy)
        rem = a.cum[-1] - s_here  # along the path: ≥ the straight distance to the end
        to_end = rem if rem > 2.0 else math.hypot(end[0] - ax, end[1] - ay)
        speed = v if v >= 0.0 else -v
        if to_end <= ARRIVE_M and speed <= s.decel * dt + 1e-9:
            a.v = a.omega = 0.0
            a.turning = a.reversing = False
            a.dwell_until = t + (a.goal.dwell_s if a.goal else 0.0)
            a.path = a.goal = None
            return
        alpha = wrap(math.atan2(dy, dx) - a.yaw) if dist > 1e-6 else 0.0
        abs_alpha = alpha if alpha >= 0.0 else -alpha
        if a.turning or abs_alpha > TURN_IN_PLACE_RAD:
            # Turn on the spot where the body has room to sweep; in a narrow aisle back out instead.
            room = self._nav.clearance_scalar(ax, ay) >= s.turn_radius - s.margin + TURN_ROOM_M
            a.turning = room and abs_alpha > TURN_DONE_RAD
        mode = TURN if a.turning else (REVERSE if abs_alpha > HALF_PI else PURSUE)
        a.reversing = mode == REVERSE or v < 0.0
        heading_err = wrap(alpha - math.pi) if mode == REVERSE else alpha
        kappa = 2.0 * math.sin(heading_err) / (dist if dist > 0.05 else 0.05) if to_end > ARRIVE_M else 0.0
        v_t = speed_target(a, mode, cap, best, s_here, to_end, speed, kappa)
        if mode == TURN:
            v_t = 0.0
        elif mode == PURSUE and abs_alpha > TURN_IN_PLACE_RAD:
            # Too far off heading, and no room to turn on the spot: creep along the arc (the body guard
            # still stops it short of a rack). Regression: holding still here froze forklifts by a
            # wall for minutes of an hour-long run, nothing else able to move them.
            v_t = min(v_t, CREEP_MPS)
        nx, ny, nyaw, v_new, omega = integrate(
            a, dt, mode, -v_t if mode == REVERSE else v_t, alpha, kappa, speed
        )
        if self._nav.clearance_scalar(nx, ny) < a.reach:
            nx, ny, nyaw, v_new, omega = self._guard(a, t, (nx, ny, nyaw, v_new, omega), speed)
        a.x, a.y, a.yaw = nx, ny, nyaw
        a.v, a.omega = v_new, omega

    def _guard(self, a: ActorState, t: float, move, speed: float):
        """Body guard: pure pursuit steers the centre; near racks and walls the whole footprint is checked,
        falling back to turning on the spot, then to driving straight on, then to stopping (and, stuck
        long enough, replanning)."""
        nx, ny, nyaw, v_new, omega = move
        if self._footprint_clear(a, nx, ny, nyaw):
            a.held_since = -1.0
            return move
        ax, ay, s, dt = a.x, a.y, a.spec, self.dt
        a.guard_stops += 1
        if self._footprint_clear(a, ax, ay, nyaw) and speed < s.decel * dt + 1e-9:
            return ax, ay, nyaw, 0.0, omega
        straight = v_new * dt
        sx, sy = ax + straight * math.cos(a.yaw), ay + straight * math.sin(a.yaw)
        if self._footprint_clear(a, sx, sy, a.yaw):
            return sx, sy, a.yaw, v_new, 0.0
        # Held where it stands. Regression: forklifts sent to a goal beside a rack end, or needing to turn
        # into an aisle with no room, were held here for the rest of an hour-long run.
        end = a.path[-1] if a.path else None
        if end is not None and math.hypot(end[0] - ax, end[1] - ay) <= CLOSE_ENOUGH_M:
            a.dwell_until = t + (a.goal.dwell_s if a.goal else 0.0)  # as near as its body gets: arrived
            a.path = a.goal = None
            a.turning = a.reversing = False
            return ax, ay, a.yaw, 0.0, 0.0
        if a.held_since < 0:
            a.held_since = t
        if t - a.held_since >= PATIENCE_S:  # back straight off, a three-point turn's first leg
            bx, by = ax - CREEP_MPS * dt * math.cos(a.yaw), ay - CREEP_MPS * dt * math.sin(a.yaw)
            if self._footprint_clear(a, bx, by, a.yaw):
                return bx, by, a.yaw, -CREEP_MPS, 0.0
        if t - a.last_replan >= PATIENCE_S and a.goal is not None:
            a.last_replan = t
            path = self.nav.plan((ax, ay), a.goal.position, s.radius, s.turn_radius)
            if path is not None:
                self._set_path(a, path)
        return ax, ay, a.yaw, 0.0, 0.0

    def _footprint_clear(self, a: ActorState, x: float, y: float, yaw: float) -> bool:
        return footprint_clear(self._nav.rects_near(x, y), a.spec.length, a.spec.width, x, y, yaw)

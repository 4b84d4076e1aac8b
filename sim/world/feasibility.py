"""Physics checks on a validated scenario (SPEC §4): things inside the building, waypoints clear of racks,
reachable paths, sensor rates below 1/dt, consistent ids. Returns (field path, message) pairs."""

from __future__ import annotations

import numpy as np

from sim.scenario.models import (
    RATED_SENSORS,
    BeamSensor,
    PatrolMotion,
    Scenario,
    StationaryMotion,
    WaypointsMotion,
)
from sim.scenario.suggest import did_you_mean
from sim.world.actor_spec import ActorSpec, actor_specs
from sim.world.layout import Rect, build_static_world
from sim.world.navigation import NavMap, build_navmap

Issue = tuple[tuple[str | int, ...], str]
MAX_SPEED_CAP_MPS = 6.0  # no indoor vehicle we simulate goes faster; beyond this is a typo


def _fmt(p) -> str:
    return "[" + ", ".join(f"{v:g}" for v in p) + "]"


def _where_blocked(nav: NavMap, racks: tuple[Rect, ...], p, spec: ActorSpec) -> str | None:
    """Why an actor of this spec cannot stand at p, or None if it can."""
    x, y = p
    for r in racks:
        if r.contains(x, y):
            return f"{_fmt(p)} is inside a rack row ({r.x0:g}..{r.x1:g} × {r.y0:g}..{r.y1:g} m)"
    clear = float(nav.clearance_at(np.array([p], float))[0])
    if clear < spec.radius:
        return (
            f"{_fmt(p)} is {clear:.2f} m from the nearest rack or wall; a {spec.kind} needs "
            f"{spec.radius:.2f} m (half its width plus margin)"
        )
    return None


def check_physics(sc: Scenario) -> list[Issue]:
    issues: list[Issue] = []
    L, W = sc.layout.size_m
    H = sc.layout.height_m
    world = build_static_world(sc.layout, np.random.default_rng(0))

    def inside2(p) -> bool:
        return 0 <= p[0] <= L and 0 <= p[1] <= W

    # ------------------------------------------------------------------------------------------ layout
    for i, block in enumerate(sc.layout.racks):
        ox, oy = block.origin
        x1 = ox + block.bays * block.bay_length_m
        y1 = oy + (block.rows - 1) * block.row_spacing_m + block.depth_m
        if not (0 <= ox and 0 <= oy and x1 <= L and y1 <= W):
            issues.append(
                (
                    (("layout", "racks", i)),
                    f"rack block spans {ox:g}..{x1:g} × {oy:g}..{y1:g} m, "
                    f"outside the building 0..{L:g} × 0..{W:g} m",
                )
            )
        if block.levels * block.level_height_m > H:
            issues.append(
                (
                    (("layout", "racks", i, "levels")),
                    f"racks are {block.levels * block.level_height_m:g} m "
                    f"tall, higher than the building ({H:g} m)",
                )
            )
    rows = world.rack_rows
    owner = [i for i, b in enumerate(sc.layout.racks) for _ in range(b.rows)]
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            ra, rb = rows[a], rows[b]
            if owner[a] != owner[b] and ra.x0 < rb.x1 and rb.x0 < ra.x1 and ra.y0 < rb.y1 and rb.y0 < ra.y1:
                issues.append((("layout", "racks", owner[b]), f"overlaps rack block {owner[a]}"))
    for i, d in enumerate(sc.layout.docks):
        x, y = d.position
        edge = min(abs(x), abs(x - L), abs(y), abs(y - W))
        if not inside2(d.position) or edge > 0.5:
            issues.append(
                (
                    ("layout", "docks", i, "position"),
                    f"{_fmt(d.position)} is not on the perimeter wall (x = 0 or {L:g}, or y = 0 or {W:g})",
                )
            )
    for i, w in enumerate(sc.layout.walls):
        if w.start[0] != w.end[0] and w.start[1] != w.end[1]:
            issues.append(
                (
                    ("layout", "walls", i),
                    "interior walls must be axis-aligned (same x or same y at both ends)",
                )
            )
        for key, p in (("from", w.start), ("to", w.end)):
            if not inside2(p):
                issues.append((("layout", "walls", i, key), f"{_fmt(p)} is outside the building"))
    for i, h in enumerate(sc.layout.heat_sources):
        if not inside2(h.position[:2]):
            issues.append(
                (("layout", "heat_sources", i, "position"), f"{_fmt(h.position)} is outside the building")
            )
    if issues:
        return issues  # the navigation checks below assume a sane layout

    # ------------------------------------------------------------------------------------------ actors
    nav = build_navmap(world)
    seen: dict[str, int] = {}
    tags: dict[str, int] = {}
    specs = actor_specs(sc.actors)
    for i, (actor, spec) in enumerate(zip(sc.actors, specs, strict=True)):
        loc = ("actors", i)
        if actor.id in seen:
            issues.append(((*loc, "id"), f"duplicate actor id '{actor.id}' (also actors[{seen[actor.id]}])"))
        seen.setdefault(actor.id, i)
        for t in actor.tags:
            if t in tags and tags[t] != i:
                issues.append(((*loc, "tags"), f"tag '{t}' is already on actors[{tags[t]}]"))
            tags.setdefault(t, i)
        if spec.max_speed > MAX_SPEED_CAP_MPS:
            issues.append(
                ((*loc, "max_speed_mps"), f"{spec.max_speed:g} m/s; allowed ≤ {MAX_SPEED_CAP_MPS:g}")
            )
        m = actor.motion
        if (
            isinstance(m, (WaypointsMotion, PatrolMotion))
            and m.speed_mps is not None
            and m.speed_mps > spec.max_speed
        ):
            issues.append(
                (
                    (*loc, "motion", "speed_mps"),
                    f"{m.speed_mps:g} m/s is above the {actor.kind}'s "
                    f"max {spec.max_speed:g} m/s (set max_speed_mps to raise it)",
                )
            )
        if actor.spawn_s >= sc.duration_s:
            issues.append(
                ((*loc, "spawn_s"), f"{actor.spawn_s:g} s is not before duration_s ({sc.duration_s:g} s)")
            )
        if isinstance(m, WaypointsMotion):
            bad = False
            for k, p in enumerate(m.points):
                why = (
                    _where_blocked(nav, world.rack_rows, p, spec)
                    if inside2(p)
                    else f"{_fmt(p)} is outside the building"
                )
                if why:
                    issues.append(((*loc, "motion", "points", k), why))
                    bad = True
            if not bad:
                legs = list(zip(m.points[:-1], m.points[1:], strict=True))
                if m.loop and len(m.points) > 1:
                    legs.append((m.points[-1], m.points[0]))
                for k, (a, b) in enumerate(legs):
                    if nav.plan(a, b, spec.radius, spec.turn_radius) is None:
                        issues.append(
                            (
                                (*loc, "motion", "points", (k + 1) % len(m.points)),
                                f"no path for a {actor.kind} from {_fmt(a)} to {_fmt(b)} "
                                f"(aisles narrower than {2 * spec.radius:.2f} m?)",
                            )
                        )
        elif isinstance(m, PatrolMotion):
            region = None
            if m.region is not None:
                (x0, y0), (x1, y1) = m.region
                region = Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
                if nav.free_nodes(spec.radius, region=region).size == 0:
                    issues.append(
                        ((*loc, "motion", "region"), f"no free floor for a {actor.kind} in this region")
                    )
            if m.start is not None:
                why = (
                    _where_blocked(nav, world.rack_rows, m.start, spec)
                    if inside2(m.start)
                    else "outside the building"
                )
                if why:
                    issues.append(((*loc, "motion", "start"), why))
                elif region is not None:
                    comp = nav.component_of(m.start, spec.radius)
                    if nav.free_nodes(spec.radius, component=comp, region=region).size == 0:
                        issues.append(((*loc, "motion", "region"), "not reachable from start"))
            if m.dwell_s[1] < m.dwell_s[0]:
                issues.append(((*loc, "motion", "dwell_s"), "give [min, max] with min ≤ max"))
        elif isinstance(m, StationaryMotion):
            why = (
                _where_blocked(nav, world.rack_rows, m.position, spec)
                if inside2(m.position)
                else "outside the building"
            )
            if why:
                issues.append(((*loc, "motion", "position"), why))

    # ----------------------------------------------------------------------------------------- sensors
    sensor_ids: dict[str, int] = {}
    for i, s in enumerate(sc.sensors):
        loc = ("sensors", i)
        if s.id in sensor_ids:
            issues.append(((*loc, "id"), f"duplicate sensor id '{s.id}' (also sensors[{sensor_ids[s.id]}])"))
        sensor_ids.setdefault(s.id, i)
        points = (
            [("from", s.start), ("to", s.end)] if isinstance(s, BeamSensor) else [("position", s.position)]
        )
        for key, p in points:
            if not (0 <= p[0] <= L and 0 <= p[1] <= W and 0 <= p[2] <= H):
                issues.append(
                    ((*loc, key), f"{_fmt(p)} is outside the building (0..{L:g} × 0..{W:g} × 0..{H:g} m)")
                )
        if isinstance(s, RATED_SENSORS) and s.rate_hz * sc.dt_s > 1 + 1e-9:
            issues.append(
                (
                    (*loc, "rate_hz"),
                    f"{s.rate_hz:g} Hz is faster than the simulation tick "
                    f"(dt_s = {sc.dt_s:g} s allows at most {1 / sc.dt_s:g} Hz)",
                )
            )

    # ------------------------------------------------------------------------------------------ faults
    for i, f in enumerate(sc.faults):
        if f.sensor not in sensor_ids:
            hint = did_you_mean(f.sensor, sensor_ids)
            issues.append(
                (
                    (("faults", i, "sensor")),
                    f"no sensor '{f.sensor}'{hint} (sensors: {', '.join(sensor_ids) or 'none'})",
                )
            )
        if f.start_s >= sc.duration_s:
            issues.append(
                (("faults", i, "start_s"), f"{f.start_s:g} s is not before duration_s ({sc.duration_s:g} s)")
            )

    # ---------------------------------------------------------------------------------------- pipeline
    from sim.strategies import STRATEGIES

    if sc.pipeline.strategy not in STRATEGIES:
        hint = did_you_mean(sc.pipeline.strategy, STRATEGIES)
        issues.append(
            (
                ("pipeline", "strategy"),
                f"unknown strategy '{sc.pipeline.strategy}'{hint} (allowed: {', '.join(STRATEGIES)})",
            )
        )
    return issues

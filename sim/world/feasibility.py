"""Physics checks on a validated scenario (SPEC §4): things inside the building, waypoints clear of racks,
reachable paths, sensor rates below 1/dt, consistent ids. Returns (field path, message) pairs."""

from __future__ import annotations

import numpy as np

from sim.scenario.models import (
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
MIN_CAMERA_HEIGHT_M = 0.5  # below this the floor is seen edge-on: inverse perspective mapping degenerates
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


def check_physics(sc: Scenario, *, shortened: bool = False) -> list[Issue]:
    """Every physics problem of the scenario, by section; actors are checked only on a sane layout.

    A spawn or fault at or after `duration_s` is an error in a file, unless the duration was `shortened`
    from the command line: then the run simply does not reach it (`events_after_end` says which)."""
    world = build_static_world(sc.layout, np.random.default_rng(0))
    issues = _layout(sc, world)
    if issues:
        return issues  # the navigation checks assume a sane layout
    nav = build_navmap(world)
    issues += _actor_ids(sc)
    for i, (actor, spec) in enumerate(zip(sc.actors, actor_specs(sc.actors), strict=True)):
        issues += _actor(sc, world, nav, ("actors", i), actor, spec)
    sensor_issues, sensor_ids = _sensors(sc)
    late = (
        []
        if shortened
        else [
            (loc, f"{what} is not before duration_s ({sc.duration_s:g} s)")
            for loc, what in events_after_end(sc)
        ]
    )
    return issues + late + sensor_issues + _faults(sc, sensor_ids) + _pipeline(sc)


def events_after_end(sc: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """(field path, "N s") of every spawn and fault starting at or after the end of the run."""
    out = [
        (("actors", i, "spawn_s"), f"{a.spawn_s:g} s")
        for i, a in enumerate(sc.actors)
        if a.spawn_s >= sc.duration_s
    ]
    out += [
        (("faults", i, "start_s"), f"{f.start_s:g} s")
        for i, f in enumerate(sc.faults)
        if f.start_s >= sc.duration_s
    ]
    return out


def _inside(sc: Scenario, p) -> bool:
    L, W = sc.layout.size_m
    return 0 <= p[0] <= L and 0 <= p[1] <= W


def _layout(sc: Scenario, world) -> list[Issue]:
    issues = _rack_blocks(sc) + _rack_overlaps(sc, world)
    L, W = sc.layout.size_m
    for i, d in enumerate(sc.layout.docks):
        x, y = d.position
        edge = min(abs(x), abs(x - L), abs(y), abs(y - W))
        if not _inside(sc, d.position) or edge > 0.5:
            why = f"{_fmt(d.position)} is not on the perimeter wall (x = 0 or {L:g}, or y = 0 or {W:g})"
            issues.append((("layout", "docks", i, "position"), why))
    for i, w in enumerate(sc.layout.walls):
        if w.start[0] != w.end[0] and w.start[1] != w.end[1]:
            why = "interior walls must be axis-aligned (same x or same y at both ends)"
            issues.append((("layout", "walls", i), why))
        for key, p in (("from", w.start), ("to", w.end)):
            if not _inside(sc, p):
                issues.append((("layout", "walls", i, key), f"{_fmt(p)} is outside the building"))
    for i, h in enumerate(sc.layout.heat_sources):
        if not _inside(sc, h.position[:2]):
            why = f"{_fmt(h.position)} is outside the building"
            issues.append((("layout", "heat_sources", i, "position"), why))
    return issues


def _rack_blocks(sc: Scenario) -> list[Issue]:
    issues: list[Issue] = []
    L, W = sc.layout.size_m
    H = sc.layout.height_m
    for i, block in enumerate(sc.layout.racks):
        ox, oy = block.origin
        x1 = ox + block.bays * block.bay_length_m
        y1 = oy + (block.rows - 1) * block.row_spacing_m + block.depth_m
        if not (0 <= ox and 0 <= oy and x1 <= L and y1 <= W):
            why = (
                f"rack block spans {ox:g}..{x1:g} × {oy:g}..{y1:g} m, "
                f"outside the building 0..{L:g} × 0..{W:g} m"
            )
            issues.append((("layout", "racks", i), why))
        if block.levels * block.level_height_m > H:
            tall = block.levels * block.level_height_m
            why = f"racks are {tall:g} m tall, higher than the building ({H:g} m)"
            issues.append((("layout", "racks", i, "levels"), why))
    return issues


def _rack_overlaps(sc: Scenario, world) -> list[Issue]:
    rows = world.rack_rows
    owner = [i for i, b in enumerate(sc.layout.racks) for _ in range(b.rows)]
    issues: list[Issue] = []
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            ra, rb = rows[a], rows[b]
            if owner[a] != owner[b] and ra.x0 < rb.x1 and rb.x0 < ra.x1 and ra.y0 < rb.y1 and rb.y0 < ra.y1:
                issues.append((("layout", "racks", owner[b]), f"overlaps rack block {owner[a]}"))
    return issues


def _actor_ids(sc: Scenario) -> list[Issue]:
    """Duplicate actor ids, tags worn by two actors, and actor tags of the form the racks give their
    pallets (`PREFIX-NNNN`): a reader could not tell the two apart."""
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    tags: dict[str, int] = {}
    prefixes = {b.pallet_tag_prefix for b in sc.layout.racks if b.pallet_tag_prefix}
    for i, actor in enumerate(sc.actors):
        if actor.id in seen:
            issues.append(
                (("actors", i, "id"), f"duplicate actor id '{actor.id}' (also actors[{seen[actor.id]}])")
            )
        seen.setdefault(actor.id, i)
        for t in actor.tags:
            if t in tags and tags[t] != i:
                issues.append((("actors", i, "tags"), f"tag '{t}' is already on actors[{tags[t]}]"))
            tags.setdefault(t, i)
            prefix, _, number = t.rpartition("-")
            if prefix in prefixes and number.isdigit():
                issues.append(
                    (
                        ("actors", i, "tags"),
                        f"tag '{t}' has the form of a pallet tag ('{prefix}-NNNN', layout.racks)",
                    )
                )
    return issues


def _actor(sc: Scenario, world, nav: NavMap, loc, actor, spec: ActorSpec) -> list[Issue]:
    issues: list[Issue] = []
    if spec.max_speed > MAX_SPEED_CAP_MPS:
        issues.append(((*loc, "max_speed_mps"), f"{spec.max_speed:g} m/s; allowed ≤ {MAX_SPEED_CAP_MPS:g}"))
    m = actor.motion
    speed = getattr(m, "speed_mps", None)
    if speed is not None and speed > spec.max_speed:
        why = (
            f"{speed:g} m/s is above the {actor.kind}'s max {spec.max_speed:g} m/s "
            "(set max_speed_mps to raise it)"
        )
        issues.append(((*loc, "motion", "speed_mps"), why))
    if isinstance(m, WaypointsMotion):
        issues += _waypoints(sc, world, nav, loc, actor, spec)
    elif isinstance(m, PatrolMotion):
        issues += _patrol(sc, world, nav, loc, actor, spec)
    elif isinstance(m, StationaryMotion):
        why = _blocked_or_outside(sc, world, nav, m.position, spec, "outside the building")
        if why:
            issues.append(((*loc, "motion", "position"), why))
    return issues


def _blocked_or_outside(sc, world, nav, p, spec, outside: str) -> str | None:
    return _where_blocked(nav, world.rack_rows, p, spec) if _inside(sc, p) else outside


def _waypoints(sc, world, nav: NavMap, loc, actor, spec: ActorSpec) -> list[Issue]:
    m = actor.motion
    issues: list[Issue] = []
    for k, p in enumerate(m.points):
        why = _blocked_or_outside(sc, world, nav, p, spec, f"{_fmt(p)} is outside the building")
        if why:
            issues.append(((*loc, "motion", "points", k), why))
    if issues:
        return issues
    legs = list(zip(m.points[:-1], m.points[1:], strict=True))
    if m.loop and len(m.points) > 1:
        legs.append((m.points[-1], m.points[0]))
    for k, (a, b) in enumerate(legs):
        if nav.plan(a, b, spec.radius, spec.turn_radius) is None:
            why = (
                f"no path for a {actor.kind} from {_fmt(a)} to {_fmt(b)} "
                f"(aisles narrower than {2 * spec.radius:.2f} m?)"
            )
            issues.append(((*loc, "motion", "points", (k + 1) % len(m.points)), why))
    return issues


def _patrol(sc, world, nav: NavMap, loc, actor, spec: ActorSpec) -> list[Issue]:
    m = actor.motion
    issues: list[Issue] = []
    region = None
    if m.region is not None:
        (x0, y0), (x1, y1) = m.region
        region = Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if nav.free_nodes(spec.radius, region=region).size == 0:
            issues.append(((*loc, "motion", "region"), f"no free floor for a {actor.kind} in this region"))
    if m.start is not None:
        why = _blocked_or_outside(sc, world, nav, m.start, spec, "outside the building")
        if why:
            issues.append(((*loc, "motion", "start"), why))
        elif region is not None:
            comp = nav.component_of(m.start, spec.radius)
            if nav.free_nodes(spec.radius, component=comp, region=region).size == 0:
                issues.append(((*loc, "motion", "region"), "not reachable from start"))
    if m.dwell_s[1] < m.dwell_s[0]:
        issues.append(((*loc, "motion", "dwell_s"), "give [min, max] with min ≤ max"))
    return issues


def _sensors(sc: Scenario) -> tuple[list[Issue], dict[str, int]]:
    issues: list[Issue] = []
    L, W = sc.layout.size_m
    H = sc.layout.height_m
    ids: dict[str, int] = {}
    for i, s in enumerate(sc.sensors):
        loc = ("sensors", i)
        if s.id in ids:
            issues.append(((*loc, "id"), f"duplicate sensor id '{s.id}' (also sensors[{ids[s.id]}])"))
        ids.setdefault(s.id, i)
        points = (
            [("from", s.start), ("to", s.end)] if isinstance(s, BeamSensor) else [("position", s.position)]
        )
        for key, p in points:
            if not (0 <= p[0] <= L and 0 <= p[1] <= W and 0 <= p[2] <= H):
                why = f"{_fmt(p)} is outside the building (0..{L:g} × 0..{W:g} × 0..{H:g} m)"
                issues.append(((*loc, key), why))
        if hasattr(s, "hfov_deg") and s.position[2] < MIN_CAMERA_HEIGHT_M:  # cameras and thermal cameras
            why = (
                f"{_fmt(s.position)} is {s.position[2]:g} m up; an image sensor must be mounted at least "
                f"{MIN_CAMERA_HEIGHT_M:g} m above the floor to place what it sees on the floor"
            )
            issues.append(((*loc, "position"), why))
        if hasattr(s, "rate_hz") and s.rate_hz * sc.dt_s > 1 + 1e-9:  # rated kinds (a beam fires every tick)
            why = (
                f"{s.rate_hz:g} Hz is faster than the simulation tick "
                f"(dt_s = {sc.dt_s:g} s allows at most {1 / sc.dt_s:g} Hz)"
            )
            issues.append(((*loc, "rate_hz"), why))
    return issues, ids


# Faults that only make sense for one kind of sensor.
FAULT_SENSOR_KIND = {"multipath": "rfid", "hot_spot": "thermal"}


def _faults(sc: Scenario, sensor_ids: dict[str, int]) -> list[Issue]:
    issues: list[Issue] = []
    for i, f in enumerate(sc.faults):
        if f.sensor not in sensor_ids:
            hint = did_you_mean(f.sensor, sensor_ids)
            why = f"no sensor '{f.sensor}'{hint} (sensors: {', '.join(sensor_ids) or 'none'})"
            issues.append((("faults", i, "sensor"), why))
            continue
        kind = sc.sensors[sensor_ids[f.sensor]].type
        if f.type in FAULT_SENSOR_KIND and kind != FAULT_SENSOR_KIND[f.type]:
            why = f"a {f.type} fault needs a {FAULT_SENSOR_KIND[f.type]} sensor; '{f.sensor}' is a {kind}"
            issues.append((("faults", i, "type"), why))
        if f.type == "hot_spot" and not _inside(sc, f.position):
            issues.append((("faults", i, "position"), f"{_fmt(f.position)} is outside the building"))
    return issues


def _pipeline(sc: Scenario) -> list[Issue]:
    from sim.strategies import STRATEGIES

    if sc.pipeline.strategy in STRATEGIES:
        return []
    hint = did_you_mean(sc.pipeline.strategy, STRATEGIES)
    why = f"unknown strategy '{sc.pipeline.strategy}'{hint} (allowed: {', '.join(STRATEGIES)})"
    return [(("pipeline", "strategy"), why)]

"""`plots/trajectories.png`: the layout, the sensors, and every actor's path (truth dashed, tracks solid)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon, Rectangle, Wedge

from sim.output.atomic import atomic_write_bytes
from sim.scenario.models import Scenario
from sim.sensor_kinds import SENSOR_KINDS
from sim.world.layout import StaticWorld

CLASS_COLOURS = {"forklift": "tab:orange", "agv": "tab:blue", "worker": "tab:green"}
# Actor colours: tab10 without its red (dock doors and identity switches are red) and its grey (tracks
# that follow no actor are grey), then four more dark ones, so twelve actors never share a colour.
_ACTOR_COLOURS = "tab:blue tab:orange tab:green tab:purple tab:brown tab:pink tab:olive tab:cyan navy"
ACTOR_PALETTE = tuple(
    matplotlib.colors.to_rgba(c) for c in (_ACTOR_COLOURS + " darkgoldenrod teal black").split()
)


MAX_LEGEND_ENTRIES = 40


def _rect(ax, r, **style) -> None:
    ax.add_patch(Rectangle((r.x0, r.y0), r.x1 - r.x0, r.y1 - r.y0, **style))


def draw_layout(ax, scenario: Scenario, static: StaticWorld) -> None:
    """Floor outline, walls, rack rows, docks and heat sources, to scale."""
    L, W = static.size
    ax.add_patch(Rectangle((0, 0), L, W, facecolor="#f7f7f2", edgecolor="none", zorder=0))
    for r in static.wall_rects:
        _rect(ax, r, color="#444444", zorder=1)
    for k, r in enumerate(static.rack_rows):
        _rect(
            ax,
            r,
            facecolor="#b9a27c",
            edgecolor="#7a6440",
            lw=0.6,
            zorder=1,
            label="rack row" if k == 0 else None,
        )
    for k, d in enumerate(static.docks):
        _rect(ax, d, color="#d62728", zorder=2, label="dock door" if k == 0 else None)
    for k, h in enumerate(scenario.layout.heat_sources):
        ax.plot(
            h.position[0],
            h.position[1],
            marker="*",
            color="crimson",
            ms=9,
            zorder=3,
            ls="none",
            label="heat source" if k == 0 else None,
        )
    ax.set_xlim(-1, L + 1)
    ax.set_ylim(-1, W + 1)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, east)")
    ax.set_ylabel("y (m, north)")


FOV_CELL_M = 0.4  # the visible-floor raster of the fields of view (coarser than coverage's 0.2 m: a figure)


def draw_fields_of_view(ax, scenario: Scenario, static: StaticWorld | None = None) -> None:
    """Each sensor's field of view (`SensorKind.sector` gives its colour and label). With the static world,
    cameras, thermal cameras and LiDARs show the floor they actually see a worker on — racks and walls
    cast their shadows (the coverage model, `sim/coverage/visibility.py`); without it, and for RFID read
    sectors (not line of sight), the sector itself."""
    seen_labels = set()
    floor = scene = None
    for s in scenario.sensors:
        sector = SENSOR_KINDS[s.type].sector(s)
        if sector is None:
            continue
        label = None if sector.key in seen_labels else sector.label
        seen_labels.add(sector.key)
        if static is not None and sector.filled:
            if scene is None:
                floor, scene = _visibility_inputs(static)
            _draw_visible_floor(ax, s, scene, static, floor, sector.colour, label)
            continue
        h, half = sector.heading_deg, sector.half_angle_deg
        style = (
            {"color": sector.colour, "alpha": 0.07, "lw": 0}
            if sector.filled
            else {"facecolor": "none", "edgecolor": sector.colour, "ls": ":", "lw": 1.0}
        )
        wedge = Wedge(
            (s.position[0], s.position[1]), sector.range_m, h - half, h + half, zorder=2, label=label, **style
        )
        ax.add_patch(wedge)


def _visibility_inputs(static: StaticWorld):
    from sim.coverage.visibility import Floor
    from sim.sensors.geometry import static_mesh
    from sim.sensors.raycast import StaticScene

    return Floor.of(static, FOV_CELL_M), StaticScene(static_mesh(static))


def _draw_visible_floor(ax, spec, scene, static: StaticWorld, floor, colour, label) -> None:
    """The cells where this sensor would see a worker, filled faintly in its colour."""
    from sim.coverage.visibility import TRACKED, sensor_cover

    cover = sensor_cover(spec, scene, static, floor, camera_min_pixels=12)
    nx, ny = floor.grid.shape
    seen = cover.seen[TRACKED.index("worker")].reshape(nx, ny).astype(float)
    x = floor.xy[:, 0].reshape(nx, ny)
    y = floor.xy[:, 1].reshape(nx, ny)
    ax.contourf(x, y, seen, levels=[0.5, 1.5], colors=[colour], alpha=0.09, zorder=2)
    if label:  # contour sets have no legend entry of their own: an empty polygon carries it
        ax.fill([], [], color=colour, alpha=0.2, label=f"{label} (floor seen)")


def draw_sensors(ax, scenario: Scenario) -> None:
    """Sensor positions with their type's marker and id (ids of sensors on one mount stacked)."""
    seen = set()
    placed: list[tuple[float, float]] = []  # where labels went, to stack those sharing a mount
    for s in scenario.sensors:
        label = None if s.type in seen else f"{s.type} sensor"
        seen.add(s.type)
        marker = SENSOR_KINDS[s.type].marker
        if marker is None:  # a segment (a break-beam)
            ax.plot(
                [s.start[0], s.end[0]], [s.start[1], s.end[1]], color="purple", lw=2, zorder=4, label=label
            )
            x, y = s.start[0], s.start[1]
        else:
            x, y = s.position[0], s.position[1]
            ax.plot(x, y, marker=marker, color="black", ms=7, ls="none", zorder=4, label=label)
        # The id towards the inside of the building, on a pale box, so labels at a wall stay on the
        # floor and stay readable over tracks and fields of view.
        L, W = scenario.layout.size_m
        right, up = x < L / 2, y < W / 2
        below = sum(1 for p in placed if abs(p[0] - x) < 0.5 and abs(p[1] - y) < 0.5)
        placed.append((x, y))
        ax.annotate(
            s.id,
            (x, y),
            xytext=(5 if right else -5, (5 + 10 * below) * (1 if up else -1)),
            textcoords="offset points",
            ha="left" if right else "right",
            va="bottom" if up else "top",
            fontsize=7,
            zorder=9,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0},
        )


def draw_scale_bar(ax, length_m: float = 5.0) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x = x0 + 0.03 * (x1 - x0)
    y = y0 + 0.03 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", lw=3, solid_capstyle="butt", zorder=6)
    ax.text(x + length_m / 2, y + 0.015 * (y1 - y0), f"{length_m:g} m", ha="center", va="bottom", fontsize=7)


def _box(x, y, yaw, length, width):
    c, s = math.cos(yaw), math.sin(yaw)
    pts = np.array(
        [
            (length / 2, width / 2),
            (-length / 2, width / 2),
            (-length / 2, -width / 2),
            (length / 2, -width / 2),
        ]
    )
    return pts @ np.array([[c, s], [-s, c]]) + (x, y)


def _draw_actor(ax, actor_id: str, tr: dict, colour, label, at_time: float | None) -> None:
    """An actor's true path (dashed), its start, and its box and name at `at_time` (default: last)."""
    ax.plot(tr["x"], tr["y"], ls="--", lw=1.0, color=colour, zorder=5, label=label)
    ax.plot(tr["x"][0], tr["y"][0], marker="o", ms=3, color=colour, zorder=5)
    if at_time is None:
        k = -1
    else:
        k = int(np.searchsorted(tr["t"], at_time - 1e-9))
        if k >= len(tr["t"]) or abs(tr["t"][k] - at_time) > 1e-6:
            return  # not present at that time
    box = _box(tr["x"][k], tr["y"][k], tr["yaw"][k], tr["length"], tr["width"])
    ax.add_patch(Polygon(box, closed=True, facecolor=colour, edgecolor="black", lw=0.5, zorder=6))
    ax.annotate(
        actor_id,
        (tr["x"][k], tr["y"][k]),
        xytext=(4, -8),
        textcoords="offset points",
        fontsize=6,
        color=colour,
        zorder=7,
    )


def broken_at_gaps(t, x, y, max_gap_s: float = 0.25):
    """x, y with NaN between samples more than `max_gap_s` apart, so that a track that was not reported
    for a while (lost, then re-acquired elsewhere) is drawn as pieces, not joined by a straight jump."""
    cut = np.flatnonzero(np.diff(np.asarray(t, float)) > max_gap_s) + 1
    return np.insert(np.asarray(x, float), cut, np.nan), np.insert(np.asarray(y, float), cut, np.nan)


def plot_trajectories(
    path: Path,
    scenario: Scenario,
    static: StaticWorld,
    truth: dict[str, dict],
    at_time: float | None = None,
    tracks: dict[int, dict] | None = None,
    matched: dict[int, str] | None = None,
    switches: list[tuple[float, float]] | None = None,
) -> None:
    """Write the trajectory figure. `truth[id]` holds arrays t, x, y, yaw and scalars kind, length, width;
    `tracks[id]` arrays t, x, y and its class (confirmed tracks, drawn solid in the colour of the actor
    `matched[id]` says they follow, grey if none); `switches` are positions of identity switches.

    Boxes show each actor's pose at `at_time` (default: its last pose); the figure is written atomically."""
    L, W = static.size
    fig, ax = plt.subplots(figsize=(max(6.0, 10 * L / max(L, W)) + 2.5, max(4.5, 10 * W / max(L, W)) + 0.8))
    draw_layout(ax, scenario, static)
    draw_fields_of_view(ax, scenario, static)
    draw_sensors(ax, scenario)
    per_actor = tracks is not None  # with tracks, each actor gets its own colour and its tracks share it
    actor_colour = {a: ACTOR_PALETTE[k % len(ACTOR_PALETTE)] for k, a in enumerate(truth)}
    kinds_done = set()
    for actor_id, tr in truth.items():
        colour = actor_colour[actor_id] if per_actor else CLASS_COLOURS[tr["kind"]]
        if per_actor:
            label = f"{actor_id} ({tr['kind']})"
        else:
            label = None if tr["kind"] in kinds_done else f"{tr['kind']} (truth)"
            kinds_done.add(tr["kind"])
        _draw_actor(ax, actor_id, tr, colour, label, at_time)
    unmatched_done = False
    for track_id, tr in (tracks or {}).items():
        owner = (matched or {}).get(track_id)
        colour = actor_colour.get(owner, "grey") if owner is not None else "grey"
        label = None
        if owner is None and not unmatched_done:
            label, unmatched_done = "track matching no actor", True
        x, y = broken_at_gaps(tr["t"], tr["x"], tr["y"])
        ax.plot(x, y, ls="-", lw=1.4, alpha=0.8, color=colour, zorder=5, label=label)
    if switches:
        sx, sy = zip(*switches, strict=True)
        ax.plot(sx, sy, ls="none", marker="x", ms=7, mew=1.8, color="red", zorder=8, label="identity switch")
    draw_scale_bar(ax)
    when = "final pose" if at_time is None else f"pose at t = {at_time:g} s"
    what = (
        "truth dashed, confirmed tracks solid in the colour of the actor they follow"
        if tracks is not None
        else "truth"
    )
    strategy = f", strategy {scenario.pipeline.strategy}" if tracks is not None else ""
    ax.set_title(
        f"{scenario.name} (seed {scenario.seed}{strategy}): {what} over {scenario.duration_s:g} s\n"
        f"(dot = start, box = {when})",
        fontsize=10,
    )
    handles, labels = ax.get_legend_handles_labels()
    if len(labels) > MAX_LEGEND_ENTRIES:  # hundreds of actors: a legend taller than the figure helps no one
        more = len(labels) - MAX_LEGEND_ENTRIES + 1
        handles, labels = handles[: MAX_LEGEND_ENTRIES - 1], labels[: MAX_LEGEND_ENTRIES - 1]
        handles.append(plt.Line2D([], [], ls="none"))
        labels.append(f"… and {more} more")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())

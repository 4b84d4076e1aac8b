"""`whsim place`: sensor poses for a budget of sensors, chosen to cover where the traffic goes.

Every candidate pose of every budgeted kind is cast once (its cover over the floor grid); the search
(`sim.coverage.search`) then works on those covers alone. Sensors of kinds outside the budget stay where
the scenario has them and count as already installed. Weights: the actor-frames of the traffic runs,
plus `FLOOR_WEIGHT` of the weight spread evenly over the free floor, so floor the sampled traffic missed
is not worth nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sim.coverage import candidates as cand
from sim.coverage.crowding import Crowd
from sim.coverage.detection_rates import DEFAULT_RATES, DetectionRates
from sim.coverage.search import Placement, greedy, local_search, options, value
from sim.coverage.site_coverage import SiteCoverage, covers_of
from sim.coverage.visibility import Cover, Floor, sensor_cover
from sim.scenario.models import Scenario
from sim.sensor_kinds import SENSOR_KINDS
from sim.sensors.geometry import static_mesh
from sim.sensors.raycast import StaticScene
from sim.world.layout import StaticWorld

PLACEABLE = ("camera", "thermal", "lidar", "rfid", "beam")
FLOOR_WEIGHT = 0.1
_POSE_KEYS = {
    "id",
    "type",
    "position",
    "look_at",
    "yaw_deg",
    "pitch_deg",
    "roll_deg",
    "boresight",
    "from",
    "to",
}


@dataclass(frozen=True)
class Option:
    """One layout the search offers: its sensor blocks (ids included, in budget order) and objective."""

    blocks: list[dict]
    value: float


@dataclass(frozen=True)
class Placed:
    """What the search chose and what it is worth: `options` ranks the layouts found by the objective
    (`blocks` and `final_value` are the first's; `greedy_value` and `swaps` are of the first search)."""

    blocks: list[dict]  # the placed sensor blocks, ids included, in budget order
    n_candidates: dict[str, int]
    greedy_value: float
    final_value: float
    swaps: int
    options: tuple[Option, ...] = ()

    def with_option(self, i: int) -> Placed:
        """The same search with its `i`-th option as the layout placed."""
        o = self.options[i]
        return replace(self, blocks=o.blocks, final_value=o.value)


def template(scenario: Scenario, kind: str) -> dict:
    """The non-pose settings of the scenario's first sensor of `kind` (resolution, preset, rates…)."""
    for s in scenario.sensors:
        if s.type == kind:
            return {
                k: v for k, v in s.model_dump(by_alias=True, exclude_none=True).items() if k not in _POSE_KEYS
            }
    return {}


def candidate_blocks(
    scenario: Scenario, static: StaticWorld, kind: str, where: tuple[str, ...]
) -> list[dict]:
    """Sensor blocks (without id) of every candidate of `kind`, with the scenario's settings for it."""
    base = template(scenario, kind)
    if kind in ("camera", "thermal") or (kind == "lidar" and base.get("preset") == "depth_cam"):
        poses = cand.aimed_poses(static, where)
    elif kind == "lidar":
        poses = cand.lidar_poses(static, where)
    elif kind == "rfid":
        poses = cand.rfid_poses(static, where)
    else:
        poses = cand.beam_segments(static)
    return [{"type": kind, **base, **pose} for pose in poses]


def _weights(cov_floor: Floor, traffic: np.ndarray) -> np.ndarray:
    t = traffic / traffic.sum() if traffic.sum() else np.zeros_like(traffic)
    free = np.broadcast_to(cov_floor.free, traffic.shape).astype(float)
    floor = free / free.sum() if free.sum() else free
    return ((1 - FLOOR_WEIGHT) * t + FLOOR_WEIGHT * floor).ravel() if traffic.sum() else floor.ravel()


def placement_problem(
    kinds: list[str],
    cand_covers: list[Cover],
    fixed: tuple[Cover, ...],
    weights: np.ndarray,
    budget: dict[str, int],
    rates: DetectionRates = DEFAULT_RATES,
    crowd: Crowd | None = None,
) -> Placement:
    """The search problem over element indices k · n_cells + c (k: the class in `TRACKED` order); with
    `crowd`, each sensor's chances allow for other actors in its way."""
    index = {k: i for i, k in enumerate(kinds)}

    def elements(c: Cover) -> tuple[np.ndarray, np.ndarray]:
        e = np.flatnonzero(c.seen.ravel())
        return e, rates.probability(c, crowd).ravel()[e]

    cand = [elements(c) for c in cand_covers]
    return Placement(
        weights=weights,
        covers=[e for e, _ in cand],
        probs=[p for _, p in cand],
        kinds=np.array([index[c.kind] for c in cand_covers], int),
        budget={index[k]: n for k, n in budget.items()},
        fixed=[(index[c.kind], *elements(c)) for c in fixed],
    )


def mount_groups(blocks: list[dict]) -> np.ndarray:
    """A group id per candidate block: the same kind at the same mounting point (to 1 cm; a beam by its two
    ends), whatever its aim."""
    seen: dict[tuple, int] = {}
    out = np.empty(len(blocks), int)
    for i, b in enumerate(blocks):
        where = b["position"] if "position" in b else [*b["from"], *b["to"]]
        out[i] = seen.setdefault((b["type"], *np.round(np.asarray(where, float), 2)), len(seen))
    return out


def _ids(scenario: Scenario, kind: str, n: int) -> list[str]:
    """The scenario's ids of `kind` first (so its faults still name a sensor), then `<kind>_N`."""
    old = [s.id for s in scenario.sensors if s.type == kind]
    taken = {s.id for s in scenario.sensors}
    out, k = old[:n], 1
    while len(out) < n:
        name = f"{kind}_{k}"
        if name not in taken:
            out.append(name)
        k += 1
    return out


def place(
    scenario: Scenario,
    static: StaticWorld,
    before: SiteCoverage,
    budget: dict[str, int],
    where: tuple[str, ...],
    progress: Callable[[str, int, int], None] | None = None,
    n_options: int = 1,
) -> Placed:
    """Choose poses for `budget` (kind → count); `before` is the scenario's own coverage and traffic.
    The search restarts with each chosen mounting point banned in turn (`search.options`) and places the
    best layout by the objective; `n_options` of them, best first, are kept for a shortlist."""
    floor = before.floor
    scene = StaticScene(static_mesh(static))
    min_px = scenario.pipeline.camera.min_pixels
    blocks = [b for kind in budget for b in candidate_blocks(scenario, static, kind, where)]
    covers = []
    for i, b in enumerate(blocks):
        spec = SENSOR_KINDS[b["type"]].schema.model_validate({"id": f"candidate_{i}", **b})
        covers.append(sensor_cover(spec, scene, static, floor, min_px))
        if progress:
            progress("casting candidates", i + 1, len(blocks))
    fixed = tuple(c for c in before.covers if c.kind not in budget)
    kinds = sorted({c.kind for c in covers} | {c.kind for c in fixed}, key=PLACEABLE.index)
    weights = _weights(floor, before.traffic)
    problem = placement_problem(kinds, covers, fixed, weights, budget, crowd=before.crowd)
    chosen = greedy(problem)
    first = value(problem, chosen)
    swaps = []
    final = local_search(problem, chosen, progress=(lambda n: swaps.append(n)))

    def named(layout: list[int]) -> list[dict]:
        placed = []
        for kind in budget:
            picked = [c for c in layout if covers[c].kind == kind]
            ids = _ids(scenario, kind, len(picked))
            placed += [{"id": sid, **blocks[c]} for sid, c in zip(ids, picked, strict=True)]
        return placed

    counts = {k: sum(c.kind == k for c in covers) for k in budget}
    restarted = (lambda n: progress("restarting the search", n, len(final))) if progress else None
    found = options(problem, final, mount_groups(blocks), max(n_options, 1), restarted)
    ranked = tuple(Option(named(c), v) for v, c in found)
    return Placed(ranked[0].blocks, counts, first, ranked[0].value, len(swaps), ranked)


def placed_document(
    doc: dict, scenario: Scenario, placed: Placed, budget: dict[str, int], name: str
) -> tuple[dict, list[str]]:
    """The scenario file's document with the budgeted kinds' sensors replaced by the placed ones; also
    the ids of faults dropped because their sensor is gone."""
    keep = [s for s in doc.get("sensors", []) if s.get("type") not in budget]
    ids = {b["id"] for b in placed.blocks} | {s.get("id") for s in keep}
    faults = doc.get("faults", []) or []
    dropped = [f.get("sensor") for f in faults if f.get("sensor") not in ids]
    new = dict(doc)
    new["name"] = name
    budget_text = ", ".join(f"{n} {k}" for k, n in budget.items())
    new["description"] = f"{scenario.description} — sensors placed by whsim place ({budget_text})".lstrip(
        " —"
    )
    new["sensors"] = keep + placed.blocks
    if faults:
        new["faults"] = [f for f in faults if f.get("sensor") in ids]
    return new, dropped


def placed_coverage(
    before: SiteCoverage, placed: Placed, budget: dict[str, int], scenario: Scenario, static: StaticWorld
) -> SiteCoverage:
    """The placed layout's coverage over the same floor and traffic as `before`."""
    kept = tuple(c for c in before.covers if c.kind not in budget)
    specs = [SENSOR_KINDS[b["type"]].schema.model_validate(b) for b in placed.blocks]
    new = covers_of(specs, static, before.floor, scenario.pipeline.camera.min_pixels)
    return SiteCoverage(before.floor, kept + new, before.traffic, before.frames)

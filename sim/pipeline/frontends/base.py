"""What a front-end is: one sensor's readings in, measurements (and BEV evidence) out.

A front-end kind is registered once with the scenario sensor `type` it reads, the reading type it takes
and a builder; the pipeline builds one front-end per sensor of a kind its strategy names and hands it that
sensor's readings. A front-end returns a `FrontEndOutput`; it never sees ground truth (the `oracle`, the
labelled exception, reads the truth frame of a tick instead of a reading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from fusion.measurements import PositionMeasurements, RangeMeasurements
from perception.bev import BevGrid
from perception.bev_map import BevMap, BevMapConfig, static_masks
from perception.camera_model import PinholeCamera
from perception.evidence import Evidence
from sim.scenario.models import Scenario
from sim.world.layout import StaticWorld, rect_array

Covered = Callable[[np.ndarray], np.ndarray]  # floor points (n, 2) → whether the sensor could see them


@dataclass(frozen=True)
class FrontEndOutput:
    """One reading's worth: measurements for the fuser, and a layer for the site's BEV map."""

    positions: PositionMeasurements | None = None
    covered: Covered | None = None  # which track positions this scan could have seen (None: all)
    ranges: RangeMeasurements | None = None
    zone: Callable | None = None  # slant range → (z, R): where this reader alone places a tag
    image_layer: tuple[PinholeCamera, np.ndarray, np.ndarray] | None = None  # camera, mask, floor mask
    evidence_layer: tuple[Evidence, np.ndarray | None] | None = None  # evidence, highest return
    point_labels: np.ndarray | None = None  # a segmented cloud: class id per point (scored, not fused)


def registered_tags(scenario: Scenario) -> dict[str, str]:
    """The asset database: every tag the site issued, and the kind of actor that carries it."""
    return {tag: a.kind for a in scenario.actors for tag in a.tags}


@dataclass
class FrontEndContext:
    """What front-ends are built from: the scenario (mounting, settings), the site (layout and stored
    pallets, as a site map and the WMS know them) and the tag registry (the asset database)."""

    scenario: Scenario
    static: StaticWorld
    rng: np.random.Generator  # the oracle's clutter and misses; real front-ends draw nothing
    evidence_only: frozenset[str] = frozenset()  # front-ends the strategy uses for the BEV map alone
    tag_class: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.tag_class = registered_tags(self.scenario)

    @property
    def settings(self):
        return self.scenario.pipeline

    @cached_property
    def site(self):
        from sim.pipeline.site_map import SiteMap

        return SiteMap(self.static)

    @cached_property
    def racks(self) -> np.ndarray:
        """Rack rows as rectangles (n, 4): x0, y0, x1, y1."""
        return rect_array(self.static.rack_rows)

    @cached_property
    def bev_map(self) -> BevMap:
        """The site's BEV map, shared by every front-end that contributes evidence."""
        return scenario_bev_map(self.scenario, self.static)


def scenario_bev_map(scenario: Scenario, static: StaticWorld) -> BevMap:
    """The BEV map a run of `scenario` builds: the layout's static map, its `pipeline.bev_map` settings."""
    config = BevMapConfig(**scenario.pipeline.bev_map.model_dump())
    return site_bev_map(scenario.layout.size_m, static, config)


def site_bev_map(size_m, static: StaticWorld, config: BevMapConfig | None = None) -> BevMap:
    """An empty BEV map of the site, its static map (racks, walls) from the layout."""
    config = config or BevMapConfig()
    grid = BevGrid.covering(size_m, config.resolution_m)
    masks = static_masks(
        grid, rect_array(static.rack_rows), rect_array(static.obstacles), config.static_margin_m
    )
    return BevMap(grid, *masks, config)


@dataclass(frozen=True)
class FrontEndKind:
    """A registered front-end: its name, the sensor `type` it reads (None: ticked — fed the truth, or the
    BEV map when `reads_map`), the reading type, whether it feeds the BEV map, and how to build one."""

    name: str
    sensor_type: str | None
    reading: type | None
    bev: bool
    summary: str
    build: Callable[..., object]  # (sensor spec, FrontEndContext) → front-end with .process(reading)
    sufficient: bool = True  # can carry a strategy alone (a beam only says something crossed a line)
    identities: bool = False  # reads who is who (tags): the strategy's identity accuracy means something
    reads_map: bool = False  # reads the site's BEV map (`process_map(t)`) after the step's readings
    preflight: Callable[..., object] | None = None  # (pipeline settings): load what it needs, or UsageError


FRONTENDS: dict[str, FrontEndKind] = {}


def register(kind: FrontEndKind) -> FrontEndKind:
    FRONTENDS[kind.name] = kind
    return kind

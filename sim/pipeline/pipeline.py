"""A strategy built: one front-end per sensor it reads, one fuser, the site's BEV map where a front-end
feeds it. `process(step)` hands each reading of the step (timestamp order) to its sensor's front-end and
the result to the fuser; `tracks(t)` asks the fuser."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fusion.measurements import PositionMeasurements
from fusion.reported_ids import TagAnchoredIds
from sim.pipeline.frontends import FRONTENDS, FrontEndContext
from sim.pipeline.frontends.base import registered_tags
from sim.pipeline.fusers import FUSERS
from sim.pipeline.measurement_models import Centring
from sim.scenario.models import Scenario
from sim.sensor_kinds import SENSOR_KINDS
from sim.strategies import STRATEGIES, Strategy
from sim.world.layout import StaticWorld


class StrategyUnavailable(Exception):
    """The strategy cannot run on this scenario (it lacks the sensors the strategy needs)."""


@dataclass(frozen=True)
class Detection:
    """One row of detections.csv."""

    t: float
    source: str
    sensor_id: str
    z: np.ndarray
    R: np.ndarray
    cls: str
    score: float
    tag: str
    # The detection read as each body class (classes, centres (k, 2), covariances (k, 2, 2)), where the
    # source has body models: what a track of that class reads (scored as `nse_body`, not written)
    by_class: tuple | None = None


def frontends_for(strategy: str, scenario: Scenario) -> tuple[str, ...]:
    """The strategy's front-ends that have a sensor in this scenario; StrategyUnavailable when none of
    them can start a track."""
    s = STRATEGIES.get(strategy)
    if s is None or s.fuser == "none":
        raise StrategyUnavailable(f"strategy '{strategy}' does no tracking or is not registered")
    types = {x.type for x in scenario.sensors}
    kinds = [FRONTENDS[f] for f in s.frontends]
    have = tuple(k.name for k in kinds if k.sensor_type is None or k.sensor_type in types)
    if not any(FRONTENDS[f].sufficient for f in have):
        need = " or ".join(SENSOR_KINDS[k.sensor_type].noun for k in kinds if k.sensor_type and k.sufficient)
        raise StrategyUnavailable(f"strategy '{strategy}' needs {need}; the scenario has none")
    return have


def reorder_window(scenario: Scenario) -> float:
    """How late a measurement may arrive and still be applied in its place: the setting, or the largest
    latency the scenario configures plus one tick (readings are delivered on ticks)."""
    window = scenario.pipeline.tracker.reorder_window_s
    if window is not None:
        return window
    latencies = [f.latency_s for f in scenario.faults if f.type == "latency"]
    return max(latencies) + scenario.dt_s if latencies else 0.0


# What a front-end made of one reading (or of a tick): (front-end name, sensor id or "", time, output).
Perceived = tuple[str, str, float, object]


class Pipeline:
    def __init__(
        self,
        strategy: Strategy,
        present: tuple[str, ...],
        scenario: Scenario,
        rng: np.random.Generator,
        static,
    ):
        """`present`: the strategy's front-ends this scenario has sensors for (`frontends_for`); `static`
        is the site: layout and stored pallets (what a site map and the WMS know)."""
        ctx = FrontEndContext(scenario, static, rng, frozenset(strategy.evidence_only))
        self.frontends = {}  # sensor id → (front-end name, front-end)
        for sensor in scenario.sensors:
            for name in present:
                if FRONTENDS[name].sensor_type == sensor.type:
                    self.frontends[sensor.id] = (name, FRONTENDS[name].build(sensor, ctx))
        ticked = [(n, FRONTENDS[n].build(None, ctx)) for n in present if FRONTENDS[n].sensor_type is None]
        self.ticked = [(n, fe) for n, fe in ticked if not FRONTENDS[n].reads_map]
        self.mapped = [(n, fe) for n, fe in ticked if FRONTENDS[n].reads_map]  # after the readings
        self.bev = ctx.bev_map if any(FRONTENDS[n].bev for n in present) else None
        self._wire_fusion(strategy, present, scenario)

    @classmethod
    def fusion_only(cls, strategy: str, scenario: Scenario) -> Pipeline:
        """The fusing half alone — no front-ends, no BEV map — to replay recorded front-end outputs
        through `fuse` (tools/tune_tracker.py tunes the tracker this way in seconds)."""
        self = cls.__new__(cls)
        self.frontends, self.ticked, self.mapped, self.bev = {}, [], [], None
        self._wire_fusion(STRATEGIES[strategy], frontends_for(strategy, scenario), scenario)
        return self

    def _wire_fusion(self, strategy: Strategy, present: tuple[str, ...], scenario: Scenario) -> None:
        self.evidence_only = set(strategy.evidence_only)
        self.tag_class = registered_tags(scenario)
        self.fuser = FUSERS[strategy.fuser](
            scenario.pipeline, present, self.tag_class, strategy, window_s=reorder_window(scenario)
        )
        self.reads_identities = any(FRONTENDS[n].identities for n in present)
        self.relabel = TagAnchoredIds() if scenario.pipeline.tracker.report_ids == "tag" else None
        self.centring = Centring(scenario)
        self.future_stamps = 0  # readings stamped after they arrived, taken as made on arrival
        self.segmented: list[tuple[object, np.ndarray]] = []  # (cloud, class per point) of the last step
        self.looked: list[tuple[str, object]] = []  # (front-end, reading) of the last step, for scoring

    def process(self, step) -> list[Detection]:
        """Feed the step's readings (timestamp order) to the fuser; return the detections made."""
        return self.fuse(self.perceive(step))

    def perceive(self, step) -> list[Perceived]:
        """What the front-ends make of the step: ticked front-ends, then each reading in timestamp order,
        then the front-ends that read the BEV map — which is fed the readings' layers on the way."""
        out: list[Perceived] = []
        self.segmented, self.looked = [], []
        for name, fe in self.ticked:
            if fe.due(step.tick):
                out.append(self._feed_map(name, "", step.t, fe.process(step.truth)))
        for r in sorted(map(self._causal, step.readings), key=lambda r: r.t):
            entry = self.frontends.get(r.sensor_id)
            if entry is not None:
                o = entry[1].process(r)
                self.looked.append((entry[0], r))
                if o.point_labels is not None:
                    self.segmented.append((r, o.point_labels))
                out.append(self._feed_map(entry[0], r.sensor_id, r.t, o))
        for name, fe in self.mapped:
            if fe.due(step.tick):
                out.append(self._feed_map(name, "", step.t, fe.process_map(step.t)))
        return out

    def _feed_map(self, name: str, sensor_id: str, t: float, o) -> Perceived:
        """Add an output's image or evidence layer to the BEV map; the output, as perceived."""
        if o.image_layer is not None:
            self.bev.add_image(sensor_id, t, *o.image_layer)
        if o.evidence_layer is not None:
            self.bev.add(sensor_id, t, *o.evidence_layer)
        return name, sensor_id, t, o

    def fuse(self, perceived: list[Perceived]) -> list[Detection]:
        """Hand the front-ends' measurements to the fuser in order; the detections.csv rows they make."""
        rows: list[Detection] = []
        for name, sensor_id, _, o in perceived:
            if o.positions is not None and name not in self.evidence_only:
                pm = self.centring(sensor_id, o.positions)
                self.fuser.positions(name, pm, o.covered)
                rows += _rows(pm)
            if o.ranges is not None:
                self.fuser.ranges(name, o.ranges, o.zone)
                rm = o.ranges
                nan = np.array([np.nan, np.nan]), np.full((2, 2), np.nan)
                rows += [
                    Detection(rm.t, "rfid", rm.sensor_id, *nan, self.tag_class[g], 1.0, g) for g in rm.tags
                ]
        return rows

    def tracks(self, t: float):
        """Tracks predicted to time t (tentative and confirmed), under the ids `report_ids` asks for."""
        states = self.fuser.tracks(t)
        return self.relabel(states) if self.relabel is not None else states

    def _causal(self, r):
        """A reading stamped after it arrived (a sensor clock running ahead) is taken as made when it
        arrived: trusting the stamp would move every track into the future, and then every other sensor's
        readings would be out of sequence and dropped (one camera 0.3 s ahead: 689 of them in 12 s)."""
        if r.t <= r.delivered_t + 1e-9:
            return r
        self.future_stamps += 1
        return replace(r, t=r.delivered_t)

    def stats(self) -> dict:
        return {**self.fuser.stats(), "future_stamps_clamped": self.future_stamps}


def _rows(pm: PositionMeasurements) -> list[Detection]:
    b = pm.by_class
    return [
        Detection(
            pm.t,
            pm.source,
            pm.sensor_id,
            pm.z[k],
            pm.R[k],
            pm.cls[k],
            float(pm.score[k]),
            "",
            None if b is None else (b.classes, b.z[k], b.R[k]),
        )
        for k in range(len(pm))
    ]


def make_pipeline(
    strategy: str, scenario: Scenario, rng: np.random.Generator, static: StaticWorld
) -> Pipeline:
    present = frontends_for(strategy, scenario)  # raises StrategyUnavailable
    return Pipeline(STRATEGIES[strategy], present, scenario, rng, static)

"""Tracking strategies: which sources feed which trackers, and how their outputs are combined.

`oracle`, `rfid`, `thermal` and `central` run one tracker over their sources in timestamp order;
`t2t-ci` runs one tracker per sensor type and fuses their confirmed tracks at each output time by
covariance intersection. Every strategy with a camera, thermal camera or range sensor also keeps the
site's merged BEV map (`BevMap`), scored as `bev` in metrics.json.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from fusion.association import gate_threshold, gnn, position_distances
from fusion.covariance_intersection import ci_fuse
from fusion.measurements import PositionMeasurements
from fusion.multilateration import multilaterate
from fusion.tracker import Tracker, TrackerConfig, TrackState
from perception.background import BackgroundModel
from perception.camera_model import PinholeCamera
from perception.thermal_blobs import warm_mask
from sim.pipeline.bev_map import BevMap
from sim.pipeline.lidar_detector import LidarDetector
from sim.pipeline.site_map import SiteMap
from sim.pipeline.sources import (
    OracleSource,
    RfidRanging,
    beam_position,
    camera_of,
    camera_positions,
    tag_registry,
    thermal_positions,
)
from sim.scenario.models import BeamSensor, CameraSensor, LidarSensor, RfidSensor, Scenario, ThermalSensor
from sim.sensors.readings import BeamEvent, CameraFrame, PointCloud, RfidReads, ThermalFrame
from sim.world.layout import StaticWorld

ORACLE_RATE_HZ = 10.0
MULTILATERATION_WINDOW_S = 1.0  # reads of one tag by different readers this close in time are combined
BEV_FOREGROUND_K = 2.0  # the BEV map takes a looser foreground than the blobs: its graph cut cleans up
MAX_STD_M = 2.0  # a track coasting unseen is dropped once its position σ passes this (≈ 2–3 s unseen)
SOURCES = {
    "oracle": ("oracle",),
    "rfid": ("rfid",),
    "thermal": ("thermal",),
    "lidar": ("lidar",),
    "camera": ("camera",),
    "central": ("camera", "lidar", "thermal", "rfid", "beam"),
    "t2t-ci": ("camera", "lidar", "thermal", "rfid", "beam"),
}
SENSOR_OF_SOURCE = {
    "thermal": ThermalSensor,
    "rfid": RfidSensor,
    "beam": BeamSensor,
    "lidar": LidarSensor,
    "camera": CameraSensor,
}


class StrategyUnavailable(Exception):
    """The strategy cannot run on this scenario (a missing sensor, or a part not built yet)."""


def sources_for(strategy: str, scenario: Scenario) -> tuple[str, ...]:
    """The sources a strategy uses in this scenario; raises StrategyUnavailable when it has none."""
    if strategy not in SOURCES:
        raise StrategyUnavailable(f"strategy '{strategy}' is not built yet")
    wanted = SOURCES[strategy]
    have = tuple(
        s
        for s in wanted
        if s == "oracle" or any(isinstance(x, SENSOR_OF_SOURCE[s]) for x in scenario.sensors)
    )
    if not any(s in ("oracle", "thermal", "rfid", "lidar", "camera") for s in have):
        names = {
            "thermal": "a thermal camera",
            "rfid": "an RFID reader",
            "lidar": "a LiDAR",
            "camera": "a camera",
        }
        need = " or ".join(names[s] for s in wanted if s in names)
        raise StrategyUnavailable(f"strategy '{strategy}' needs {need}; the scenario has none")
    return have


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


def _in_view(camera: PinholeCamera):
    def covered(xy: np.ndarray) -> np.ndarray:
        uv, depth = camera.project(np.column_stack([xy, np.zeros(len(xy))]))
        return (
            (depth > 0)
            & (uv[:, 0] >= 0)
            & (uv[:, 0] < camera.width)
            & (uv[:, 1] >= 0)
            & (uv[:, 1] < camera.height)
        )

    return covered


class Pipeline(ABC):
    """Turns each step's readings into detections and tracks."""

    def __init__(
        self, scenario: Scenario, sources: tuple[str, ...], rng: np.random.Generator, static: StaticWorld
    ):
        """`static` is the site: layout and stored pallets (what a site map and the WMS know)."""
        self.scenario = scenario
        self.sources = sources
        self.registry = tag_registry(scenario)
        self.ranging = {s.id: RfidRanging(s) for s in scenario.sensors if isinstance(s, RfidSensor)}
        self.beams = {s.id: s for s in scenario.sensors if isinstance(s, BeamSensor)}
        self.thermal = {s.id: s for s in scenario.sensors if isinstance(s, ThermalSensor)}
        self.cameras = {s.id: s for s in scenario.sensors if isinstance(s, CameraSensor)}
        self.site = SiteMap(static) if ("thermal" in sources or "camera" in sources) else None
        # Each camera's background starts from its view of the empty building (a reference frame taken at
        # installation), so actors present at start-up do not leave ghosts when they move off.
        self.backgrounds = (
            {
                sid: BackgroundModel(background=self.site.reference_rgb(spec))
                for sid, spec in self.cameras.items()
            }
            if "camera" in sources
            else {}
        )
        bev_sources = {"lidar", "camera", "thermal"} & set(sources)
        self.bev = BevMap(scenario.layout.size_m, static) if bev_sources else None
        # One detector per range sensor (LiDARs and depth cameras alike), on the shared grid.
        self.lidars = (
            {
                s.id: LidarDetector(self.bev.grid, self.bev.static)
                for s in scenario.sensors
                if isinstance(s, LidarSensor)
            }
            if "lidar" in sources
            else {}
        )
        self.oracle = OracleSource(rng, scenario.layout.size_m) if "oracle" in sources else None
        self._reads: dict[str, list] = {}  # tag → recent reads (t, reader, anchor, range, σ) while unbound
        self._oracle_every = max(1, round(1 / (ORACLE_RATE_HZ * scenario.dt_s)))
        self.racks = static.rack_rows

    def process(self, step) -> list[Detection]:
        """Feed the step's readings (timestamp order) to the trackers; return the detections made."""
        out: list[Detection] = []
        if self.oracle is not None and step.tick % self._oracle_every == 0:
            pm = self.oracle.scan(step.truth)
            self.positions(pm, covered=None)
            out += _rows(pm)
        for r in sorted(step.readings, key=lambda r: r.t):
            if isinstance(r, ThermalFrame) and "thermal" in self.sources:
                floor, cam = self.site.floor_mask(self.thermal[r.sensor_id]), camera_of(r)
                warm = warm_mask(r.temperature_c)
                pm = self._on_free_floor(thermal_positions(r, warm, floor, cam))
                self.positions(pm, covered=_in_view(cam))
                self.bev.add_image(r.sensor_id, r.t, cam, warm, floor)
                out += _rows(pm)
            elif isinstance(r, CameraFrame) and "camera" in self.sources:
                floor, cam = self.site.floor_mask(self.cameras[r.sensor_id]), camera_of(r)
                fg = self.backgrounds[r.sensor_id].apply(r.rgb.astype(np.float32))
                pm = self._on_free_floor(camera_positions(r, fg, floor, cam))
                self.positions(pm, covered=_in_view(cam))
                soft = self.backgrounds[r.sensor_id].soft_mask(BEV_FOREGROUND_K)
                self.bev.add_image(r.sensor_id, r.t, cam, soft, floor)
                out += _rows(pm)
            elif isinstance(r, PointCloud) and r.sensor_id in self.lidars:
                detector = self.lidars[r.sensor_id]
                pm, known = detector.detect(r)
                self.positions(pm, covered=detector.covered(known))
                self.bev.add(r.sensor_id, r.t, *detector.last)
                out += _rows(pm)
            elif isinstance(r, RfidReads) and "rfid" in self.sources:
                rm = self.ranging[r.sensor_id].ranges(r, self.registry)
                self.ranges(rm)
                out += [
                    Detection(
                        rm.t,
                        "rfid",
                        rm.sensor_id,
                        np.array([np.nan, np.nan]),
                        np.full((2, 2), np.nan),
                        self.registry[tag],
                        1.0,
                        tag,
                    )
                    for tag in rm.tags
                ]
            elif isinstance(r, BeamEvent) and "beam" in self.sources:
                pm = beam_position(r, self.beams[r.sensor_id])
                if pm is not None:
                    self.positions(pm, covered=lambda xy: np.zeros(len(xy), bool))  # a beam sees no misses
                    out += _rows(pm)
        return out

    def _on_free_floor(self, pm: PositionMeasurements) -> PositionMeasurements:
        """Drop floor points inside rack rows (the static map, known from the layout): a blob whose feet
        are hidden behind a rack projects beyond it, and nothing moving can stand inside a rack."""
        if not len(pm) or not self.racks:
            return pm
        inside = np.zeros(len(pm), bool)
        for r in self.racks:
            inside |= (
                (pm.z[:, 0] >= r.x0) & (pm.z[:, 0] <= r.x1) & (pm.z[:, 1] >= r.y0) & (pm.z[:, 1] <= r.y1)
            )
        keep = ~inside
        return PositionMeasurements(
            pm.t,
            pm.sensor_id,
            pm.source,
            pm.z[keep],
            pm.R[keep],
            tuple(c for c, k in zip(pm.cls, keep, strict=True) if k),
            pm.score[keep],
        )

    @abstractmethod
    def positions(self, pm: PositionMeasurements, covered) -> None: ...

    @abstractmethod
    def ranges(self, rm) -> None: ...

    @abstractmethod
    def tracks(self, t: float) -> list[TrackState]:
        """Tracks predicted to time t (tentative and confirmed)."""

    @abstractmethod
    def stats(self) -> dict: ...

    def _rfid_start(self, tracker: Tracker, rm, unbound: list[int], zone: bool = True) -> None:
        """RFID-only initiation of an unbound registered tag: by multilateration when readers other than
        this one read it within the last `MULTILATERATION_WINDOW_S`, else in this reader's zone."""
        for k in unbound:
            tag = rm.tags[k]
            recent = [r for r in self._reads.get(tag, []) if rm.t - r[0] <= MULTILATERATION_WINDOW_S]
            recent = [r for r in recent if r[1] != rm.sensor_id] + [
                (rm.t, rm.sensor_id, rm.anchors[k], rm.ranges[k], rm.sigma[k])
            ]
            self._reads[tag] = recent
            z, R = self.ranging[rm.sensor_id].zone(float(rm.ranges[k]))
            if len({r[1] for r in recent}) < 2 and not zone:
                continue
            if len({r[1] for r in recent}) >= 2:
                anchors = np.array([r[2] for r in recent])
                z, R = multilaterate(
                    anchors, np.array([r[3] for r in recent]), np.array([r[4] for r in recent]), z
                )
            tracker.start_tagged(rm.t, z, R, tag, self.registry.get(tag, "unknown"))


def _rows(pm: PositionMeasurements) -> list[Detection]:
    return [
        Detection(pm.t, pm.source, pm.sensor_id, pm.z[k], pm.R[k], pm.cls[k], float(pm.score[k]), "")
        for k in range(len(pm))
    ]


class SingleTracker(Pipeline):
    """Every source into one tracker (`oracle`, `rfid`, `thermal`, `central`)."""

    def __init__(self, scenario, sources, rng, static):
        super().__init__(scenario, sources, rng, static)
        rfid_only = sources == ("rfid",)
        self.tracker = Tracker(
            TrackerConfig(max_position_std_m=8.0 if rfid_only else MAX_STD_M, filter=scenario.pipeline.filter)
        )

    def positions(self, pm, covered):
        self.tracker.update_positions(pm.t, pm.z, pm.R, list(pm.cls), covered=covered)

    def ranges(self, rm):
        _, unbound = self.tracker.update_ranges(rm.t, rm.anchors, rm.ranges, rm.sigma, list(rm.tags))
        # RFID alone starts tracks in a reader's zone; with other sources it only multilaterates.
        self._rfid_start(self.tracker, rm, unbound, zone=self.sources == ("rfid",))

    def tracks(self, t):
        return self.tracker.states(at=t)

    def stats(self):
        s = self.tracker.stats
        return _nis(s) | {
            "scans": s.scans,
            "out_of_sequence_dropped": s.out_of_sequence_dropped,
            "tracks_started": s.tracks_started,
            "tracks_deleted": s.tracks_deleted,
            "tag_swaps": s.tag_swaps,
        }


class TrackToTrackCI(Pipeline):
    """One tracker per sensor type; at each output time their confirmed tracks are associated (GNN on
    position Mahalanobis distance) and each matched group is fused by covariance intersection, since
    local trackers' errors are correlated in ways nobody keeps track of."""

    def __init__(self, scenario, sources, rng, static):
        super().__init__(scenario, sources, rng, static)
        self.local = {
            s: Tracker(
                TrackerConfig(
                    max_position_std_m=8.0 if s == "rfid" else MAX_STD_M, filter=scenario.pipeline.filter
                )
            )
            for s in sources
            if s in ("thermal", "rfid", "lidar", "camera")
        }
        self._global: dict[tuple[str, int], int] = {}
        self._next = 1

    def positions(self, pm, covered):
        key = "thermal" if pm.source == "beam" and "thermal" in self.local else pm.source
        if key in self.local:
            self.local[key].update_positions(pm.t, pm.z, pm.R, list(pm.cls), covered=covered)

    def ranges(self, rm):
        tracker = self.local.get("rfid")
        if tracker is not None:
            _, unbound = tracker.update_ranges(rm.t, rm.anchors, rm.ranges, rm.sigma, list(rm.tags))
            self._rfid_start(tracker, rm, unbound)

    def _gid(self, key: tuple[str, int]) -> int:
        if key not in self._global:
            self._global[key] = self._next
            self._next += 1
        return self._global[key]

    def tracks(self, t):
        groups = [(name, tr.states(confirmed_only=True, at=t)) for name, tr in self.local.items()]
        fused: list[TrackState] = []
        base = groups[0][1] if groups else []
        items = [(groups[0][0], s) for s in base] if groups else []
        for name, states in groups[1:]:
            if not items or not states:
                items += [(name, s) for s in states]
                continue
            xa = np.array([s.x for _, s in items])
            Pa = np.array([s.P for _, s in items])
            xb = np.array([s.x for s in states])
            Pb = np.array([s.P for s in states])
            d2 = position_distances(xa, Pa, xb[:, :2], Pb[:, :2, :2])
            rows, cols = gnn(d2, gate_threshold(2))
            matched_b = set(cols.tolist())
            for r, c in zip(rows, cols, strict=True):
                n0, a = items[r]
                b = states[c]
                x, P, _ = ci_fuse(a.x, a.P, b.x, b.P)
                items[r] = (
                    n0,
                    TrackState(
                        a.id, a.t, x, P, "confirmed", a.cls if a.cls != "unknown" else b.cls, a.tag or b.tag
                    ),
                )
            items += [(name, s) for k, s in enumerate(states) if k not in matched_b]
        for name, s in items:
            fused.append(TrackState(self._gid((name, s.id)), t, s.x, s.P, s.status, s.cls, s.tag))
        return fused

    def stats(self):
        return {
            name: _nis(t.stats)
            | {
                "scans": t.stats.scans,
                "out_of_sequence_dropped": t.stats.out_of_sequence_dropped,
                "tracks_started": t.stats.tracks_started,
                "tracks_deleted": t.stats.tracks_deleted,
            }
            for name, t in self.local.items()
        }


def _nis(s) -> dict:
    return {
        "nis_mean": s.nis_sum / s.nis_count if s.nis_count else None,
        "nis_in_bounds": s.nis_in_bounds / s.nis_count if s.nis_count else None,
    }


def make_pipeline(
    strategy: str, scenario: Scenario, rng: np.random.Generator, static: StaticWorld
) -> Pipeline:
    sources = sources_for(strategy, scenario)
    return (TrackToTrackCI if strategy == "t2t-ci" else SingleTracker)(scenario, sources, rng, static)

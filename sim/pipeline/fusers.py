"""Fusers: measurements in, tracks out. `central` runs one tracker over every front-end's measurements in
timestamp order; `track-to-track` runs one tracker per group of front-ends and fuses their confirmed tracks
at each output time by covariance intersection (`fusion.track_fusion`)."""

from __future__ import annotations

import copy

from fusion.greedy_tracker import GreedyTracker, GreedyTrackerConfig
from fusion.reorder import ReorderBuffer
from fusion.rfid_initiation import RfidInitiator
from fusion.track import TrackState
from fusion.track_fusion import fuse_track_lists
from fusion.tracker import Tracker, TrackerConfig


def tracker_for(settings, rfid_only: bool, tag_class: dict[str, str] | None = None) -> Tracker:
    """A tracker with the scenario's settings; one fed by RFID alone may coast longer (coarse ranges).
    `tag_class`: the registered class of each tag (the scenario's asset list), identity evidence."""
    s = settings.tracker
    return Tracker(
        TrackerConfig(
            confirm_hits=s.confirm_hits,
            confirm_window=s.confirm_window,
            delete_after_misses=s.delete_after_misses,
            keep_lost_s=s.keep_lost_s,
            max_position_std_m=s.rfid_only_max_position_std_m if rfid_only else s.max_position_std_m,
            report_position_std_m=None if rfid_only else s.report_position_std_m,
            init_velocity_std_mps=s.init_velocity_std_mps,
            gate_probability=s.gate_probability,
            confirmed_first=s.confirmed_first,
            association=s.association,
            measurement_class=s.measurement_class,
            detection_probability=s.detection_probability,
            clutter_density=s.clutter_density,
            birth_gate_probability=s.birth_gate_probability,
            swap_window_s=s.swap_window_s,
            identity=s.rfid_only_identity if rfid_only else s.identity,
            identity_memory_s=s.identity_memory_s,
            identity_min_evidence=s.identity_min_evidence,
            class_match_nats=s.class_match_nats,
            class_mismatch_nats=s.class_mismatch_nats,
            range_updates=rfid_only or s.rfid_range_updates,
            filter=settings.filter,
            bias_fraction=s.bias_fraction,
            bias_time_s=s.bias_time_s,
        ),
        tag_classes=tag_class,
        process_noise={
            "forklift": s.process_noise_forklift,
            "agv": s.process_noise_agv,
            "worker": s.rfid_only_process_noise_worker if rfid_only else s.process_noise_worker,
        },
    )


class LocalTracker:
    """One tracker and what feeds it: positions, ranges, and RFID-only starts of unbound tags (zone starts
    only when RFID is its only input: a zone is metres wide)."""

    def __init__(self, settings, feeders: tuple[str, ...], tag_class: dict[str, str]):
        rfid_only = feeders == ("rfid",)
        self.tracker = tracker_for(settings, rfid_only, tag_class)
        self.tag_class = tag_class
        self.bias_sources = frozenset(settings.tracker.bias_sources)
        self.initiator = RfidInitiator(settings.rfid.multilateration_window_s, zone_starts=rfid_only)

    def __deepcopy__(self, memo):
        """A snapshot for the reorder buffer: the tracker and the RFID initiator's memory; the settings
        and the tag registry are shared (they never change)."""
        new = copy.copy(self)
        new.tracker = copy.deepcopy(self.tracker, memo)
        new.initiator = copy.deepcopy(self.initiator, memo)
        return new

    def positions(self, pm, covered) -> None:
        self.tracker.update_positions(
            pm.t,
            pm.z,
            pm.R,
            list(pm.cls),
            covered=covered,
            v=pm.v,
            Rv=pm.Rv,
            may_start=pm.may_start,
            by_class=pm.by_class,
            sensor=pm.sensor_id if pm.source in self.bias_sources else None,
        )

    def ranges(self, rm, zone) -> None:
        _, unbound = self.tracker.update_ranges(
            rm.t, rm.anchors, rm.ranges, rm.sigma, list(rm.tags), reads=rm.reads
        )
        for s in self.initiator.starts(rm, unbound, zone):
            self.tracker.start_tagged(s.t, s.z, s.R, s.tag, self.tag_class.get(s.tag, "unknown"))

    def stats(self) -> dict:
        s = self.tracker.stats
        return {
            "nis_mean": s.nis_sum / s.nis_count if s.nis_count else None,
            "nis_in_bounds": s.nis_in_bounds / s.nis_count if s.nis_count else None,
            "scans": s.scans,
            "out_of_sequence_dropped": s.out_of_sequence_dropped,
            "tracks_started": int(s.tracks_started),
            "tracks_deleted": s.tracks_deleted,
        }


class Ordered:
    """A local tracker behind a reorder buffer: measurements applied in timestamp order within the
    window, however late they arrive (`fusion.reorder`)."""

    def __init__(self, local: LocalTracker, window_s: float):
        self.buffer = ReorderBuffer(local, window_s)

    @property
    def local(self) -> LocalTracker:
        return self.buffer.state

    @property
    def tracker(self) -> Tracker:
        return self.buffer.state.tracker

    def positions(self, pm, covered) -> None:
        self.buffer.submit(pm.t, "positions", pm, covered)

    def ranges(self, rm, zone) -> None:
        self.buffer.submit(rm.t, "ranges", rm, zone)

    def stats(self) -> dict:
        s = self.local.stats()
        s["out_of_sequence_dropped"] += self.buffer.too_late
        return s | {
            "out_of_sequence_reordered": self.buffer.late_applied,
            "reorder_window_s": self.buffer.window_s,
        }


class CentralFuser:
    """Every front-end into one tracker."""

    def __init__(self, settings, present, tag_class, strategy=None, window_s: float = 0.0):
        self.ordered = Ordered(LocalTracker(settings, present, tag_class), window_s)

    def positions(self, frontend: str, pm, covered) -> None:
        self.ordered.positions(pm, covered)

    def ranges(self, frontend: str, rm, zone) -> None:
        self.ordered.ranges(rm, zone)

    def tracks(self, t: float) -> list[TrackState]:
        return self.ordered.tracker.states(at=t)

    def stats(self) -> dict:
        return self.ordered.stats() | {"tag_swaps": self.ordered.tracker.stats.tag_swaps}


class TrackToTrackFuser:
    """One tracker per group of front-ends; their confirmed tracks fused by covariance intersection, each
    fused track numbered by the (group, local id) it came from.

    `groups` are (name, feeders) in fusion order. A group is built when its first feeder (its sensor) is
    present; a further feeder whose group is absent (beams without a thermal camera) joins the first group
    built, rather than being lost."""

    def __init__(self, settings, present, tag_class, strategy, window_s: float = 0.0):
        groups = strategy.groups
        built = [(name, feeders) for name, feeders in groups if feeders[0] in present]
        self.local = {
            name: Ordered(
                LocalTracker(settings, tuple(f for f in feeders if f in present), tag_class), window_s
            )
            for name, feeders in built
        }
        self.route = {f: name for name, feeders in reversed(groups) for f in feeders if f in present}
        for f, name in list(self.route.items()):
            if name not in self.local:
                self.route[f] = built[0][0]
        self.gate_probability = settings.tracker.gate_probability
        self._global: dict[tuple[str, int], int] = {}

    def positions(self, frontend: str, pm, covered) -> None:
        self.local[self.route[frontend]].positions(pm, covered)

    def ranges(self, frontend: str, rm, zone) -> None:
        self.local[self.route[frontend]].ranges(rm, zone)

    def _gid(self, key: tuple[str, int]) -> int:
        return self._global.setdefault(key, len(self._global) + 1)

    def tracks(self, t: float) -> list[TrackState]:
        lists = [(name, o.tracker.states(confirmed_only=True, at=t)) for name, o in self.local.items()]
        return [
            TrackState(self._gid((name, s.id)), t, s.x, s.P, s.status, s.cls, s.tag)
            for name, s in fuse_track_lists(lists, self.gate_probability)
        ]

    def stats(self) -> dict:
        return {name: o.stats() for name, o in self.local.items()}


class GreedyFuser:
    """CenterPoint's greedy tracker over detections that carry velocities (`fusion.greedy_tracker`);
    measurements without velocities (and ranges) are not its input and are ignored."""

    def __init__(self, settings, present, tag_class, strategy=None, window_s: float = 0.0):
        g = settings.greedy_tracker
        self.tracker = GreedyTracker(
            GreedyTrackerConfig(
                max_distance_m={"forklift": g.forklift_gate_m, "agv": g.agv_gate_m, "worker": g.worker_gate_m,
                                "unknown": g.worker_gate_m},
                max_coast_s=g.max_coast_s,
                confirm_hits=g.confirm_hits,
                same_class=g.same_class,
            )
        )  # fmt: skip

    def positions(self, frontend: str, pm, covered) -> None:
        if pm.v is not None:
            self.tracker.update(pm.t, pm.z, pm.v, pm.R, pm.Rv, list(pm.cls), pm.score, pm.may_start)

    def ranges(self, frontend: str, rm, zone) -> None:
        pass

    def tracks(self, t: float) -> list[TrackState]:
        return self.tracker.states(at=t)

    def stats(self) -> dict:
        return {"tracks_started": self.tracker.started}


class NullFuser:
    """Takes everything and keeps nothing: a pipeline that only feeds the BEV map (training data)."""

    def __init__(self, settings, present, tag_class, strategy=None, window_s: float = 0.0):
        pass

    def positions(self, frontend: str, pm, covered) -> None:
        pass

    def ranges(self, frontend: str, rm, zone) -> None:
        pass

    def tracks(self, t: float) -> list[TrackState]:
        return []

    def stats(self) -> dict:
        return {}


# A fuser is built from (the scenario's pipeline settings, the strategy's front-ends present in the
# scenario, the tag registry, the strategy, window_s=the reorder window) and answers positions / ranges /
# tracks / stats.
FUSERS = {
    "central": CentralFuser,
    "track-to-track": TrackToTrackFuser,
    "greedy": GreedyFuser,
    "none": NullFuser,
}
FUSER_SUMMARIES = {
    "central": "central (one tracker, measurements in timestamp order)",
    "track-to-track": "track-to-track (one tracker per group, covariance intersection)",
    "greedy": "greedy (CenterPoint: detections matched by their back-projected centres)",
    "none": "none",
}

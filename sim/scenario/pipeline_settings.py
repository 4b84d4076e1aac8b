"""The scenario's `pipeline` block: the strategy, and the typed parameters of every part it is built from.

Each block mirrors the configuration dataclass of the library part it configures, and takes its defaults
from it, so every value has one source; `scenario.resolved.yaml` lists them all. Any of them can be set
from the command line: `whsim run … --set pipeline.tracker.confirm_hits=2`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fusion.greedy_tracker import GreedyTrackerConfig
from fusion.motion import PROCESS_NOISE
from fusion.tracker import TrackerConfig
from perception.bev_map import BevMapConfig
from perception.lidar_detector import LidarDetectorConfig
from perception.point_instances import PointInstanceConfig
from sim.scenario.blob_settings import CameraSettings, ThermalSettings
from sim.scenario.rfid_settings import RfidSettings
from sim.scenario.settings_block import SettingsBlock as _Block

_TRACKER, _BEV, _LIDAR = TrackerConfig(), BevMapConfig(), LidarDetectorConfig()
_BODIES = PointInstanceConfig()
_GREEDY = GreedyTrackerConfig()


def _nats(default: float, description: str):
    """A field of identity evidence, in nats."""
    return Field(default=default, ge=0, le=100, description=description)


class TrackerSettings(_Block):
    """Every tracker of the strategy (track life, gates, identities)."""

    confirm_hits: int = Field(
        default=_TRACKER.confirm_hits, ge=1, le=100, description="a tentative track is confirmed at M hits..."
    )
    confirm_window: int = Field(
        default=_TRACKER.confirm_window, ge=1, le=100, description="...of its last N counted scans (M of N)"
    )
    delete_after_misses: int = Field(
        default=_TRACKER.delete_after_misses,
        ge=1,
        le=10_000,
        description="a confirmed track is lost (no longer reported) after this many consecutive misses where "
        "its sensor could see it",
    )
    keep_lost_s: float = Field(
        default=_TRACKER.keep_lost_s,
        ge=0,
        le=3600,
        description="a lost track coasts unreported this long, to be re-acquired under its id and tag",
    )
    max_position_std_m: float = Field(
        default=2.0,
        gt=0,
        le=1000,
        description="a track coasting unseen is lost past this σ (≈ 2–3 s), deleted past twice it",
    )
    report_position_std_m: float | None = Field(
        default=1.0,
        gt=0,
        le=1000,
        description="a coasting track is not reported past this σ — it drifts off its target, a false track "
        "and a miss at once — but stays, and reappears once measured (null: max_position_std_m). Tuned on "
        "seeds 11-14: MOTA +0.009 on default and busy. Not for a tracker fed by RFID reads alone",
    )
    rfid_only_max_position_std_m: float = Field(
        default=8.0, gt=0, le=1000, description="the same for a tracker fed by RFID reads alone (coarse)"
    )
    init_velocity_std_mps: float = Field(
        default=_TRACKER.init_velocity_std_mps,
        gt=0,
        le=100,
        description="velocity σ of a new track (it starts at rest)",
    )
    gate_probability: float = Field(
        default=_TRACKER.gate_probability,
        gt=0,
        lt=1,
        description="χ² gate: the probability a true measurement falls inside",
    )
    measurement_class: Literal["track", "detection"] = Field(
        default=_TRACKER.measurement_class,
        description="which class's measurement model reads a detection tested against a track: track (the "
        "track's class: where a forklift's or a worker's body is, given what the sensor saw) or detection "
        "(the class the detection reports); gnn only",
    )
    association: Literal["gnn", "jpda", "enn-jpda"] = Field(
        default=_TRACKER.association,
        description="gnn: each track takes at most one measurement (global nearest neighbour); jpda: every "
        "measurement in a confirmed track's gate updates it, weighted by the probability over joint "
        "assignments that it is that track's; enn-jpda: each confirmed track takes the one measurement "
        "those probabilities favour (tentative and lost tracks stay GNN)",
    )
    detection_probability: float = Field(
        default=_TRACKER.detection_probability, gt=0, le=1, description="jpda: P_D of a track per scan"
    )
    clutter_density: float = Field(
        default=_TRACKER.clutter_density,
        gt=0,
        le=1000,
        description="jpda: λ, false detections per m² per scan",
    )
    confirmed_first: bool = Field(
        default=_TRACKER.confirmed_first,
        description="confirmed tracks take their measurements before tentative ones may",
    )
    birth_gate_probability: float = Field(
        default=_TRACKER.birth_gate_probability,
        ge=0,
        lt=1,
        description="a measurement inside a confirmed track's χ² gate at this probability starts no track "
        "(0: off)",
    )
    reorder_window_s: float | None = Field(
        default=None,
        ge=0,
        le=60,
        description="late measurements up to this old are applied in time order (tracks corrected as they "
        "arrive); older ones are dropped and counted. Default: the largest latency the scenario configures "
        "plus one tick (0 without latency)",
    )
    identity: Literal["reads", "likelihood", "gate"] = Field(
        default="reads",
        description="tags bound to tracks by evidence accumulated over a fading window and revised: from "
        "each round's reads and non-reads under the reader's detection model (reads) or from the reads' "
        "RSSI ranges (likelihood); or to the only confirmed track in a read's gate, for the track's life "
        "(gate)",
    )
    rfid_only_identity: Literal["reads", "likelihood", "gate"] = Field(
        default="gate",
        description="the same for a tracker fed by RFID reads alone, whose tracks are born from their "
        "tag's reads: bound for life (gate) it scored MOTA -0.64 on seeds 11-13 of default, against -0.68 "
        "(likelihood) and -0.92 (reads, which moves tags between such tracks)",
    )
    identity_memory_s: float = Field(
        default=_TRACKER.identity_memory_s,
        gt=0,
        le=3600,
        description="reads and likelihood identity: evidence fades with this time constant",
    )
    identity_min_evidence: float = _nats(
        _TRACKER.identity_min_evidence,
        "reads and likelihood identity: nats of evidence a tag needs to bind to a track (1 ≈ 2.7 : 1 odds)",
    )
    class_match_nats: float = _nats(
        _TRACKER.class_match_nats,
        "reads and likelihood identity: evidence for binding a tag to a track of the class the tag is "
        "registered to (a track's class: the one most of its detections gave)",
    )
    class_mismatch_nats: float = _nats(
        _TRACKER.class_mismatch_nats,
        "reads and likelihood identity: evidence against binding a tag to a track of another class than "
        "the one the tag is registered to",
    )
    rfid_range_updates: bool = Field(
        default=False,
        description="RSSI ranges of a bound tag also update the position of a track that other sensors "
        "feed (false: they only identify it; a tracker fed by RFID alone always uses them). At σ ≈ 0.7 × "
        "distance they add little, and their bias pulls tracks off their targets",
    )
    process_noise_forklift: float = Field(
        default=PROCESS_NOISE["forklift"],
        gt=0,
        le=1000,
        description="white-noise acceleration intensity q (m²/s³) of a forklift track's constant-velocity "
        "model (tuned on seeds 11–15; fusion.motion says why)",
    )
    process_noise_agv: float = Field(
        default=PROCESS_NOISE["agv"], gt=0, le=1000, description="the same for an AGV track"
    )
    process_noise_worker: float = Field(
        default=PROCESS_NOISE["worker"], gt=0, le=1000, description="the same for a worker track"
    )
    report_ids: Literal["track", "tag"] = Field(
        default="tag",
        description="ids tracks are reported under: 'tag', a new track carrying an RFID tag under the id "
        "that tag was first reported with, so an actor back from out of view keeps its id (tuning seeds "
        "11–15: IDF1 +0.033 default, +0.000 busy, +0.025 sensor_failure); 'track', the tracker's numbers",
    )
    swap_window_s: float = Field(
        default=_TRACKER.swap_window_s,
        ge=0,
        le=3600,
        description="gate identity: two tags whose reads fit each other's track within this swap",
    )

    @model_validator(mode="after")
    def _m_of_n(self) -> TrackerSettings:
        if self.confirm_hits > self.confirm_window:
            raise ValueError(
                f"confirm_hits ({self.confirm_hits}) must not exceed confirm_window ({self.confirm_window})"
            )
        return self


class BevMapSettings(_Block):
    """The site's merged BEV map (scored as `bev`, drawn in bev.png)."""

    resolution_m: float = Field(
        default=_BEV.resolution_m,
        ge=0.05,
        le=2.0,
        description="grid cell size (the LiDAR detector uses it too)",
    )
    static_margin_m: float = Field(
        default=_BEV.static_margin_m,
        ge=0,
        le=5,
        description="cells this close to racks and walls are static (hits on rack faces)",
    )
    graph_cut_lambda: float = Field(
        default=_BEV.graph_cut_lambda,
        ge=0,
        le=100,
        description="cost of one cell of boundary, in nats of evidence (binary cut)",
    )
    semantic_lambda: float = Field(
        default=_BEV.semantic_lambda, ge=0, le=100, description="Potts weight of the α-expansion labelling"
    )
    max_age_s: float = Field(
        default=_BEV.max_age_s, gt=0, le=60, description="a sensor layer older than this is not merged"
    )


class LidarSettings(_Block):
    """The range-sensor front-end (LiDAR and depth cameras): per-scan BEV graph cut and components."""

    min_height_m: float = Field(
        default=_LIDAR.min_height_m, ge=0, le=10, description="returns above this are not floor"
    )
    graph_cut_lambda: float = Field(
        default=_LIDAR.graph_cut_lambda,
        ge=0,
        le=100,
        description="per-scan cut; lower than the map's, so a far worker's few returns survive",
    )
    bridge_cells: int = Field(
        default=_LIDAR.bridge_cells,
        ge=0,
        le=50,
        description="parts this many cells apart are one body (mast and chassis)",
    )
    min_cells: int = Field(
        default=_LIDAR.min_cells, ge=1, le=10_000, description="smaller components are dropped"
    )
    full_score_cells: int = Field(
        default=_LIDAR.full_score_cells, ge=1, le=1_000_000, description="a component this large scores 1"
    )
    sight_merge_depth_m: float = Field(
        default=_LIDAR.sight_merge_depth_m,
        ge=0,
        le=20,
        description="pieces one behind the other along the line of sight within this depth are one body "
        "(a forklift's near face and mast seen from a low scanner), classed a forklift (0: off)",
    )
    sight_merge_gap_m: float = Field(
        default=_LIDAR.sight_merge_gap_m,
        ge=0,
        le=20,
        description="... when the range between the pieces is at most this",
    )
    sight_merge_min_width_m: float = Field(
        default=_LIDAR.sight_merge_min_width_m,
        ge=0,
        le=20,
        description="... and the near piece is at least this wide across the line of sight (wider than a "
        "worker)",
    )


class PointNetSettings(_Block):
    """The PointNet front-end (LiDAR and depth cameras): segmentation, then bodies from centre votes."""

    weights: str | None = Field(
        default=None,
        max_length=4096,
        description="weights file from `whsim train pointnet`; unset: the shipped ones",
    )
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="where the network runs")
    passes: int = Field(
        default=1, ge=1, le=2, description="2: a second tiling shifted half a tile, averaged (twice the cost)"
    )
    radius_m: float = Field(
        default=_BODIES.radius_m, gt=0, le=5, description="votes closer than this belong to one body"
    )
    min_points: int = Field(
        default=_BODIES.min_points, ge=1, le=100_000, description="bodies with fewer points are dropped"
    )
    min_confidence: float = Field(
        default=_BODIES.min_confidence, ge=0, le=1, description="less sure points do not vote"
    )
    min_sigma_m: float = Field(
        default=_BODIES.min_sigma_m, gt=0, le=10, description="floor of a body centre's σ"
    )
    group_by: Literal["votes", "points"] = Field(
        default=_BODIES.group_by, description="join points whose centre votes, or whose positions, are close"
    )
    centre_by: Literal["votes", "points"] = Field(
        default=_BODIES.centre_by, description="a body's centre: the mean of its votes, or of its points"
    )


class Cnn3dSettings(_Block):
    """The 3D-CNN front-end: boxes with velocities from five recent BEV frames of every sensor."""

    weights: str | None = Field(
        default=None,
        max_length=4096,
        description="weights file from `whsim train cnn3d`; unset: the shipped ones",
    )
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="where the network runs")
    threshold: float = Field(
        default=0.45, gt=0, lt=1, description="heatmap peaks scoring less are not detections"
    )
    birth_score: float = Field(
        default=0.45, gt=0, le=1, description="detections scoring less continue tracks but start none"
    )
    flips: bool = Field(
        default=False,
        description="average the network over the grid's four mirror images (CenterPoint's flip "
        "test-time augmentation): steadier velocities, 2.6 times the network's time a step",
    )
    velocity_sigma_scale: float = Field(
        default=2.0,
        ge=1,
        le=100,
        description="the velocity σ given to the tracker, times the held-out RMSE: consecutive stacks "
        "overlap in time, so their velocity errors are correlated, not independent as a filter assumes",
    )


class GreedyTrackerSettings(_Block):
    """CenterPoint's greedy tracker (the `cnn3d` strategy): gates on back-projected centres, track life."""

    forklift_gate_m: float = Field(
        default=_GREEDY.max_distance_m["forklift"],
        gt=0,
        le=20,
        description="largest match distance, forklifts",
    )
    agv_gate_m: float = Field(
        default=_GREEDY.max_distance_m["agv"], gt=0, le=20, description="largest match distance, AGVs"
    )
    worker_gate_m: float = Field(
        default=_GREEDY.max_distance_m["worker"], gt=0, le=20, description="largest match distance, workers"
    )
    max_coast_s: float = Field(
        default=_GREEDY.max_coast_s, ge=0, le=60, description="an unmatched track is dropped after this long"
    )
    confirm_hits: int = Field(
        default=_GREEDY.confirm_hits, ge=1, le=100, description="matched frames before a track is confirmed"
    )
    same_class: bool = Field(
        default=_GREEDY.same_class, description="a detection only continues a track of its own class"
    )


class OracleSettings(_Block):
    """The idealised `oracle` source: truth with misses, noise and clutter."""

    rate_hz: float = Field(default=10.0, gt=0, le=1000, description="oracle scans per second")
    detection_probability: float = Field(
        default=0.9, ge=0, le=1, description="each actor is detected with this probability"
    )
    sigma_m: float = Field(default=0.25, gt=0, le=100, description="Gaussian position noise σ")
    clutter_per_scan: float = Field(
        default=0.5, ge=0, le=1000, description="mean of the Poisson clutter, uniform over the floor"
    )


class PipelineSettings(_Block):
    strategy: str = Field(
        default="central", description="the tracking strategy (`whsim strategies` lists them)"
    )
    filter: Literal["imm", "numpy", "filterpy"] = Field(
        default="imm",
        description="track filter: IMM of constant velocity and near-stationary (batched), constant velocity "
        "(batched numpy), or the same constant velocity run per track by filterpy (the reference)",
    )
    measurement_model: Literal["fitted", "reported"] = Field(
        default="fitted",
        description="detections moved to body centres and widened by the line-of-sight models fitted on "
        "simulated data (tools/calibrate_measurements.py), or used as the front-ends report them",
    )
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    bev_map: BevMapSettings = Field(default_factory=BevMapSettings)
    camera: CameraSettings = Field(default_factory=CameraSettings)
    thermal: ThermalSettings = Field(default_factory=ThermalSettings)
    lidar: LidarSettings = Field(default_factory=LidarSettings)
    pointnet: PointNetSettings = Field(default_factory=PointNetSettings)
    cnn3d: Cnn3dSettings = Field(default_factory=Cnn3dSettings)
    greedy_tracker: GreedyTrackerSettings = Field(default_factory=GreedyTrackerSettings)
    rfid: RfidSettings = Field(default_factory=RfidSettings)
    oracle: OracleSettings = Field(default_factory=OracleSettings)

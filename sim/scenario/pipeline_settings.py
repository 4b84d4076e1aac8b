"""The scenario's `pipeline` block: the strategy, and the typed parameters of every part it is built from.

Each block mirrors the configuration dataclass of the library part it configures, and takes its defaults
from it, so every value has one source; `scenario.resolved.yaml` lists them all. Any of them can be set
from the command line: `whsim run … --set pipeline.tracker.confirm_hits=2`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from fusion.greedy_tracker import GreedyTrackerConfig
from perception.bev_map import BevMapConfig
from perception.lidar_detector import LidarDetectorConfig
from perception.point_instances import PointInstanceConfig
from sim.scenario.blob_settings import CameraSettings, ThermalSettings
from sim.scenario.rfid_settings import RfidSettings
from sim.scenario.settings_block import SettingsBlock as _Block
from sim.scenario.tracker_settings import TrackerSettings

_WeightsFile = Annotated[str, Field(min_length=1, max_length=4096)]

_BEV, _LIDAR = BevMapConfig(), LidarDetectorConfig()
_BODIES = PointInstanceConfig()
_GREEDY = GreedyTrackerConfig()


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

    weights: _WeightsFile | list[_WeightsFile] | None = Field(
        default=None,
        description="weights file from `whsim train cnn3d`, or a list of them whose maps are averaged (an "
        "ensemble; the first file's held-out figures give the covariances); unset: the two shipped "
        "networks, averaged",
    )
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="where the network runs")
    threshold: float = Field(
        default=0.4, gt=0, lt=1, description="heatmap peaks scoring less are not detections"
    )
    birth_score: float = Field(
        default=0.5, gt=0, le=1, description="detections scoring less continue tracks but start none"
    )
    flips: Literal[1, 2, 4] = Field(
        default=2,  # velocity RMSE 0.299 -> 0.283 / 0.335 -> 0.316 m/s, tuning seeds (docs/models/cnn3d.md)
        description="average the network over this many of the grid's mirror images (CenterPoint's flip "
        "test-time augmentation): 1, the grid alone; 2, the grid and its half turn (about 1.2 times the "
        "grid alone's time on 2 CPU cores); 4, all four mirrors (about twice 2's time); steadier "
        "velocities. "
        "true and false, from files written before, read as 4 and 1",
    )
    velocity_cells: Literal[1, 3, 5] = Field(
        default=3,  # perception.cnn3d_detector.VELOCITY_CELLS (that module imports torch)
        description="the velocity read as the heatmap-weighted mean over this square of output cells "
        "round each peak; 1: the peak cell alone",
    )
    late_layers: bool | None = Field(
        default=None,
        description="a sensor layer already older than bev_map.max_age_s when it arrives is put into the "
        "earlier stacked frames of its time (otherwise a sensor that lags that much never reaches the "
        "network); unset: on for weights trained with `--late-groups`, off for others, which misread it",
    )
    velocity_sigma_scale: float = Field(
        default=2.0,
        ge=1,
        le=100,
        description="the velocity σ given to the tracker, times the held-out RMSE: consecutive stacks "
        "overlap in time, so their velocity errors are correlated, not independent as a filter assumes",
    )

    @field_validator("weights")
    @classmethod
    def _some_weights(cls, v):
        if isinstance(v, list) and not 1 <= len(v) <= 8:
            raise ValueError("a list of 1 to 8 weights files")
        return v

    def weight_files(self) -> tuple[str, ...]:
        """The weights files the front-end loads: those set, or the shipped ensemble."""
        from perception.weights import CNN3D_ENSEMBLE

        if self.weights is None:
            return tuple(str(p) for p in CNN3D_ENSEMBLE)
        return (self.weights,) if isinstance(self.weights, str) else tuple(self.weights)

    @field_validator("flips", mode="before")
    @classmethod
    def _flips_from_bool(cls, v):
        """`flips: true` once meant all four mirror images, `false` none."""
        return (4 if v else 1) if isinstance(v, bool) else v


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
    filter: Literal["imm-bias", "imm", "numpy", "filterpy"] = Field(
        default="imm-bias",
        description="track filter: IMM of constant velocity and near-stationary estimating each sensor's "
        "bias on each track (gnn association only), the same IMM without biases, constant velocity (batched "
        "numpy), or the same constant velocity run per track by filterpy (the reference); all batched but "
        "filterpy",
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

    @model_validator(mode="after")
    def _bias_with_gnn(self) -> PipelineSettings:
        if self.filter == "imm-bias" and self.tracker.association != "gnn":
            raise ValueError(
                f"tracker.association {self.tracker.association} needs a filter without bias states "
                "(filter: imm, numpy or filterpy); filter imm-bias runs with gnn"
            )
        return self

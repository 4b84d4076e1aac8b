"""Pydantic v2 models of a scenario file (SPEC §4): types, ranges and defaults, no physics.

Physics checks that need the whole scenario (inside the building, reachable paths, rates below 1/dt)
live in `sim.world.feasibility`; this module only knows what one field may hold.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sim.scenario.pipeline_settings import PipelineSettings

# Sane limits (SPEC §4): a scenario beyond these is a typo, not a warehouse.
# Scale limits, each one measured running (docs/scenarios.md, "Scale"): a 300 m × 200 m floor with 500
# actors and 64 sensors. Past them the file is refused rather than run out of memory or time.
MAX_BUILDING_M = 300.0
MAX_FLOOR_M2 = 60_000.0
# List lengths, each run at its limit by the slow tests (the 300 m × 200 m site has 72 rack blocks).
MAX_RACK_BLOCKS = 100
MAX_WALLS = 200
MAX_DOCKS = 64
MAX_HEAT_SOURCES = 200  # 10⁵ ran for minutes before the first tick (each is cast into every thermal view)
MAX_TAGS_PER_ACTOR = 8
MAX_FAULTS = 1000
MAX_ACTORS = 500
MAX_SENSORS = 64
MAX_DURATION_S = 24 * 3600.0
MAX_TICKS = 10_000_000

ActorKind = Literal["forklift", "agv", "worker"]
Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Pixels = Annotated[int, Field(ge=8, le=8192)]


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


# ----------------------------------------------------------------------------------------------- layout
class RackBlock(Model):
    """A block of `rows` parallel rack rows along +x, `row_spacing_m` apart (origin to origin) along +y."""

    origin: Vec2 = Field(description="south-west corner of the first row, m")
    rows: int = Field(ge=1, le=200)
    row_spacing_m: PositiveFloat = Field(le=MAX_BUILDING_M, description="row origins' pitch along +y, m")
    bays: int = Field(ge=1, le=500)
    bay_length_m: PositiveFloat = Field(le=20)  # pallet racking bays are 1.8–3.6 m
    depth_m: PositiveFloat = Field(le=10)
    levels: int = Field(default=4, ge=1, le=20)
    level_height_m: PositiveFloat = Field(default=1.5, le=10)
    pallet_fill: float = Field(default=0.6, ge=0, le=1, description="fraction of bay slots holding a pallet")
    pallet_tag_prefix: str | None = Field(default=None, description="tag pallets with RFID ids PREFIX-NNNN")

    @model_validator(mode="after")
    def _rows_do_not_overlap(self) -> RackBlock:
        if self.rows > 1 and self.row_spacing_m <= self.depth_m:
            raise ValueError(
                f"row_spacing_m ({self.row_spacing_m}) must exceed depth_m ({self.depth_m}) "
                "so rows do not overlap"
            )
        return self


class Wall(Model):
    """An interior wall segment."""

    start: Vec2 = Field(alias="from")
    end: Vec2 = Field(alias="to")
    thickness_m: PositiveFloat = Field(default=0.2, le=2.0)
    height_m: PositiveFloat = Field(default=4.0, le=60)


class Dock(Model):
    """A dock door: an opening in the perimeter wall centred on `position`."""

    position: Vec2
    width_m: PositiveFloat = Field(default=3.0, le=50)


class HeatSource(Model):
    """A static warm object (heater, charger, motor) seen by thermal cameras."""

    position: Vec2 | Vec3
    temperature_c: float = Field(ge=-50, le=1000)
    radius_m: PositiveFloat = Field(default=0.3, le=20)


class Layout(Model):
    size_m: Vec2 = Field(description="building length along x and width along y, m")
    height_m: PositiveFloat = Field(default=10.0, le=60)
    wall_thickness_m: PositiveFloat = Field(0.2, le=2.0)  # a fire wall is ≈ 0.3 m; 2 m is a bunker
    racks: list[RackBlock] = Field(default_factory=list, max_length=MAX_RACK_BLOCKS)
    walls: list[Wall] = Field(default_factory=list, max_length=MAX_WALLS)
    docks: list[Dock] = Field(default_factory=list, max_length=MAX_DOCKS)
    heat_sources: list[HeatSource] = Field(default_factory=list, max_length=MAX_HEAT_SOURCES)
    ambient_c: float = Field(default=18.0, ge=-40, le=50, description="ambient floor/air temperature, °C")

    @model_validator(mode="after")
    def _size(self) -> Layout:
        for axis, v in zip("xy", self.size_m, strict=True):
            if not 0 < v <= MAX_BUILDING_M:
                raise ValueError(f"size_m along {axis} must be in (0, {MAX_BUILDING_M:g}] m, got {v:g}")
        area = self.size_m[0] * self.size_m[1]
        if area > MAX_FLOOR_M2:
            raise ValueError(
                f"size_m {self.size_m[0]:g} × {self.size_m[1]:g} m is {area:,.0f} m² of floor; at most "
                f"{MAX_FLOOR_M2:,.0f} m² (e.g. 300 × 200 m)"
            )
        return self


# ----------------------------------------------------------------------------------------------- motion
class WaypointsMotion(Model):
    """Drive through `points` in order (planned on the aisle roadmap between them)."""

    type: Literal["waypoints"]
    points: list[Vec2] = Field(min_length=1, max_length=10_000)
    speed_mps: PositiveFloat | None = Field(default=None, description="cruise speed; default the kind's max")
    loop: bool = False
    dwell_s: NonNegFloat = Field(default=0.0, description="pause at each waypoint (picking, loading)")


class PatrolMotion(Model):
    """Wander between random reachable goals drawn from the actor's own RNG."""

    type: Literal["patrol"]
    speed_mps: PositiveFloat | None = None
    start: Vec2 | None = Field(default=None, description="start position; random free spot if omitted")
    region: tuple[Vec2, Vec2] | None = Field(
        default=None, description="[[x0, y0], [x1, y1]] rectangle goals are drawn from"
    )
    dwell_s: tuple[NonNegFloat, NonNegFloat] = Field(default=(1.0, 5.0), description="pause range at goals")


class StationaryMotion(Model):
    type: Literal["stationary"]
    position: Vec2
    yaw_deg: float = 0.0


Motion = Annotated[WaypointsMotion | PatrolMotion | StationaryMotion, Field(discriminator="type")]


class Actor(Model):
    """A dynamic object: forklift, AGV or worker. Sizes and limits default per kind (sim.world.kinds)."""

    id: Identifier
    kind: ActorKind
    motion: Motion
    size_m: Vec3 | None = Field(default=None, description="length, width, height; default per kind")
    max_speed_mps: PositiveFloat | None = None
    spawn_s: NonNegFloat = 0.0
    leave_s: PositiveFloat | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_TAGS_PER_ACTOR
    )
    temperature_c: float | None = Field(default=None, ge=-50, le=300)

    @model_validator(mode="after")
    def _times(self) -> Actor:
        if self.leave_s is not None and self.leave_s <= self.spawn_s:
            raise ValueError(f"leave_s ({self.leave_s:g}) must be after spawn_s ({self.spawn_s:g})")
        if self.size_m is not None and min(self.size_m) <= 0:
            raise ValueError("size_m values must all be positive")
        return self


# ---------------------------------------------------------------------------------------------- sensors
class _Pose(Model):
    """Position plus either a look-at point or yaw/pitch/roll (degrees)."""

    position: Vec3
    look_at: Vec3 | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float = 0.0

    @model_validator(mode="after")
    def _orientation(self) -> _Pose:
        if self.look_at is not None and (self.yaw_deg is not None or self.pitch_deg is not None):
            raise ValueError("give either look_at or yaw_deg/pitch_deg, not both")
        if self.look_at is not None and tuple(self.look_at) == tuple(self.position):
            raise ValueError("look_at must differ from position")
        return self


class CameraSensor(_Pose):
    type: Literal["camera"]
    id: Identifier
    resolution: tuple[Pixels, Pixels] = (320, 240)
    hfov_deg: float = Field(default=90.0, gt=0, lt=180)
    rate_hz: PositiveFloat = 10.0
    noise_std: float = Field(default=0.02, ge=0, le=1, description="pixel noise, fraction of full scale")


class LidarSensor(_Pose):
    type: Literal["lidar"]
    id: Identifier
    preset: Literal["vlp16", "depth_cam"] = "vlp16"
    rate_hz: PositiveFloat = 10.0
    max_range_m: PositiveFloat | None = None
    range_noise_m: NonNegFloat | None = None
    dropout: float = Field(default=0.0, ge=0, lt=1, description="probability a return is lost")


class RfidSensor(_Pose):
    type: Literal["rfid"]
    id: Identifier
    boresight: Vec3 = (1.0, 0.0, 0.0)
    region: Literal["EU", "US"] = "EU"
    tx_power_dbm: float = Field(default=30.0, ge=0, le=36)  # ETSI EN 302 208: 2 W ERP ≈ 35 dBm EIRP cap
    antenna_gain_dbi: float = Field(default=6.0, ge=-10, le=15)
    rate_hz: PositiveFloat = 10.0
    max_reads_per_s: PositiveFloat = Field(default=130.0, le=2000)
    hop_dwell_s: float | None = Field(default=None, gt=0, le=60)  # time on one channel (None: the region's)

    @model_validator(mode="after")
    def _boresight(self) -> RfidSensor:
        if sum(c * c for c in self.boresight) < 1e-12:
            raise ValueError("boresight must be a non-zero vector")
        return self


class ThermalSensor(_Pose):
    type: Literal["thermal"]
    id: Identifier
    resolution: tuple[Annotated[int, Field(ge=8, le=4096)], Annotated[int, Field(ge=8, le=4096)]] = (160, 120)
    hfov_deg: float = Field(default=57.0, gt=0, lt=180)
    # FLIR Lepton 3.5 datasheet: frame rate < 9 Hz (8.7 Hz export-compliant), NETD < 50 mK.
    rate_hz: float = Field(default=8.7, gt=0, le=8.7)
    netd_k: NonNegFloat = 0.05


class BeamSensor(Model):
    """A break-beam: a segment that is blocked when any actor's box crosses it. Evaluated every tick."""

    type: Literal["beam"]
    id: Identifier
    start: Vec3 = Field(alias="from")
    end: Vec3 = Field(alias="to")

    @model_validator(mode="after")
    def _length(self) -> BeamSensor:
        if tuple(self.start) == tuple(self.end):
            raise ValueError("from and to must differ")
        return self


Sensor = Annotated[
    CameraSensor | LidarSensor | RfidSensor | ThermalSensor | BeamSensor, Field(discriminator="type")
]


# ----------------------------------------------------------------------------------------------- faults
class _Window(Model):
    sensor: str
    start_s: NonNegFloat = 0.0
    end_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _window(self) -> _Window:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s:g}) must be after start_s ({self.start_s:g})")
        return self


class DropoutFault(_Window):
    """The sensor delivers nothing inside the window."""

    type: Literal["dropout"]


class LatencyFault(_Window):
    """Readings are delivered `latency_s` after they were measured."""

    type: Literal["latency"]
    latency_s: PositiveFloat = Field(le=60)


class MiscalibrationFault(_Window):
    """Readings are simulated from the true pose and reported with a believed pose offset by these amounts:
    a step of `offset_m` and `yaw_deg` at `start_s`, growing by the drift rates from then on (a mount that
    creeps: a loosening bracket, thermal expansion)."""

    type: Literal["miscalibration"]
    offset_m: Vec3 = (0.0, 0.0, 0.0)
    yaw_deg: float = Field(default=0.0, ge=-180, le=180)
    drift_m_per_s: Vec3 = Field(default=(0.0, 0.0, 0.0), description="offset added per second after start_s")
    drift_deg_per_s: float = Field(
        default=0.0, ge=-10, le=10, description="yaw added per second after start_s"
    )

    @model_validator(mode="after")
    def _drift(self) -> MiscalibrationFault:
        if any(abs(v) > 1.0 for v in self.drift_m_per_s):
            raise ValueError(
                f"drift_m_per_s {list(self.drift_m_per_s)}: each component must be within ±1 m/s"
            )
        return self


class BurstDropoutFault(_Window):
    """Readings lost in bursts, as a flaky link or a saturated switch loses frames: a two-state
    (Gilbert–Elliott) channel that enters a burst with `p_enter` per reading and stays in it for
    `mean_burst` readings on average (geometric), losing every reading of the burst."""

    type: Literal["burst_dropout"]
    p_enter: float = Field(default=0.05, gt=0, le=1, description="chance per reading that a burst starts")
    mean_burst: float = Field(default=5.0, ge=1, le=10_000, description="mean readings lost per burst")


class ClockFault(_Window):
    """The sensor stamps its readings with a clock `offset_s` off the true time, plus a Gaussian `jitter_s`
    per reading (an unsynchronised or drifting device clock); the readings still arrive when they are made."""

    type: Literal["clock"]
    offset_s: float = Field(default=0.0, ge=-1, le=1)
    jitter_s: float = Field(default=0.0, ge=0, le=0.1)


class MultipathFault(_Window):
    """RFID multipath (an RFID reader only): reflections off moving metal — forklift masts, roller doors —
    add paths that come and go. In bursts (the same two-state channel as `burst_dropout`) every read's RSSI
    jumps by N(0, `rssi_jump_db`²) dB, and the reader reads on average `ghost_reads` tags per round that
    its direct path could not power: unread tags within `ghost_range_m`, barely powered through a
    reflection (weak RSSI, phase unrelated to their distance)."""

    type: Literal["multipath"]
    p_enter: float = Field(default=0.05, gt=0, le=1, description="chance per round that a burst starts")
    mean_burst: float = Field(default=5.0, ge=1, le=10_000, description="mean rounds a burst lasts")
    rssi_jump_db: float = Field(default=6.0, ge=0, le=30, description="σ of the extra fading of each read")
    ghost_reads: float = Field(default=1.0, ge=0, le=100, description="mean ghost reads per round in a burst")
    ghost_range_m: float = Field(default=15.0, gt=0, le=100, description="ghosts are tags this close")


class HotSpotFault(_Window):
    """A heat source the site map does not know, in this thermal camera's view (a thermal camera only): a
    charger parked somewhere new, a radiator switched on, a patch of sun through a skylight. A disc on the
    floor at a 2-D `position`, or a ball at a 3-D one, at `temperature_c` within `radius_m`."""

    type: Literal["hot_spot"]
    position: Vec2 | Vec3
    temperature_c: float = Field(default=45.0, ge=-50, le=1000)
    radius_m: float = Field(default=0.6, gt=0, le=20)


Fault = Annotated[
    DropoutFault
    | LatencyFault
    | MiscalibrationFault
    | BurstDropoutFault
    | ClockFault
    | MultipathFault
    | HotSpotFault,
    Field(discriminator="type"),
]


class Scenario(Model):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=128)
    description: str = ""
    seed: int = Field(default=0, ge=0, lt=2**63)
    duration_s: float = Field(gt=0, le=MAX_DURATION_S)
    dt_s: float = Field(default=0.05, gt=0, le=1.0)
    layout: Layout
    actors: list[Actor] = Field(default_factory=list, max_length=MAX_ACTORS)
    sensors: list[Sensor] = Field(default_factory=list, max_length=MAX_SENSORS)
    faults: list[Fault] = Field(default_factory=list, max_length=MAX_FAULTS)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)

    @field_validator("dt_s")
    @classmethod
    def _ticks(cls, dt_s: float, info: ValidationInfo) -> float:
        duration = info.data.get("duration_s")
        if duration is not None and duration / dt_s > MAX_TICKS:
            raise ValueError(
                f"duration_s / dt_s = {duration / dt_s:,.0f} ticks; at most {MAX_TICKS:,} "
                "(a longer dt_s or a shorter duration_s)"
            )
        return dt_s

    @property
    def n_ticks(self) -> int:
        """Ticks to simulate: the last tick's time is the largest tick·dt not past duration_s."""
        return int(self.duration_s / self.dt_s + 1e-9)

"""The scenario's `pipeline.tracker` block: every tracker of the strategy (track life, gates, motion,
identities), its defaults taken from `fusion.tracker.TrackerConfig`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fusion.motion import PROCESS_NOISE
from fusion.tracker import TrackerConfig
from sim.scenario.settings_block import SettingsBlock as _Block

_TRACKER = TrackerConfig()


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
    bias_fraction: float = Field(
        default=0.3,  # tuned on seeds 11–20 with the shipped measurement models (0.2–0.7 tried)
        ge=0,
        lt=1,
        description="filter imm-bias: the share of a detection's covariance that is a bias carried from scan "
        "to scan, estimated per track and sensor (the rest is white noise)",
    )
    bias_sources: list[Literal["camera", "thermal", "lidar", "pointnet", "cnn3d", "beam"]] = Field(
        # cnn3d added 2026-12-04 with its score-law covariances (tuning seeds 11-15: position NEES inside
        # its band 0.818 -> 0.888 on default, IDF1 within noise)
        default=["camera", "thermal", "lidar", "pointnet", "cnn3d"],
        description="filter imm-bias: the sources whose detections carry a bias per sensor and track (a body "
        "seen from one side by one sensor; the 3D-CNN's boxes, from stacks that share most of their frames); "
        "the others' errors are taken as independent from scan to scan",
    )
    bias_time_s: float = Field(
        default=_TRACKER.bias_time_s,
        gt=0,
        le=3600,
        description="filter imm-bias: the time constant over which such a bias changes",
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
    rfid_only_process_noise_worker: float = Field(
        default=0.3,
        gt=0,
        le=1000,
        description="the same for a worker track of a tracker fed by RFID reads "
        "alone: its coarse ranges need the looser model (seeds 11-20, against 0.1: MOTA +0.01 to +0.05)",
    )
    report_ids: Literal["track", "tag"] = Field(
        default="tag",
        description="ids tracks are reported under: 'tag', a new track carrying an RFID tag under the id "
        "that tag has been reported under longest, so an actor back from out of view keeps its id (tuning "
        "seeds 11–15: IDF1 +0.033 default, +0.000 busy, +0.025 sensor_failure); 'track', the tracker's "
        "numbers",
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

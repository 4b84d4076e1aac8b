"""The tracker's parameters: one field per parameter of its default parts, each documented on the part that
reads it (`fusion.tracker.Tracker` builds the parts from them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackerConfig:
    """Parameters of the default parts; each is documented on the part that reads it."""

    confirm_hits: int = 3  # MofNInitiator.hits
    confirm_window: int = 5  # MofNInitiator.window
    delete_after_misses: int = 6  # MissDeleter.after_misses
    keep_lost_s: float = 5.0  # MissDeleter.keep_lost_s
    max_position_std_m: float = 4.0  # MissDeleter.max_position_std_m
    report_position_std_m: float | None = None  # MissDeleter.report_std_m
    init_velocity_std_mps: float = 2.0  # MofNInitiator.init_velocity_std_mps
    # GnnAssociator and the range / bearing gates: 99.9 %, as detection errors are heavier-tailed than
    # Gaussian (tuned on seeds 11–14 of default, busy, sensor_failure: 0.99 → 0.999 MOTA +0.02–0.03)
    gate_probability: float = 0.999
    confirmed_first: bool = True  # confirmed tracks take their measurements before tentative ones
    # A measurement this close to a confirmed track starts none: 1 − 10⁻¹¹ (7.1 σ). 1 − 10⁻⁷ (5.7 σ) was
    # tuned against 10⁻⁴ (default MOTA +0.005); with consistent detection covariances and bias states
    # (filter imm-bias) the gates are tighter and duplicates of a tracked body got born: seeds 11–20 of
    # default / busy / sensor_failure against 1 − 10⁻⁷, IDF1 +0.014 / +0.002 / +0.014, MOTA +0.003 /
    # −0.005 / +0.006 (10⁻⁹ and 10⁻¹³ tried; without bias states the change is inside ±0.01)
    birth_gate_probability: float = 1 - 1e-11
    swap_window_s: float = 2.0  # TagBinder.swap_window_s
    identity: str = "reads"  # "reads" (ReadBinder), "likelihood" (LikelihoodBinder), "gate" (TagBinder)
    identity_memory_s: float = 10.0  # LikelihoodBinder.memory_s
    identity_min_evidence: float = 1.0  # LikelihoodBinder.min_evidence
    class_match_nats: float = 1.0  # LikelihoodBinder.class_match_nats (tuned on seeds 11–13: 0.4–2 tried)
    class_mismatch_nats: float = 3.0  # LikelihoodBinder.class_mismatch_nats (0.55–4 tried)
    range_updates: bool = True  # ranges of a bound tag update its track's state (else they only identify)
    # "imm" (CV + stationary), "imm-bias" (the same with each sensor's bias per track in the state,
    # fusion.sensor_bias), "numpy" (batched CV), "filterpy" (reference, per track)
    filter: str = "imm"
    # BiasModel.fraction and .time_s (filter "imm-bias"), tuned on seeds 11–15 then 11–20 of default, busy,
    # sensor_failure: fraction 0.3–0.7 and time 0.5–5 s tried; 0.5 and 1 s best in IDF1 and NEES together
    bias_fraction: float = 0.5
    bias_time_s: float = 1.0
    # Which class's measurement model reads a detection tested against a track: "track" (the track's class,
    # from `PositionMeasurements.by_class` where the source has body models) or "detection" (its reported one)
    # Seeds 11–20 of default, busy, sensor_failure, against "detection": NEES inside its band +0.085,
    # +0.066, +0.071; IDF1 +0.052, +0.033, +0.031; MOTA +0.015, −0.004, +0.015
    measurement_class: str = "track"
    association: str = "gnn"  # "gnn" (GnnAssociator), "jpda" or "enn-jpda" (fusion.jpda, confirmed tracks)
    detection_probability: float = 0.9  # JPDA's P_D
    clutter_density: float = 0.2  # JPDA's λ per m² per scan, tuned on seeds 11–16 (0.02–5 tried)

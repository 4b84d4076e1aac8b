"""Per-kind defaults for actors: body size, kinematic limits and surface temperature.

Sources for the constants:
- Forklift: indoor counterbalance trucks are commonly limited to 8–10 km/h (2.2–2.8 m/s) in aisles
  (e.g. the 10 km/h limit recommended by many site rules under EN ISO 3691-1); body ≈ 2.5 × 1.2 m with a
  2.2 m lowered mast; engine/motor housing 50–70 °C when running (SPEC §8).
- AGV: ISO 3691-4 style low-profile tuggers/carriers travel ≈ 1–1.5 m/s; ≈ 1.0 × 0.7 × 0.4 m; 25–30 °C.
- Worker: comfortable walking speed ≈ 1.3–1.5 m/s (Bohannon 1997, Age and Ageing 26:15–19); body
  ≈ 0.5 × 0.4 × 1.75 m; clothed surface 30–34 °C (SPEC §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from perception.classes import CLASS_NAMES as SEMANTIC_CLASSES

CLASS_IDS = {name: k for k, name in enumerate(SEMANTIC_CLASSES)}  # SPEC §3 ids, one source in perception
CLASS_NAMES = dict(enumerate(SEMANTIC_CLASSES))


@dataclass(frozen=True)
class KindSpec:
    """Defaults for one actor kind; every figure may be overridden per actor where the scenario allows."""

    size_m: tuple[float, float, float]  # length, width, height
    max_speed_mps: float
    accel_mps2: float  # largest forward acceleration
    decel_mps2: float  # largest braking
    lat_accel_mps2: float  # largest lateral (centripetal) acceleration
    yaw_rate_rps: float  # largest yaw rate
    temperature_c: float  # surface temperature seen by thermal cameras
    priority: int  # who gives way: lower gives way to higher
    margin_m: float = 0.25  # clearance kept to racks and walls beyond half the body width


KINDS: dict[Literal["forklift", "agv", "worker"], KindSpec] = {
    "forklift": KindSpec((2.5, 1.2, 2.2), 2.5, 1.0, 1.5, 1.0, 1.0, 60.0, priority=3),
    "agv": KindSpec((1.0, 0.7, 0.4), 1.5, 0.5, 0.8, 0.5, 1.6, 27.5, priority=2),
    "worker": KindSpec((0.5, 0.4, 1.75), 1.4, 1.0, 2.0, 2.0, 3.0, 32.0, priority=1, margin_m=0.2),
}

"""Registry of tracking strategies (SPEC §5 `whsim strategies`).

A strategy is listed with what it needs; one whose parts are not built yet is listed as unavailable and is
never faked: `whsim run --strategy NAME` refuses it with exit 2, and a scenario that names it runs
ground truth and timing only, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StrategyInfo:
    name: str
    summary: str
    needs: str  # the part of whsim it is waiting for, when not available
    available: bool = False


STRATEGIES: dict[str, StrategyInfo] = {
    s.name: s
    for s in (
        StrategyInfo("none", "no tracking: ground truth and timing only", "", available=True),
        StrategyInfo(
            "oracle", "truth with detection probability, noise and clutter (idealised)", "fusion tracker"
        ),
        StrategyInfo("rfid", "RFID reads only (range/RSSI EKF, identities from tags)", "fusion tracker"),
        StrategyInfo("thermal", "thermal hot blobs only", "thermal blob extraction, fusion tracker"),
        StrategyInfo("camera", "camera BEV graph-cut detections only", "BEV perception, fusion tracker"),
        StrategyInfo("lidar", "LiDAR BEV detections only", "BEV perception, fusion tracker"),
        StrategyInfo(
            "central", "every measurement into one tracker, in timestamp order", "perception, fusion tracker"
        ),
        StrategyInfo(
            "t2t-ci",
            "one tracker per sensor type, fused by covariance intersection",
            "perception, fusion tracker",
        ),
    )
}

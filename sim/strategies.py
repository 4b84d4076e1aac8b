"""Registry of tracking strategies (SPEC §5 `whsim strategies`).

A strategy is listed with what it needs; one whose parts are not built yet is listed as unavailable and is
never faked: `whsim run --strategy NAME` refuses it with exit 2, and a scenario that names it runs
ground truth, sensors and timing only, saying so. The pipelines themselves live in `sim.pipeline`.
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
        StrategyInfo("none", "no tracking: ground truth, sensor readings and timing only", "", True),
        StrategyInfo(
            "oracle",
            "IDEALISED: truth with 0.9 detection probability, 0.25 m noise, Poisson clutter",
            "",
            True,
        ),
        StrategyInfo(
            "rfid", "RFID reads only: RSSI ranges (EKF), identities from tags, zone initiation", "", True
        ),
        StrategyInfo("thermal", "thermal warm blobs projected to the floor", "", True),
        StrategyInfo(
            "camera",
            "camera background subtraction, foreground blobs placed by their contact points",
            "",
            True,
        ),
        StrategyInfo("lidar", "LiDAR BEV evidence, graph cut, connected components", "", True),
        StrategyInfo(
            "central",
            "camera, LiDAR, thermal, RFID and beam measurements into one tracker in timestamp order",
            "",
            True,
        ),
        StrategyInfo(
            "t2t-ci",
            "one tracker per sensor type (camera, LiDAR, thermal with beams, RFID), fused by covariance "
            "intersection",
            "",
            True,
        ),
    )
}

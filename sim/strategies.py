"""Tracking strategies as data: which front-ends feed which fuser (SPEC §5 `whsim strategies`).

A strategy names its front-ends (`sim.pipeline.frontends`) and its fuser (`sim.pipeline.fusers`): one
`central` tracker, `track-to-track` fusion of per-group trackers, or `none`. Adding a strategy is one entry
here (or `register(Strategy(...))` from user code); adding a front-end or a fuser is described in
docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_SENSORS = ("camera", "lidar", "thermal", "rfid", "beam")
BEV_SENSORS = ("camera", "lidar", "thermal")  # the front-ends whose evidence the 3D-CNN reads


@dataclass(frozen=True)
class Strategy:
    """`frontends` in the order they are listed; `groups` ((name, feeders), …) for `track-to-track`;
    `evidence_only`: front-ends that feed the BEV map but whose detections the fuser never sees."""

    name: str
    summary: str
    frontends: tuple[str, ...] = ()
    fuser: str = "central"  # "central" | "track-to-track" | "greedy" | "none"
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    evidence_only: tuple[str, ...] = ()


STRATEGIES: dict[str, Strategy] = {}


def register(strategy: Strategy) -> Strategy:
    STRATEGIES[strategy.name] = strategy
    return strategy


for _s in (
    Strategy("none", "no tracking: ground truth, sensor readings and timing only", fuser="none"),
    Strategy(
        "oracle",
        "IDEALISED: truth with 0.9 detection probability, 0.25 m noise, Poisson clutter",
        ("oracle",),
    ),
    Strategy("rfid", "RFID reads only: RSSI ranges (EKF), identities from tags, zone initiation", ("rfid",)),
    Strategy("thermal", "thermal warm blobs projected to the floor", ("thermal",)),
    Strategy(
        "camera",
        "camera background subtraction, foreground blobs placed by their contact points",
        ("camera",),
    ),
    Strategy("lidar", "LiDAR BEV evidence, graph cut, connected components", ("lidar",)),
    Strategy(
        "pointnet",
        "LiDAR and depth clouds segmented by PointNet, bodies grouped by their centre votes",
        ("pointnet",),
    ),
    Strategy(
        "central",
        "camera, LiDAR, thermal, RFID and beam measurements into one tracker in timestamp order",
        ALL_SENSORS,
    ),
    Strategy(
        "central-pointnet",
        "as central, with PointNet in place of the pillar detector for LiDAR and depth clouds",
        ("camera", "pointnet", "thermal", "rfid", "beam"),
    ),
    Strategy(
        "cnn3d",
        "3D-CNN over five recent BEV frames of cameras, LiDAR and thermal; CenterPoint's greedy tracker",
        ("cnn3d", "camera", "lidar", "thermal"),
        fuser="greedy",
        evidence_only=BEV_SENSORS,
    ),
    Strategy(
        "cnn3d-kf",
        "as central, with the 3D-CNN's boxes and velocities in place of camera, LiDAR and thermal detections",
        ("cnn3d", "camera", "lidar", "thermal", "rfid", "beam"),
        evidence_only=BEV_SENSORS,
    ),
    Strategy(
        "t2t-ci",
        "one tracker per sensor type (camera, LiDAR, thermal with beams, RFID), fused by covariance "
        "intersection",
        ALL_SENSORS,
        fuser="track-to-track",
        groups=(
            ("camera", ("camera",)),
            ("lidar", ("lidar",)),
            ("thermal", ("thermal", "beam")),
            ("rfid", ("rfid",)),
        ),
    ),
):
    register(_s)


def print_strategies() -> None:
    """Each strategy: its summary, the sensors it needs, its front-ends and its fuser."""
    from sim.pipeline.frontends import FRONTENDS
    from sim.pipeline.fusers import FUSER_SUMMARIES
    from sim.sensor_kinds import SENSOR_KINDS

    for s in STRATEGIES.values():
        print(f"{s.name}  {s.summary}")
        if s.fuser == "none":
            continue
        kinds = [FRONTENDS[f] for f in s.frontends]
        needs = " or ".join(SENSOR_KINDS[k.sensor_type].noun for k in kinds if k.sensor_type and k.sufficient)
        needs = needs or "nothing (idealised)"
        fronts = ", ".join(
            f"{f} ({FRONTENDS[f].summary}{'; BEV evidence only' if f in s.evidence_only else ''})"
            for f in s.frontends
        )
        groups = "; ".join(f"{g}: {'+'.join(fs)}" for g, fs in s.groups)
        print(f"    needs      {needs or 'nothing (idealised)'}")
        print(f"    front-ends {fronts}")
        print(f"    fuser      {FUSER_SUMMARIES[s.fuser]}" + (f" — groups {groups}" if groups else ""))

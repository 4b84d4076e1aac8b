"""PointNet front-end for range sensors (LiDAR sweeps and depth-camera clouds): each scan segmented by the
tiled PointNet (`perception.point_segmenter`), with no moving body inside the site map's racks and walls;
its forklift, AGV and worker points grouped by their centre votes into bodies (`perception.point_instances`);
BEV evidence from those points."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from fusion.measurements import PositionMeasurements
from perception.bev import lidar_pillars
from perception.classes import CLASS_NAMES, TRACKED
from perception.evidence import lidar_evidence
from perception.lidar_detector import cells_seen
from perception.point_instances import PointInstanceConfig, group_votes
from perception.weights import POINTNET
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.sensors.readings import PointCloud

FULL_SCORE_POINTS = 30  # a body this many points strong scores 1


@lru_cache(maxsize=4)
def _segmenter(path: str, device: str, passes: int):
    """One loaded network per weights file and device, shared by every sensor of a run (and of a process)."""
    from perception.point_segmenter import PointSegmenter  # torch loads only when a strategy needs it
    from perception.pointnet import WeightsError
    from sim.errors import UsageError, require_cuda

    if device == "cuda":
        require_cuda("pipeline.pointnet.device 'cuda'")
    try:
        return PointSegmenter.from_file(path, device=device, passes=passes)
    except (WeightsError, OSError) as e:
        raise UsageError(f"pipeline.pointnet.weights: {e}") from None


class PointNetFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        s = ctx.settings.pointnet
        self.segmenter = _segmenter(s.weights or str(POINTNET), s.device, s.passes)
        self.config = PointInstanceConfig(
            s.radius_m, s.min_points, s.min_confidence, s.min_sigma_m, s.group_by, s.centre_by
        )
        self.depth_camera = getattr(spec, "preset", "vlp16") == "depth_cam"
        self.grid, self.static = ctx.bev_map.grid, ctx.bev_map.static

    def process(self, pc: PointCloud) -> FrontEndOutput:
        # The site map is known (as the pillar detector knows it): a body's point inside a rack row or a
        # wall is a misread rack, pallet or wall — PointNet's commonest error on sparse VLP-16 returns.
        fixed = self.grid.at(self.static, pc.points[:, :2], outside=True)
        seg = self.segmenter.segment(pc.points, pc.pose[:3, 3], pc.intensity, self.depth_camera, fixed)
        tracked = np.isin(seg.labels, TRACKED)
        confidence = np.where(tracked, seg.confidence, 0.0)
        bodies = group_votes(pc.points, seg.labels, confidence, seg.votes, self.config)
        pm = PositionMeasurements(
            pc.t,
            pc.sensor_id,
            "pointnet",
            bodies.centre,
            bodies.covariance,
            tuple(CLASS_NAMES[int(c)] for c in bodies.cls),
            np.minimum(1.0, bodies.n_points / FULL_SCORE_POINTS),
        )
        pillars = lidar_pillars(self.grid, pc.points, pc.intensity, select=tracked)
        evidence = lidar_evidence(pillars, pillars.selected, self.static)
        return FrontEndOutput(
            positions=pm,
            covered=cells_seen(self.grid, evidence.known),
            evidence_layer=(evidence, pillars.z_max),
            point_labels=seg.labels,
        )


KIND = register(
    FrontEndKind(
        "pointnet",
        "lidar",
        PointCloud,
        True,
        "PointNet segmentation of each cloud, bodies grouped by their centre votes (LiDAR, depth camera)",
        PointNetFrontEnd,
        preflight=lambda s: _segmenter(
            s.pointnet.weights or str(POINTNET), s.pointnet.device, s.pointnet.passes
        ),
    )
)

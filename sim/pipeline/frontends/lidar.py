"""Range-sensor front-end (LiDAR sweeps and depth-camera clouds alike): per-scan BEV detector on the
site's grid (`perception.lidar_detector`), the scan's evidence for the BEV map."""

from __future__ import annotations

import numpy as np

from fusion.measurements import PositionMeasurements
from perception.lidar_detector import LidarDetector, LidarDetectorConfig, cells_seen
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.sensors.readings import PointCloud


class LidarFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        bev = ctx.bev_map
        config = LidarDetectorConfig(**ctx.settings.lidar.model_dump())
        self.detector = LidarDetector(bev.grid, bev.static, config)
        self.detects = "lidar" not in ctx.evidence_only  # else the scan only feeds the BEV map

    def process(self, pc: PointCloud) -> FrontEndOutput:
        if not self.detects:
            ev, pillars = self.detector.evidence(pc.points, pc.intensity)
            return FrontEndOutput(evidence_layer=(ev, pillars.z_max))
        scan = self.detector.detect(pc.points, pc.intensity, origin=pc.pose[:2, 3])
        objs = scan.objects
        pm = PositionMeasurements(
            pc.t,
            pc.sensor_id,
            "lidar",
            _stack([d.position for d in objs], (-1, 2)),
            _stack([d.covariance for d in objs], (-1, 2, 2)),
            tuple(d.cls for d in objs),
            self.detector.score(objs),
        )
        return FrontEndOutput(
            positions=pm,
            covered=cells_seen(self.detector.grid, scan.known),
            evidence_layer=(scan.evidence, scan.height),
        )


def _stack(rows, shape):
    return np.array(rows, float).reshape(shape)


KIND = register(
    FrontEndKind(
        "lidar",
        "lidar",
        PointCloud,
        True,
        "BEV pillars, graph cut, components (LiDAR, depth camera)",
        LidarFrontEnd,
    )
)

"""Camera front-end: colour background subtraction from the empty-site reference frame, foreground blobs
placed on the floor by their contact points, and the frame's foreground for the BEV map."""

from __future__ import annotations

import numpy as np

from perception.background import BackgroundModel
from perception.floor_blobs import floor_blobs
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.pipeline.frontends.blobs import blob_measurements, camera_of, in_view, on_free_floor
from sim.sensors.readings import CameraFrame


class CameraFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        self.settings = ctx.settings.camera
        self.floor = ctx.site.floor_mask(spec)
        self.racks = ctx.racks
        # The background starts from the camera's view of the empty building (a reference frame taken at
        # installation), so actors present at start-up do not leave ghosts when they move off.
        self.background = BackgroundModel(background=ctx.site.reference_rgb(spec))
        self.detects = "camera" not in ctx.evidence_only  # else the frame only feeds the BEV map

    def process(self, frame: CameraFrame) -> FrontEndOutput:
        cam = camera_of(frame)
        fg = self.background.apply(frame.rgb.astype(np.float32))
        if not self.detects:
            return FrontEndOutput(
                image_layer=(cam, self.background.soft_mask(self.settings.bev_foreground_k), self.floor)
            )
        blobs = floor_blobs(
            fg,
            cam,
            floor_mask=self.floor,
            min_pixels=self.settings.min_pixels,
            split_jump_m=self.settings.split_jump_m,
            split_min_run_px=self.settings.split_min_run_px,
            split_min_step_px=self.settings.split_min_step_px,
            split_min_width_m=self.settings.split_min_width_m,
        )
        pm = on_free_floor(
            blob_measurements(frame, "camera", blobs, self.settings.full_score_pixels), self.racks
        )
        soft = self.background.soft_mask(self.settings.bev_foreground_k)
        return FrontEndOutput(
            positions=pm, covered=in_view(cam, self.floor), image_layer=(cam, soft, self.floor)
        )


KIND = register(
    FrontEndKind(
        "camera",
        "camera",
        CameraFrame,
        True,
        "background subtraction, blobs placed by contact points",
        CameraFrontEnd,
    )
)

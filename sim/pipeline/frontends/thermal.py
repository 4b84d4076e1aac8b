"""Thermal front-end: warm blobs (Lepton-like radiometric frames) placed by their contact points, and the
warm mask for the BEV map. Blobs whose feet the site map says are hidden are dropped, and pixels that see
the layout's fixed hot equipment (an AGV charger) are masked out, as an installation would."""

from __future__ import annotations

from scipy.ndimage import binary_dilation

from perception.floor_blobs import floor_blobs
from perception.thermal_blobs import WARM_DELTA_C, warm_mask
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.pipeline.frontends.blobs import blob_measurements, camera_of, in_view, on_free_floor
from sim.sensors.readings import ThermalFrame


class ThermalFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        self.settings = ctx.settings.thermal
        self.floor = ctx.site.floor_mask(spec)
        # Grown by two pixels: the equipment's rim mixes with noise and the sensor's own offset.
        self.fixed_heat = binary_dilation(
            ctx.site.fixed_heat_mask(
                spec, ctx.scenario.layout.heat_sources, ctx.scenario.layout.ambient_c, WARM_DELTA_C
            ),
            iterations=2,
        )
        self.racks = ctx.racks
        self.detects = "thermal" not in ctx.evidence_only  # else the frame only feeds the BEV map

    def process(self, frame: ThermalFrame) -> FrontEndOutput:
        cam = camera_of(frame)
        warm = warm_mask(frame.temperature_c, WARM_DELTA_C) & ~self.fixed_heat
        if not self.detects:
            return FrontEndOutput(image_layer=(cam, warm, self.floor))
        blobs = floor_blobs(
            warm,
            cam,
            frame.temperature_c,
            floor_mask=self.floor,
            split_jump_m=self.settings.split_jump_m,
            split_min_run_px=self.settings.split_min_run_px,
            split_min_step_px=self.settings.split_min_step_px,
            split_min_width_m=self.settings.split_min_width_m,
        )
        pm = on_free_floor(
            blob_measurements(frame, "thermal", blobs, self.settings.full_score_pixels), self.racks
        )
        return FrontEndOutput(
            positions=pm, covered=in_view(cam, self.floor), image_layer=(cam, warm, self.floor)
        )


KIND = register(
    FrontEndKind(
        "thermal", "thermal", ThermalFrame, True, "warm blobs placed by contact points", ThermalFrontEnd
    )
)

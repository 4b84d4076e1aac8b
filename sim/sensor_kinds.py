"""Every sensor kind in one table: its scenario schema, its simulated sensor, its reading, how its raw
data is saved, how it is drawn, and what a person calls it.

A new sensor kind is its own module under `sim/sensors/`, its schema model in `sim.scenario.models` (and
the `Sensor` union there), and one `SensorKind` line below; a front-end that reads it is one more module
under `sim/pipeline/frontends/` (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.output import sensor_files as files
from sim.plots import sectors
from sim.plots.sectors import Sector
from sim.scenario import models
from sim.sensors.base import Sensor
from sim.sensors.beam import BreakBeam
from sim.sensors.camera import Camera
from sim.sensors.lidar import Lidar
from sim.sensors.readings import BeamEvent, CameraFrame, PointCloud, Reading, RfidReads, ThermalFrame
from sim.sensors.rfid import RfidReader
from sim.sensors.thermal import ThermalCamera


@dataclass(frozen=True)
class SiteFacts:
    """What some simulated sensors need of the site besides their own spec."""

    ambient_c: float
    heat_sources: list
    rack_rows: tuple
    pallet_tags: list[tuple[str, np.ndarray]]


@dataclass(frozen=True)
class SensorKind:
    type: str  # the scenario's `type`
    schema: type  # its pydantic model
    build: Callable[[object, np.random.Generator, SiteFacts], Sensor]
    reading: type[Reading]
    save: Callable  # (folder, stem, reading) for images and clouds, or a CsvFormat for event streams
    marker: str | None  # matplotlib marker at its position; None: drawn as its segment
    noun: str  # "a thermal camera"
    truth_fields: tuple[str, ...] = ()  # ground-truth arrays of its reading (scoring and tests only)
    sector: Callable[[object], Sector | None] = lambda spec: None  # what it covers, for the figures

    @property
    def rated(self) -> bool:
        """Fires at its own `rate_hz` (a beam is evaluated every tick instead)."""
        return "rate_hz" in self.schema.model_fields


SENSOR_KINDS: dict[str, SensorKind] = {
    k.type: k
    for k in (
        SensorKind(
            "camera",
            models.CameraSensor,
            lambda spec, rng, site: Camera(spec, rng),
            CameraFrame,
            files.save_camera,
            "^",
            "a camera",
            ("truth_depth", "truth_instance", "truth_class"),
            sectors.camera_sector,
        ),
        SensorKind(
            "lidar",
            models.LidarSensor,
            lambda spec, rng, site: Lidar(spec, rng),
            PointCloud,
            files.save_cloud,
            "o",
            "a LiDAR",
            sector=sectors.lidar_sector,
        ),
        SensorKind(
            "thermal",
            models.ThermalSensor,
            lambda spec, rng, site: ThermalCamera(spec, rng, site.ambient_c, site.heat_sources),
            ThermalFrame,
            files.save_thermal,
            "v",
            "a thermal camera",
            ("truth_instance", "truth_class"),
            sectors.camera_sector,
        ),
        SensorKind(
            "rfid",
            models.RfidSensor,
            lambda spec, rng, site: RfidReader(spec, rng, site.rack_rows, site.pallet_tags),
            RfidReads,
            files.RFID_CSV,
            "s",
            "an RFID reader",
            sector=sectors.rfid_sector,
        ),
        SensorKind(
            "beam",
            models.BeamSensor,
            lambda spec, rng, site: BreakBeam(spec, rng),
            BeamEvent,
            files.BEAM_CSV,
            None,
            "a break-beam",
        ),
    )
}
KIND_OF_READING: dict[type, SensorKind] = {k.reading: k for k in SENSOR_KINDS.values()}

"""Every sensor kind in one table: it covers the schema, and each entry is complete and consistent."""

from __future__ import annotations

import typing

import numpy as np

from sim.output.sensor_files import CsvFormat
from sim.scenario import models
from sim.sensor_kinds import KIND_OF_READING, SENSOR_KINDS


def test_the_table_covers_every_sensor_type_of_the_schema():
    union = typing.get_args(typing.get_args(models.Sensor)[0])
    types = {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in union}
    assert types == {k: v.schema for k, v in SENSOR_KINDS.items()}
    assert len(KIND_OF_READING) == len(SENSOR_KINDS)  # one reading type per kind
    for kind in SENSOR_KINDS.values():
        assert set(kind.truth_fields) <= {
            f for f in kind.reading.__dataclass_fields__ if f.startswith("truth_")
        }
    assert [k for k, v in SENSOR_KINDS.items() if not v.rated] == ["beam"]  # a beam is evaluated every tick
    assert {k for k, v in SENSOR_KINDS.items() if isinstance(v.save, CsvFormat)} == {"rfid", "beam"}


def test_sectors_for_the_figures():
    cam = models.CameraSensor(type="camera", id="c", position=(0, 0, 5), look_at=(0, 10, 0), hfov_deg=60)
    s = SENSOR_KINDS["camera"].sector(cam)
    assert (s.key, s.half_angle_deg, s.filled) == ("camera", 30.0, True) and np.isclose(s.heading_deg, 90)
    spin = models.LidarSensor(type="lidar", id="l", position=(0, 0, 3))
    depth = models.LidarSensor(type="lidar", id="d", preset="depth_cam", position=(0, 0, 1), yaw_deg=180)
    assert SENSOR_KINDS["lidar"].sector(spin) is None  # all round: drawn by its marker
    d = SENSOR_KINDS["lidar"].sector(depth)
    assert (d.key, d.half_angle_deg, d.heading_deg) == ("depth_cam", 43.5, 180.0)
    rfid = models.RfidSensor(type="rfid", id="r", position=(0, 0, 2), boresight=(0, -1, 0))
    r = SENSOR_KINDS["rfid"].sector(rfid)
    assert (r.filled, r.heading_deg, r.half_angle_deg) == (False, -90.0, 35.0)
    assert SENSOR_KINDS["beam"].sector(None) is None and SENSOR_KINDS["beam"].marker is None

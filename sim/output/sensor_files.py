"""`--save-sensors EVERY` (SPEC §6): raw sensor data under RUN_DIR/sensors/<sensor_id>/.

Images (RGB; ground-truth depth as a colour map; thermal in false colour with a fixed °C range) and point
clouds (PLY through open3d.io, intensity as grey) are saved for every EVERY-th reading of each sensor;
RFID reads and beam events are all appended to one CSV per sensor, since they are small.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open3d as o3d

from sim.output.atomic import AtomicStream, atomic_write_bytes
from sim.output.csv_text import csv_field
from sim.sensors.readings import CameraFrame, PointCloud, Reading, ThermalFrame

THERMAL_RANGE_C = (10.0, 70.0)  # false-colour scale: ambient warehouse to a hot engine
DEPTH_RANGE_M = (0.0, 40.0)


def _png(path: Path, image: np.ndarray, **kw) -> None:
    import matplotlib  # imported on first use: the sensor-kind table imports this module at start-up

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    plt.imsave(buf, image, format="png", **kw)
    atomic_write_bytes(path, buf.getvalue())


@dataclass(frozen=True)
class CsvFormat:
    """An event stream saved whole: one CSV per sensor, every reading appended."""

    header: str
    rows: Callable[[Reading], str]


RFID_CSV = CsvFormat(
    "t,delivered_t,tag,rssi_dbm,phase_rad\n",
    lambda r: "".join(
        f"{r.t:.3f},{r.delivered_t:.3f},{csv_field(tag)},{rssi:.2f},{ph:.4f}\n"
        for tag, rssi, ph in zip(r.tags, r.rssi_dbm, r.phase_rad, strict=True)
    ),
)
BEAM_CSV = CsvFormat("t,delivered_t,blocked\n", lambda r: f"{r.t:.3f},{r.delivered_t:.3f},{int(r.blocked)}\n")


def save_camera(folder: Path, stem: str, r: CameraFrame) -> None:
    _png(folder / f"{stem}_rgb.png", r.rgb)
    depth = np.where(np.isfinite(r.truth_depth), r.truth_depth, DEPTH_RANGE_M[1])
    _png(
        folder / f"{stem}_depth_truth.png",
        depth,
        cmap="viridis",
        vmin=DEPTH_RANGE_M[0],
        vmax=DEPTH_RANGE_M[1],
    )


def save_thermal(folder: Path, stem: str, r: ThermalFrame) -> None:
    _png(
        folder / f"{stem}_thermal.png",
        r.temperature_c,
        cmap="inferno",
        vmin=THERMAL_RANGE_C[0],
        vmax=THERMAL_RANGE_C[1],
    )


def save_cloud(folder: Path, stem: str, r: PointCloud) -> None:
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(r.points, np.float64)))
    pc.colors = o3d.utility.Vector3dVector(np.repeat(np.asarray(r.intensity, np.float64)[:, None], 3, 1))
    tmp = folder / f".{stem}.tmp.ply"
    o3d.io.write_point_cloud(str(tmp), pc, write_ascii=False)
    tmp.replace(folder / f"{stem}.ply")


class SensorWriter:
    """Writes the readings of one run by each reading type's format (`sim.sensor_kinds`); `close()`
    publishes the CSVs."""

    def __init__(self, out: Path, every: int, formats: dict[type, Callable | CsvFormat]):
        self.out = Path(out) / "sensors"
        self.every = every
        self.formats = formats
        self.count: dict[str, int] = {}
        self.csv: dict[str, AtomicStream] = {}

    def _stem(self, r: Reading) -> str:
        return f"{r.t:010.3f}".replace(".", "_")

    def write(self, r: Reading) -> None:
        folder = self.out / r.sensor_id
        fmt = self.formats[type(r)]
        if isinstance(fmt, CsvFormat):
            stream = self.csv.get(r.sensor_id)
            if stream is None:
                folder.mkdir(parents=True, exist_ok=True)
                stream = self.csv[r.sensor_id] = AtomicStream(folder / "reads.csv")
                stream.write(fmt.header)
            stream.write(fmt.rows(r))
            return
        n = self.count.get(r.sensor_id, 0)
        self.count[r.sensor_id] = n + 1
        if n % self.every:
            return
        folder.mkdir(parents=True, exist_ok=True)
        fmt(folder, self._stem(r), r)

    def commit(self) -> None:
        for stream in self.csv.values():
            stream.commit()

    def discard(self) -> None:
        for stream in self.csv.values():
            stream.discard()

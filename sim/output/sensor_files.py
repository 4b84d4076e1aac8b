"""`--save-sensors EVERY` (SPEC §6): raw sensor data under RUN_DIR/sensors/<sensor_id>/.

Images (RGB; ground-truth depth as a colour map; thermal in false colour with a fixed °C range) and point
clouds (PLY through open3d.io, intensity as grey) are saved for every EVERY-th reading of each sensor;
RFID reads and beam events are all appended to one CSV per sensor, since they are small.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import open3d as o3d

from sim.output.atomic import AtomicStream, atomic_write_bytes
from sim.sensors.readings import BeamEvent, CameraFrame, PointCloud, Reading, RfidReads, ThermalFrame

THERMAL_RANGE_C = (10.0, 70.0)  # false-colour scale: ambient warehouse to a hot engine
DEPTH_RANGE_M = (0.0, 40.0)


def _png(path: Path, image: np.ndarray, **kw) -> None:
    buf = io.BytesIO()
    plt.imsave(buf, image, format="png", **kw)
    atomic_write_bytes(path, buf.getvalue())


class SensorWriter:
    """Writes the readings of one run; `close()` publishes the CSVs."""

    def __init__(self, out: Path, every: int):
        self.out = Path(out) / "sensors"
        self.every = every
        self.count: dict[str, int] = {}
        self.csv: dict[str, AtomicStream] = {}

    def _stem(self, r: Reading) -> str:
        return f"{r.t:010.3f}".replace(".", "_")

    def write(self, r: Reading) -> None:
        folder = self.out / r.sensor_id
        if isinstance(r, (RfidReads, BeamEvent)):
            stream = self.csv.get(r.sensor_id)
            if stream is None:
                folder.mkdir(parents=True, exist_ok=True)
                stream = self.csv[r.sensor_id] = AtomicStream(folder / "reads.csv")
                stream.write(
                    "t,delivered_t,tag,rssi_dbm,phase_rad\n"
                    if isinstance(r, RfidReads)
                    else "t,delivered_t,blocked\n"
                )
            if isinstance(r, RfidReads):
                stream.write(
                    "".join(
                        f"{r.t:.3f},{r.delivered_t:.3f},{tag},{rssi:.2f},{ph:.4f}\n"
                        for tag, rssi, ph in zip(r.tags, r.rssi_dbm, r.phase_rad, strict=True)
                    )
                )
            else:
                stream.write(f"{r.t:.3f},{r.delivered_t:.3f},{int(r.blocked)}\n")
            return
        n = self.count.get(r.sensor_id, 0)
        self.count[r.sensor_id] = n + 1
        if n % self.every:
            return
        folder.mkdir(parents=True, exist_ok=True)
        stem = self._stem(r)
        if isinstance(r, CameraFrame):
            _png(folder / f"{stem}_rgb.png", r.rgb)
            depth = np.where(np.isfinite(r.truth_depth), r.truth_depth, DEPTH_RANGE_M[1])
            _png(
                folder / f"{stem}_depth_truth.png",
                depth,
                cmap="viridis",
                vmin=DEPTH_RANGE_M[0],
                vmax=DEPTH_RANGE_M[1],
            )
        elif isinstance(r, ThermalFrame):
            _png(
                folder / f"{stem}_thermal.png",
                r.temperature_c,
                cmap="inferno",
                vmin=THERMAL_RANGE_C[0],
                vmax=THERMAL_RANGE_C[1],
            )
        elif isinstance(r, PointCloud):
            pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(r.points, np.float64)))
            pc.colors = o3d.utility.Vector3dVector(
                np.repeat(np.asarray(r.intensity, np.float64)[:, None], 3, 1)
            )
            tmp = folder / f".{stem}.tmp.ply"
            o3d.io.write_point_cloud(str(tmp), pc, write_ascii=False)
            tmp.replace(folder / f"{stem}.ply")

    def close(self) -> None:
        for stream in self.csv.values():
            stream.commit()

    def discard(self) -> None:
        for stream in self.csv.values():
            stream.discard()

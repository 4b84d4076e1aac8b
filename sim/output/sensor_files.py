"""`--save-sensors EVERY` (SPEC §6): raw sensor data under RUN_DIR/sensors/<sensor_id>/, in units a
program can read back (the `read_*` functions here do).

Every EVERY-th reading of each camera, thermal camera and range sensor is saved under a stem of its
timestamp, `SSSSSS_mmm` (seconds and milliseconds, zero-padded: `000004_600` is t = 4.6 s):
- camera: `<stem>_rgb.png` (8-bit RGB as the sensor gives it) and `<stem>_depth_truth_mm.png` (16-bit
  depth along the optical axis in millimetres, ground truth; 0 where no surface or beyond 65.5 m);
- thermal camera: `<stem>_thermal_ck.png` (16-bit temperature in centikelvin, as reported: noise and the
  sensor's offset included);
- range sensor: `<stem>.ply` (binary PLY: float x, y, z in the world frame through the reported pose,
  float intensity 0–1, int class and int instance — the ground-truth labels of SPEC §3; actor instances
  are 100 000 + the actor's index in the scenario).
RFID reads and beam events are all appended to `reads.csv` per sensor. Each folder has one
`calibration.json` (type, rate, resolution, K with zero distortion, the world-from-sensor pose, and for
RFID antennas and beams their position, boresight or end points), written with the sensor's first saved
reading.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open3d as o3d

from sim.output.atomic import AtomicStream, atomic_write_bytes, atomic_write_text
from sim.output.csv_text import csv_field
from sim.sensors.readings import CameraFrame, PointCloud, Reading, ThermalFrame

KELVIN = 273.15


def _png(path: Path, image: np.ndarray, dtype) -> None:
    """A PNG by Pillow (which matplotlib installs): (h, w, 3) uint8 as RGB, (h, w) uint16 as 16-bit grey."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=dtype)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def read_png(path: str | Path) -> np.ndarray:
    """An image saved here, as its array (uint16 for depth and thermal, (h, w, 3) uint8 for RGB)."""
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im)


def read_depth_m(path: str | Path) -> np.ndarray:
    """A `_depth_truth_mm.png` in metres, NaN where nothing was seen."""
    mm = read_png(path).astype(np.float64)
    return np.where(mm > 0, mm / 1000.0, np.nan)


def read_thermal_c(path: str | Path) -> np.ndarray:
    """A `_thermal_ck.png` in degrees Celsius."""
    return read_png(path).astype(np.float64) / 100.0 - KELVIN


def read_cloud(path: str | Path) -> dict[str, np.ndarray]:
    """A saved `.ply`: `points` (n, 3), `intensity` (n,), `class` (n,), `instance` (n,)."""
    pc = o3d.t.io.read_point_cloud(str(path))
    return {
        "points": pc.point["positions"].numpy().astype(np.float64),
        "intensity": pc.point["intensity"].numpy().ravel(),
        "class": pc.point["class"].numpy().ravel(),
        "instance": pc.point["instance"].numpy().ravel(),
    }


def read_calibration(folder: str | Path) -> dict:
    """A sensor folder's `calibration.json` (K and pose as arrays)."""
    cal = json.loads((Path(folder) / "calibration.json").read_text(encoding="utf-8"))
    for key in ("K", "world_from_sensor"):
        if key in cal:
            cal[key] = np.asarray(cal[key], float)
    return cal


@dataclass(frozen=True)
class CsvFormat:
    """An event stream saved whole: one CSV per sensor, every reading appended."""

    header: str
    rows: Callable[[Reading], str]


RFID_CSV = CsvFormat(
    "t,delivered_t,tag,rssi_dbm,phase_rad,frequency_hz\n",
    lambda r: "".join(
        f"{r.t:.3f},{r.delivered_t:.3f},{csv_field(tag)},{rssi:.2f},{ph:.4f},{r.frequency_hz:.0f}\n"
        for tag, rssi, ph in zip(r.tags, r.rssi_dbm, r.phase_rad, strict=True)
    ),
)
BEAM_CSV = CsvFormat("t,delivered_t,blocked\n", lambda r: f"{r.t:.3f},{r.delivered_t:.3f},{int(r.blocked)}\n")


def save_camera(folder: Path, stem: str, r: CameraFrame) -> None:
    _png(folder / f"{stem}_rgb.png", r.rgb, np.uint8)
    mm = np.where(np.isfinite(r.truth_depth), np.rint(r.truth_depth * 1000.0), 0)
    _png(folder / f"{stem}_depth_truth_mm.png", np.where(mm <= 65535, mm, 0), np.uint16)


def save_thermal(folder: Path, stem: str, r: ThermalFrame) -> None:
    ck = np.clip(np.rint((r.temperature_c + KELVIN) * 100.0), 0, 65535)
    _png(folder / f"{stem}_thermal_ck.png", ck, np.uint16)


def save_cloud(folder: Path, stem: str, r: PointCloud) -> None:
    pc = o3d.t.geometry.PointCloud(o3d.core.Tensor(np.ascontiguousarray(r.points, np.float32)))
    pc.point["intensity"] = o3d.core.Tensor(np.asarray(r.intensity, np.float32).reshape(-1, 1))
    pc.point["class"] = o3d.core.Tensor(np.asarray(r.truth_class, np.int32).reshape(-1, 1))
    pc.point["instance"] = o3d.core.Tensor(np.asarray(r.truth_instance, np.int32).reshape(-1, 1))
    tmp = folder / f".{stem}.tmp.ply"
    o3d.t.io.write_point_cloud(str(tmp), pc, write_ascii=False)
    tmp.replace(folder / f"{stem}.ply")


def calibration(spec, r: Reading | None) -> dict:
    """What a program needs to use a sensor's saved data: from its scenario block and a reading."""
    cal: dict = {"sensor_id": spec.id, "type": spec.type}
    if getattr(spec, "rate_hz", None) is not None:
        cal["rate_hz"] = spec.rate_hz
    if isinstance(r, (CameraFrame, ThermalFrame)):
        h, w = (r.rgb if isinstance(r, CameraFrame) else r.temperature_c).shape[:2]
        cal |= {"resolution": [w, h], "K": np.asarray(r.K).tolist(), "distortion": [0.0] * 5}
    pose = getattr(r, "pose", None)
    if pose is not None:
        cal["world_from_sensor"] = np.asarray(pose).tolist()  # as reported at the first saved reading
    for key in ("preset", "position", "look_at", "boresight"):
        if getattr(spec, key, None) is not None:
            cal[key] = list(getattr(spec, key)) if key != "preset" else spec.preset
    if spec.type == "beam":
        cal |= {"from": list(spec.start), "to": list(spec.end)}
    return cal


class SensorWriter:
    """Writes the readings of one run by each reading type's format (`sim.sensor_kinds`); `close()`
    publishes the CSVs."""

    def __init__(
        self, out: Path, every: int, formats: dict[type, Callable | CsvFormat], specs: dict | None = None
    ):
        self.out = Path(out) / "sensors"
        self.every = every
        self.formats = formats
        self.specs = specs or {}  # sensor id → its scenario block, for calibration.json
        self.count: dict[str, int] = {}
        self.csv: dict[str, AtomicStream] = {}
        self.calibrated: set[str] = set()

    def _stem(self, r: Reading) -> str:
        return f"{r.t:010.3f}".replace(".", "_")

    def _calibrate(self, folder: Path, r: Reading) -> None:
        if r.sensor_id in self.calibrated or r.sensor_id not in self.specs:
            return
        self.calibrated.add(r.sensor_id)
        folder.mkdir(parents=True, exist_ok=True)
        cal = calibration(self.specs[r.sensor_id], r)
        atomic_write_text(folder / "calibration.json", json.dumps(cal, indent=2) + "\n")

    def write(self, r: Reading) -> None:
        folder = self.out / r.sensor_id
        self._calibrate(folder, r)
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

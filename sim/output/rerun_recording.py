"""Rerun recordings of a run (`whsim run … --rerun F.rrd`, `whsim export RUN_DIR --rerun F.rrd`): scrub the
timeline, click an actor, see every camera, cloud and track at that moment in the Rerun viewer.

Entities (z up, metres, the timeline `sim_time` in simulated seconds):
- `world/layout` (static): every static solid as a box coloured by class; `world/docks`.
- `world/sensors/<id>` (static): cameras and thermal cameras as a pinhole with their K and pose, LiDARs as
  a point, RFID antennas as an arrow along the boresight, beams as a segment; `…/image` the frames.
- `world/clouds/<id>`: LiDAR and depth-camera points in the world frame, coloured by class.
- `world/truth`: true boxes with ids and classes; `world/tracks`: confirmed and tentative tracks with ids
  (and tags) and their 2σ position ellipses; `world/detections/<source>`: detections per front-end.
- `bev/<layer>`: the BEV map snapshot (merged log-odds, graph cut, α-expansion semantics).
- `metrics/<name>`: GOSPA and its parts, truth / track / matched counts; `metrics/rfid/<id>` reads per
  round; `metrics/beam/<id>` a beam's state.

Sensor data is heavy, so frames are logged at most `IMAGE_HZ` and clouds `CLOUD_HZ` per sensor (JPEG for
camera frames, thermal frames in false colour over `THERMAL_RANGE_C`). The file's content is
deterministic, its bytes are not (Rerun stamps chunk ids and the creation time).
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from perception.classes import CLASS_NAMES
from sim.sensors.readings import BeamEvent, CameraFrame, PointCloud, RfidReads, ThermalFrame

TIMELINE = "sim_time"
IMAGE_HZ = 2.0  # camera and thermal frames logged per second and sensor
CLOUD_HZ = 1.0  # LiDAR and depth-camera clouds logged per second and sensor
THERMAL_RANGE_C = (10.0, 70.0)  # the false-colour scale of thermal frames
CLASS_RGB = {
    "floor": (200, 200, 200),
    "wall": (110, 110, 110),
    "rack": (70, 110, 200),
    "pallet": (190, 150, 90),
    "forklift": (240, 160, 30),
    "agv": (60, 130, 220),
    "worker": (60, 180, 75),
    "other": (160, 160, 160),
}
SOURCE_RGB = {
    "camera": (255, 127, 14),
    "lidar": (148, 103, 189),
    "thermal": (214, 39, 40),
    "rfid": (23, 190, 207),
}


def open_recording(path: Path, name: str):
    """A recording stream that writes to `path` (a temporary name until `close_recording`)."""
    import rerun as rr

    rec = rr.RecordingStream("whsim", recording_id=name, send_properties=False)
    rec.save(path)
    return rec


def close_recording(rec) -> None:
    rec.flush()
    rec.disconnect()


# --------------------------------------------------------------------------------------------- static
def log_static(rec, scenario, static) -> None:
    """The building and the sensors, once."""
    import rerun as rr

    rec.log("/", rr.ViewCoordinates.RIGHT_HAND_Z_UP, static=True)
    rec.log(
        "/",
        rr.AnnotationContext([(k, name, CLASS_RGB[name]) for k, name in enumerate(CLASS_NAMES)]),
        static=True,
    )
    boxes = static.boxes
    rec.log(
        "world/layout",
        rr.Boxes3D(
            centers=[b.center for b in boxes],
            sizes=[b.size for b in boxes],
            class_ids=[b.class_id for b in boxes],
            fill_mode="solid",
        ),
        static=True,
    )
    if static.docks:
        rec.log(
            "world/docks",
            rr.Boxes3D(
                mins=[(d.x0, d.y0, 0.0) for d in static.docks],
                sizes=[(d.x1 - d.x0, d.y1 - d.y0, 0.05) for d in static.docks],
                colors=(214, 39, 40),
                labels="dock",
            ),
            static=True,
        )
    for spec in scenario.sensors:
        _log_sensor(rec, spec)


def _log_sensor(rec, spec) -> None:
    import rerun as rr

    path = f"world/sensors/{spec.id}"
    if spec.type in ("camera", "thermal"):
        from perception.camera_model import PinholeCamera
        from sim.sensors.camera import camera_rotation

        w, h = spec.resolution
        cam = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
        rec.log(path, rr.Transform3D(translation=cam.T_wc[:3, 3], mat3x3=cam.T_wc[:3, :3]), static=True)
        rec.log(
            path,
            rr.Pinhole(
                image_from_camera=cam.K,
                resolution=[w, h],
                camera_xyz=rr.ViewCoordinates.RDF,
                image_plane_distance=1.0,
            ),
            static=True,
        )
    elif spec.type == "lidar":
        rec.log(
            path,
            rr.Points3D([spec.position], radii=0.15, labels=spec.id, colors=SOURCE_RGB["lidar"]),
            static=True,
        )
    elif spec.type == "rfid":
        b = np.asarray(spec.boresight, float)
        rec.log(
            path,
            rr.Arrows3D(
                origins=[spec.position],
                vectors=[2.0 * b / np.linalg.norm(b)],
                labels=spec.id,
                colors=SOURCE_RGB["rfid"],
            ),
            static=True,
        )
    elif spec.type == "beam":
        rec.log(
            path, rr.LineStrips3D([[spec.start, spec.end]], labels=spec.id, colors=(148, 0, 211)), static=True
        )


# ------------------------------------------------------------------------------------------- readings
def false_colour(temp_c: np.ndarray) -> np.ndarray:
    """(h, w) °C → (h, w, 3) uint8 through matplotlib's inferno over `THERMAL_RANGE_C`."""
    from matplotlib import colormaps

    lo, hi = THERMAL_RANGE_C
    u = np.clip((np.asarray(temp_c, float) - lo) / (hi - lo), 0.0, 1.0)
    return (colormaps["inferno"](u)[..., :3] * 255).astype(np.uint8)


class ReadingLogger:
    """Logs readings as they arrive, each sensor's frames and clouds no oftener than its rate allows."""

    def __init__(self, rec):
        import rerun

        self.rr, self.rec = rerun, rec
        self.last: dict[str, float] = {}

    def _due(self, sensor_id: str, t: float, hz: float) -> bool:
        if t < self.last.get(sensor_id, -math.inf) + 1.0 / hz - 1e-9:
            return False
        self.last[sensor_id] = t
        return True

    def log(self, r) -> None:
        rr, rec = self.rr, self.rec
        rec.set_time(TIMELINE, duration=r.t)
        base = f"world/sensors/{r.sensor_id}"
        if isinstance(r, CameraFrame) and self._due(r.sensor_id, r.t, IMAGE_HZ):
            rec.log(f"{base}/image", rr.Image(r.rgb).compress(jpeg_quality=80))
        elif isinstance(r, ThermalFrame) and self._due(r.sensor_id, r.t, IMAGE_HZ):
            rec.log(f"{base}/image", rr.Image(false_colour(r.temperature_c)).compress(jpeg_quality=85))
        elif isinstance(r, PointCloud) and self._due(r.sensor_id, r.t, CLOUD_HZ):
            pts = np.asarray(r.points, np.float32)
            rec.log(f"world/clouds/{r.sensor_id}", rr.Points3D(pts, class_ids=r.truth_class, radii=0.03))
        elif isinstance(r, RfidReads):
            rec.log(f"metrics/rfid/{r.sensor_id}", rr.Scalars(float(len(r.tags))))
        elif isinstance(r, BeamEvent):
            rec.log(f"metrics/beam/{r.sensor_id}", rr.Scalars(float(r.blocked)))


# ------------------------------------------------------------------------------------------ run files
def _rows_by_time(path: Path):
    """(t, rows) for each run of rows sharing a time stamp, read as the file goes: truth and tracks are
    written in time order, so an hour-long run's files are never held in memory."""
    if not path.is_file():
        return
    with open(path, newline="", encoding="utf-8") as f:
        for t, rows in itertools.groupby(csv.DictReader(f), key=lambda row: row["t"]):
            yield float(t), list(rows)


def _floats(rows: list[dict], *keys: str) -> np.ndarray:
    return np.array([[float(r[k]) for k in keys] for r in rows], float).reshape(-1, len(keys))


def log_truth(rec, run: Path) -> None:
    import rerun as rr

    cls = {name: k for k, name in enumerate(CLASS_NAMES)}
    for t, rows in _rows_by_time(run / "ground_truth.csv"):
        rec.set_time(TIMELINE, duration=t)
        rec.log(
            "world/truth",
            rr.Boxes3D(
                centers=_floats(rows, "x", "y", "z"),
                half_sizes=_floats(rows, "length", "width", "height") / 2,
                rotation_axis_angles=[
                    rr.RotationAxisAngle(axis=(0, 0, 1), radians=float(r["yaw"])) for r in rows
                ],
                labels=[r["id"] for r in rows],
                class_ids=[cls.get(r["class"], cls["other"]) for r in rows],
            ),
        )


def ellipses(cov: np.ndarray, sigmas: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Half-axes (n, 3) and rotations about z (n,) of the `sigmas`-σ ellipses of (n, 3) [xx, xy, yy]."""
    xx, xy, yy = cov[:, 0], cov[:, 1], cov[:, 2]
    mean, diff = (xx + yy) / 2, np.sqrt(((xx - yy) / 2) ** 2 + xy**2)
    major, minor = np.sqrt(np.maximum(mean + diff, 0)), np.sqrt(np.maximum(mean - diff, 0))
    angle = 0.5 * np.arctan2(2 * xy, xx - yy)
    half = np.column_stack([sigmas * major, sigmas * minor, np.full(len(cov), 0.02)])
    return half, angle


def log_tracks(rec, run: Path) -> None:
    import rerun as rr

    for t, rows in _rows_by_time(run / "tracks.csv"):
        rec.set_time(TIMELINE, duration=t)
        xy = _floats(rows, "x", "y")
        half, angle = ellipses(_floats(rows, "cov_xx", "cov_xy", "cov_yy"))
        confirmed = np.array([r["status"] == "confirmed" for r in rows])
        labels = [r["track_id"] + (f" {r['tag']}" if r.get("tag") else "") for r in rows]
        rec.log(
            "world/tracks",
            rr.Ellipsoids3D(
                centers=np.column_stack([xy, np.full(len(xy), 0.05)]),
                half_sizes=half,
                rotation_axis_angles=[rr.RotationAxisAngle(axis=(0, 0, 1), radians=float(a)) for a in angle],
                colors=np.where(confirmed[:, None], (31, 119, 180), (170, 170, 170)),
                labels=labels,
                fill_mode="solid",
            ),
        )


def log_detections(rec, run: Path) -> None:
    import rerun as rr

    # Detections are written as the pipeline makes them (late readings out of time order): grouped per
    # source and time stamp, keeping only the positions.
    path = run / "detections.csv"
    by_source: dict[str, dict[float, list]] = defaultdict(lambda: defaultdict(list))
    if path.is_file():
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                by_source[r["source"]][float(r["t"])].append((float(r["x"]), float(r["y"])))
    for source, times in by_source.items():
        colour = SOURCE_RGB.get(source, (127, 127, 127))
        for t, pts in times.items():
            rec.set_time(TIMELINE, duration=t)
            xy = np.array(pts, float).reshape(-1, 2)
            rec.log(
                f"world/detections/{source}",
                rr.Points3D(np.column_stack([xy, np.full(len(xy), 0.1)]), radii=0.12, colors=colour),
            )


def log_metrics(rec, run: Path) -> None:
    import rerun as rr

    path = run / "metrics_timeseries.csv"
    if not path.is_file():
        return
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    times = rr.TimeColumn(TIMELINE, duration=[float(r["t"]) for r in rows])
    for key in rows[0]:
        if key != "t":
            values = np.array([float(r[key]) for r in rows])
            rec.send_columns(f"metrics/{key}", indexes=[times], columns=rr.Scalars.columns(scalars=values))


def log_bev(rec, run: Path) -> None:
    """The BEV snapshot's layers as images (x to the right, y up, as in bev.png)."""
    import rerun as rr

    path = run / "bev_snapshot.npz"
    if not path.is_file():
        return
    with np.load(path, allow_pickle=False) as z:
        snap = {k: z[k] for k in z.files}
    rec.set_time(TIMELINE, duration=float(snap["t"]))
    up = lambda a: np.ascontiguousarray(np.flipud(a.T))  # (nx, ny) grid → image rows from north  # noqa: E731
    lo = np.clip((snap["logodds"] + 4) / 8, 0, 1)
    rec.log("bev/logodds", rr.Image(up((lo * 255).astype(np.uint8)), color_model="L"))
    rec.log("bev/graph_cut", rr.Image(up(snap["graph_cut"].astype(np.uint8) * 255), color_model="L"))
    from perception.bev_map import SEMANTIC_LABELS

    labels = [(k, name, CLASS_RGB[name]) for k, name in enumerate(SEMANTIC_LABELS)]
    rec.log("bev/semantics", rr.AnnotationContext(labels), static=True)
    rec.log("bev/semantics", rr.SegmentationImage(up(snap["semantics"].astype(np.uint8))))


def log_run_files(rec, run: Path) -> None:
    """Everything the run directory's CSVs and snapshot hold."""
    log_truth(rec, run)
    log_tracks(rec, run)
    log_detections(rec, run)
    log_metrics(rec, run)
    log_bev(rec, run)


def log_saved_sensors(rec, run: Path) -> int:
    """`--save-sensors` data of a run directory (camera RGB, thermal, clouds); how many files were logged."""
    import rerun as rr

    from sim.output.sensor_files import read_cloud, read_png, read_thermal_c

    n = 0
    for folder in sorted(p for p in (run / "sensors").glob("*") if p.is_dir()):
        for f in sorted(folder.iterdir()):
            stamp = re.match(r"(\d+)_(\d{3})[_.]", f.name)  # <seconds>_<milliseconds>_… or ….ply
            if stamp is None:
                continue
            rec.set_time(TIMELINE, duration=int(stamp[1]) + int(stamp[2]) / 1000)
            base = f"world/sensors/{folder.name}"
            if f.name.endswith("_rgb.png"):
                rec.log(f"{base}/image", rr.Image(read_png(f)).compress(jpeg_quality=80))
            elif f.name.endswith("_thermal_ck.png"):
                rec.log(f"{base}/image", rr.Image(false_colour(read_thermal_c(f))).compress(jpeg_quality=85))
            elif f.suffix == ".ply":
                c = read_cloud(f)
                rec.log(
                    f"world/clouds/{folder.name}", rr.Points3D(c["points"], class_ids=c["class"], radii=0.03)
                )
            else:
                continue
            n += 1
    return n

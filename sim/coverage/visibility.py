"""Which floor cells one sensor would detect an actor in: occlusion-aware, per tracked class.

An actor of class k standing on a cell is a vertical body (the kind's height and a horizontal extent).
A ray-casting sensor sees it when, cast from the sensor against the static scene (racks, walls, pallets),
enough of its sample points (up and across the body) are in view and unoccluded, and it spans enough of
the sensor's resolution for its front-end to keep it: pixels for cameras and thermal cameras (the blob
size below which the blob detectors drop a blob), returns for range sensors (a few returns above the
floor, what a graph-cut component needs). An RFID reader covers a cell when a tag there
is read with probability ≥ 0.5 per inventory round; a break-beam covers the cells where a body would cut
its segment. Other actors' bodies are not obstacles here (a layout property, not a traffic one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from fusion.rfid_link import segments_cross_rects
from perception.bev import BevGrid
from perception.camera_model import PinholeCamera
from perception.classes import TRACKED_NAMES
from perception.lidar_detector import LidarDetectorConfig
from sim.sensor_kinds import SENSOR_KINDS, SiteFacts
from sim.sensors.camera import camera_rotation
from sim.sensors.lidar import DEPTH_CAM
from sim.sensors.ray_grid import PinholeGrid, SpinningGrid
from sim.sensors.raycast import StaticScene
from sim.sensors.rfid import TAG_HEIGHT_M
from sim.world.kinds import KINDS
from sim.world.layout import StaticWorld, rect_array

TRACKED = TRACKED_NAMES
SAMPLE_FRACTIONS = np.array([0.1, 0.35, 0.6, 0.9])  # sample heights along a body, fractions of its height
LATERAL = np.array([-0.6, 0.0, 0.6])  # samples across a body, fractions of its radius (racks have gaps)
MIN_VISIBLE = 0.5  # share of a body's samples a camera must see
THERMAL_MIN_PIXELS = 4  # `floor_blobs`' smallest blob, which the thermal front-end keeps
MIN_RETURNS = 3  # range returns above the floor that a one-scan graph-cut component keeps (2 cells + noise)
LIDAR_MIN_HEIGHT_M = LidarDetectorConfig.min_height_m  # returns below this are floor to the range front-end
RFID_MIN_PROBABILITY = 0.5  # a tag read at least every other inventory round counts as covered
# A camera places an actor by the floor point under its blob's lowest pixel. Along the line of sight one
# pixel spans (h² + ρ²) / (h · f) metres of floor (h: mounting height, ρ: floor distance, f: focal length
# in pixels). Beyond 1 m per pixel a contact point one pixel off leaves the 1 m scoring gate. In `central`
# runs of `default` and a placed `default` (seeds 11–13), moving this limit from 0.5 to 1 m per pixel kept
# the share of covered actor-frames a camera detected (0.63 → 0.64) and raised the share of its detections
# that fall on cells it covers from 0.76 to 0.92.
MAX_FLOOR_M_PER_PIXEL = 1.0


@dataclass(frozen=True)
class Body:
    """An actor kind as the coverage model sees it: a vertical body of `height_m`."""

    name: str
    height_m: float
    extent_m: float  # horizontal extent seen from the side, averaged over headings: (length + width) / 2

    @property
    def radius_m(self) -> float:
        return self.extent_m / 2


BODIES = tuple(Body(k, KINDS[k].size_m[2], (KINDS[k].size_m[0] + KINDS[k].size_m[1]) / 2) for k in TRACKED)


@dataclass(frozen=True)
class Floor:
    """The cells of a site's floor grid: every cell's centre, and which are free floor (not rack or wall)."""

    grid: BevGrid
    xy: np.ndarray  # (n, 2) cell centres, row-major over the grid's (nx, ny)
    free: np.ndarray  # (n,) bool

    @classmethod
    def of(cls, static: StaticWorld, cell_m: float = 0.2) -> Floor:
        grid = BevGrid.covering(static.size, cell_m)
        x, y = grid.centres()
        xy = np.stack(np.meshgrid(x, y, indexing="ij"), -1).reshape(-1, 2)
        free = np.ones(len(xy), bool)
        for r in static.obstacles:
            free &= ~((xy[:, 0] >= r.x0) & (xy[:, 0] <= r.x1) & (xy[:, 1] >= r.y0) & (xy[:, 1] <= r.y1))
        return cls(grid, xy, free)


@dataclass(frozen=True)
class Cover:
    """What one sensor covers: `seen[k, c]` for tracked class k (`TRACKED` order) on floor cell c."""

    sensor_id: str
    kind: str  # the sensor's scenario `type`
    seen: np.ndarray  # (len(TRACKED), n_cells) bool
    origin: tuple[float, float, float] | None = None  # where it looks from (beams: None)


def unoccluded(scene: StaticScene, origin: np.ndarray, points: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Whether the static scene leaves each point (n, 3) in sight of `origin`, up to `margin` (n,) short of
    it (the body's near face is nearer than its axis)."""
    if not len(points):
        return np.zeros(0, bool)
    d = points - origin
    dist = np.linalg.norm(d, axis=1)
    rays = np.hstack([np.broadcast_to(origin, d.shape), d / np.maximum(dist, 1e-9)[:, None]])
    t = scene.scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))["t_hit"].numpy()
    return t >= dist - margin


def _lateral(xy: np.ndarray, origin: np.ndarray, body: Body) -> np.ndarray:
    """(n, len(LATERAL), 2) floor points across the body, perpendicular to the sensor's line of sight."""
    d = xy - origin[:2]
    n = np.linalg.norm(d, axis=1, keepdims=True)
    side = np.where(n > 1e-9, np.column_stack([-d[:, 1], d[:, 0]]) / np.maximum(n, 1e-9), [1.0, 0.0])
    return xy[:, None, :] + LATERAL[None, :, None] * body.radius_m * side[:, None, :]


def _visible(
    scene: StaticScene, origin: np.ndarray, pts: np.ndarray, ok: np.ndarray, margin: float
) -> np.ndarray:
    """`ok` narrowed to the points (any shape (..., 3)) the static scene leaves in sight."""
    flat_ok = ok.ravel().copy()
    idx = np.flatnonzero(flat_ok)
    flat_ok[idx] = unoccluded(scene, origin, pts.reshape(-1, 3)[idx], np.full(len(idx), margin))
    return flat_ok.reshape(ok.shape)


def pinhole_cover(
    cam: PinholeCamera,
    scene: StaticScene,
    xy: np.ndarray,
    min_pixels: float,
    range_m: tuple[float, float] = (0.0, np.inf),
    floor_contact: bool = True,
) -> np.ndarray:
    """(len(BODIES), n) a camera-like sensor sees the body: part of its lowest row of samples and at least
    `MIN_VISIBLE` of all its samples in the image, in range and unoccluded; an apparent area (extent ×
    height × visible share, in pixels) ≥ `min_pixels`; and (`floor_contact`: placed through its contact
    point) ≤ `MAX_FLOOR_M_PER_PIXEL` of floor per pixel along the line of sight."""
    out = np.zeros((len(BODIES), len(xy)), bool)
    h = max(float(cam.t_wc[2]), 1e-6)
    rho2 = np.sum((xy - cam.t_wc[:2]) ** 2, axis=1)
    sharp = (h * h + rho2) / (h * cam.f) <= MAX_FLOOR_M_PER_PIXEL if floor_contact else np.ones(len(xy), bool)
    for k, body in enumerate(BODIES):
        z = SAMPLE_FRACTIONS * body.height_m
        foot = _lateral(xy, cam.t_wc, body)  # (n, l, 2)
        # Depth is affine in the point: the mean sample depth is the axis point's at the mean height.
        mid = cam.to_camera(np.column_stack([xy, np.full(len(xy), z.mean())]))[:, 2]
        most = cam.f**2 * body.extent_m * body.height_m / np.maximum(np.abs(mid), 1e-6) ** 2  # all seen
        # The lowest row first: a body none of whose lowest samples is in the image is not seen.
        cand = sharp & (most >= min_pixels)
        low = np.concatenate([foot[cand], np.full((int(cand.sum()), len(LATERAL), 1), z[0])], axis=2)
        cand[cand] = _in_image(cam, low.reshape(-1, 3), range_m).reshape(-1, len(LATERAL)).any(axis=1)
        idx = np.flatnonzero(cand)
        pts = np.empty((len(idx), len(z), len(LATERAL), 3))
        pts[..., :2] = foot[idx][:, None, :, :]
        pts[..., 2] = z[None, :, None]
        ok = _in_image(cam, pts.reshape(-1, 3), range_m).reshape(pts.shape[:3])
        ok = _visible(scene, cam.t_wc, pts, ok, body.radius_m)
        frac = ok.mean(axis=(1, 2))
        out[k, idx] = ok[:, 0, :].any(axis=1) & (frac >= MIN_VISIBLE) & (most[idx] * frac >= min_pixels)
    return out


def _in_image(cam: PinholeCamera, pts: np.ndarray, range_m: tuple[float, float]) -> np.ndarray:
    """Points (n, 3) in front of the camera, inside its image and within `range_m` of it."""
    uv, depth = cam.project(pts)
    dist = np.linalg.norm(pts - cam.t_wc, axis=1)
    return (
        (depth > 1e-6)
        & (dist >= range_m[0])
        & (dist <= range_m[1])
        & (uv[:, 0] >= -0.5)
        & (uv[:, 0] <= cam.width - 0.5)
        & (uv[:, 1] >= -0.5)
        & (uv[:, 1] <= cam.height - 0.5)
    )


def spinning_cover(grid: SpinningGrid, scene: StaticScene, xy: np.ndarray, max_range_m: float) -> np.ndarray:
    """(len(BODIES), n) a spinning LiDAR puts ≥ `MIN_RETURNS` unoccluded returns on the body above the
    floor: for every channel whose beam crosses the body's height span at the cell's distance, the
    azimuth columns across its extent times the share of them the static scene leaves in sight (the
    sensor is taken as level)."""
    out = np.zeros((len(BODIES), len(xy)), bool)
    origin = grid.position.astype(float)
    rho = np.maximum(np.linalg.norm(xy - origin[:2], axis=1), 1e-6)
    z = origin[2] + rho[:, None] * np.tan(grid.elevations)[None, :]  # (n, channels) beam height at the cell
    step = float(grid.azimuths[1] - grid.azimuths[0]) if len(grid.azimuths) > 1 else 2 * np.pi
    for k, body in enumerate(BODIES):
        on = (
            (z > LIDAR_MIN_HEIGHT_M)
            & (z < body.height_m)
            & (np.hypot(rho[:, None], z - origin[2]) <= max_range_m)
        )
        foot = _lateral(xy, origin, body)  # (n, l, 2)
        pts = np.empty((len(xy), z.shape[1], len(LATERAL), 3))
        pts[..., :2] = foot[:, None, :, :]
        pts[..., 2] = z[:, :, None]
        vis = _visible(scene, origin, pts, np.broadcast_to(on[:, :, None], pts.shape[:3]), body.radius_m)
        columns = np.minimum(body.extent_m / (rho * step), len(grid.azimuths))
        out[k] = vis.mean(axis=2).sum(axis=1) * columns >= MIN_RETURNS
    return out


def rfid_cover(reader, xy: np.ndarray, racks: tuple) -> np.ndarray:
    """(len(BODIES), n) a tag carried at `TAG_HEIGHT_M` on the cell is read with p ≥ 0.5 per round."""
    tags = np.column_stack([xy, np.full(len(xy), TAG_HEIGHT_M)])
    crossed = segments_cross_rects(np.broadcast_to(reader.position[:2], xy.shape), xy, rect_array(racks))
    p = reader.read_probability(tags, crossed)
    return np.broadcast_to(p >= RFID_MIN_PROBABILITY, (len(BODIES), len(xy))).copy()


def beam_cover(a: np.ndarray, b: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """(len(BODIES), n) a body centred on the cell cuts the segment a→b (its radius, its height)."""
    a2, d = a[:2], b[:2] - a[:2]
    s = np.clip(((xy - a2) @ d) / max(float(d @ d), 1e-12), 0.0, 1.0)
    dist = np.linalg.norm(xy - (a2 + s[:, None] * d), axis=1)
    low = min(a[2], b[2])
    return np.stack([(dist <= body.radius_m) & (low < body.height_m) for body in BODIES])


def sensor_cover(
    spec, scene: StaticScene, static: StaticWorld, floor: Floor, camera_min_pixels: int
) -> Cover:
    """The cover of one sensor of a scenario (`spec`: its scenario block)."""
    xy = floor.xy[floor.free]  # no actor stands in a rack or a wall
    if spec.type in ("camera", "thermal"):
        w, h = spec.resolution
        cam = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
        seen = pinhole_cover(
            cam, scene, xy, camera_min_pixels if spec.type == "camera" else THERMAL_MIN_PIXELS
        )
        return _full(spec, floor, seen)
    site = SiteFacts(18.0, [], static.rack_rows, [])
    sensor = SENSOR_KINDS[spec.type].build(spec, np.random.default_rng(0), site)
    if spec.type == "lidar" and isinstance(sensor.grid, PinholeGrid):
        seen = pinhole_cover(
            sensor.grid.camera, scene, xy, MIN_RETURNS, (DEPTH_CAM.min_range_m, sensor.max_range), False
        )
    elif spec.type == "lidar":
        seen = spinning_cover(sensor.grid, scene, xy, sensor.max_range)
    elif spec.type == "rfid":
        seen = rfid_cover(sensor, xy, static.rack_rows)
    elif spec.type == "beam":
        seen = beam_cover(sensor.a, sensor.b, xy)
    else:  # a new sensor kind: no coverage model yet
        raise ValueError(f"no coverage model for sensor type '{spec.type}'")
    return _full(spec, floor, seen)


def _full(spec, floor: Floor, seen: np.ndarray) -> Cover:
    """The cover over every cell, from `seen` over the free ones."""
    full = np.zeros((len(BODIES), len(floor.xy)), bool)
    full[:, floor.free] = seen
    origin = getattr(spec, "position", None)
    return Cover(spec.id, spec.type, full, None if origin is None else tuple(float(v) for v in origin))

"""Glue from sensor readings to fusion's measurements (and the idealised `oracle` source).

Each source sees only what its sensor delivered plus the site's configuration (sensor mounting, the
reader's settings, and the tag registry: which tag ids are worn by people or fitted to vehicles, as a
site's asset database would say). Ground truth feeds only the `oracle` source, which is labelled
idealised everywhere it appears.
"""

from __future__ import annotations

import math

import numpy as np

from fusion.measurements import LineCrossing, PositionMeasurements, RangeMeasurements
from perception.camera_model import PinholeCamera
from perception.floor_blobs import floor_blobs
from sim.scenario.models import BeamSensor, RfidSensor, Scenario
from sim.sensors.readings import BeamEvent, RfidReads, ThermalFrame
from sim.sensors.rfid import (
    FREQUENCY_HZ,
    MODULATION_LOSS_DB,
    PATH_LOSS_EXPONENT,
    POLARISATION_LOSS_DB,
    SHADOWING_DB,
    TAG_GAIN_DBI,
    TAG_HEIGHT_M,
    C,
)
from sim.world.kinds import CLASS_NAMES
from sim.world.truth import TruthFrame

ORACLE = "oracle (idealised)"
CAMERA_MIN_PIXELS = 12  # smaller foreground blobs are noise at 320×240


def tag_registry(scenario: Scenario) -> dict[str, str]:
    """Tag id → class of the actor it is fitted to (the site's asset database)."""
    return {tag: a.kind for a in scenario.actors for tag in a.tags}


def camera_of(frame) -> PinholeCamera:
    """The pinhole model a camera or thermal frame reports (its intrinsics and its reported pose)."""
    K, T = frame.K, frame.pose
    h, w = (frame.rgb if hasattr(frame, "rgb") else frame.temperature_c).shape[:2]
    return PinholeCamera(w, h, float(K[0, 0]), float(K[0, 2]), float(K[1, 2]), T[:3, :3], T[:3, 3])


def _blob_measurements(frame, source: str, blobs, full_score_px: int) -> PositionMeasurements:
    z = np.array([b.position for b in blobs], float).reshape(-1, 2)
    R = np.array([b.covariance for b in blobs], float).reshape(-1, 2, 2)
    score = np.array([min(1.0, b.pixels / full_score_px) for b in blobs], float)
    return PositionMeasurements(frame.t, frame.sensor_id, source, z, R, ("unknown",) * len(blobs), score)


def thermal_positions(
    frame: ThermalFrame, warm: np.ndarray, floor_mask: np.ndarray | None = None, camera=None
) -> PositionMeasurements:
    """Warm blobs (`warm`: perception.thermal_blobs.warm_mask of the frame) as floor positions, class
    unknown; `floor_mask` (the site map from this camera) drops blobs whose feet are hidden. `camera`:
    the frame's `camera_of`, when the caller has it."""
    camera = camera_of(frame) if camera is None else camera
    blobs = floor_blobs(warm, camera, frame.temperature_c, floor_mask=floor_mask)
    return _blob_measurements(frame, "thermal", blobs, 50)


def camera_positions(
    frame, foreground: np.ndarray, floor_mask: np.ndarray | None, camera=None
) -> PositionMeasurements:
    """Foreground blobs of an RGB frame (`foreground`: its colour background subtraction) placed on the
    floor through their contact points; class unknown."""
    camera = camera_of(frame) if camera is None else camera
    blobs = floor_blobs(foreground, camera, floor_mask=floor_mask, min_pixels=CAMERA_MIN_PIXELS)
    return _blob_measurements(frame, "camera", blobs, 200)


class RfidRanging:
    """Range from RSSI by inverting the reader's link model at boresight gain.

    The shadowing (σ dB on the one-way loss) makes the range log-normal: σ_ln d = σ ln10 / (10 n), i.e.
    about a factor 2 either way with the defaults; the standard deviation reported is d · σ_ln d, and the
    anchor's height is taken relative to the registry's tag height."""

    def __init__(self, spec: RfidSensor):
        self.tx = spec.tx_power_dbm
        self.gain = spec.antenna_gain_dbi
        self.wavelength = C / FREQUENCY_HZ[spec.region]
        self.position = np.asarray(spec.position, float)
        self.boresight = np.asarray(spec.boresight, float) / np.linalg.norm(spec.boresight)
        self.pl0 = 20 * math.log10(4 * math.pi / self.wavelength)
        self.sigma_ln = SHADOWING_DB * math.log(10) / (10 * PATH_LOSS_EXPONENT)

    def ranges(self, reads: RfidReads, registry: dict[str, str]) -> RangeMeasurements:
        """Slant ranges of the registered tags in one inventory round (pallet tags are not tracked)."""
        keep = [k for k, tag in enumerate(reads.tags) if tag in registry]
        rssi = reads.rssi_dbm[keep]
        gains = 2 * (self.gain + TAG_GAIN_DBI - POLARISATION_LOSS_DB) - MODULATION_LOSS_DB
        one_way_pl = (self.tx + gains - rssi) / 2
        d = 10 ** ((one_way_pl - self.pl0) / (10 * PATH_LOSS_EXPONENT))
        anchor = reads.antenna_position - np.array([0.0, 0.0, TAG_HEIGHT_M])
        return RangeMeasurements(
            reads.t,
            reads.sensor_id,
            np.repeat(anchor[None], len(keep), 0),
            d,
            np.maximum(d * self.sigma_ln, 0.3),
            tuple(reads.tags[k] for k in keep),
        )

    def zone(self, slant_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Where a tag read at this range most likely is, seen by this reader alone: on the boresight at
        that (horizontal) range, with the range spread along it and the beam's width across it."""
        dz = self.position[2] - TAG_HEIGHT_M
        horizontal = math.sqrt(max(slant_m**2 - dz**2, 0.04))
        b = self.boresight[:2] / max(np.linalg.norm(self.boresight[:2]), 1e-9)
        z = self.position[:2] + b * horizontal
        along = (horizontal * self.sigma_ln) ** 2 + 0.5**2
        across = (horizontal * math.tan(math.radians(35.0))) ** 2 + 0.5**2
        n = np.array([-b[1], b[0]])
        return z, along * np.outer(b, b) + across * np.outer(n, n)


def beam_position(event: BeamEvent, spec: BeamSensor) -> PositionMeasurements | None:
    """A beam that just became blocked: something is on its segment (fusion's LineCrossing)."""
    if not event.blocked:
        return None
    a, b = np.asarray(spec.start[:2], float), np.asarray(spec.end[:2], float)
    return LineCrossing(event.t, event.sensor_id, a, b).as_position()


class OracleSource:
    """Idealised detections straight from ground truth (Stone Soup's detection simulator in spirit):
    each actor detected with probability `pd`, with Gaussian position noise of `sigma_m`, plus Poisson
    clutter of mean `clutter` per scan spread uniformly over the floor. For separating fusion quality from
    perception quality only."""

    def __init__(
        self, rng: np.random.Generator, size_m, pd: float = 0.9, sigma_m: float = 0.25, clutter: float = 0.5
    ):
        self.rng, self.size, self.pd, self.sigma, self.clutter = (
            rng,
            np.asarray(size_m, float),
            pd,
            sigma_m,
            clutter,
        )

    def scan(self, truth: TruthFrame) -> PositionMeasurements:
        n = len(truth)
        seen = self.rng.random(n) < self.pd
        z = truth.xyz[seen, :2] + self.rng.normal(0, self.sigma, (int(seen.sum()), 2))
        cls = [CLASS_NAMES[int(c)] for c in truth.class_ids[seen]]
        k = self.rng.poisson(self.clutter)
        z = np.vstack([z, self.rng.uniform((0, 0), self.size, (k, 2))])
        cls += ["unknown"] * k
        R = np.broadcast_to(np.eye(2) * self.sigma**2, (len(z), 2, 2)).copy()
        return PositionMeasurements(truth.t, "oracle", ORACLE, z, R, tuple(cls), np.ones(len(z)))

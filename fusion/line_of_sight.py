"""Detections placed on the body's centre: a sensor sees a body's near face (LiDAR returns, a camera's
contact points), so the centre lies further along the line of sight, and the spread of the error along and
across that line is larger than the front-end's own covariance for a large body. The model per (source,
class) is fitted on simulated data (`tools/calibrate_measurements.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineOfSightModel:
    """Centre = detection + `bias_along_m` along the line of sight from the sensor; covariance = the
    reported one with each axis' variance r (along that line, across it) mapped to
    `scale · ref · (r / ref)^power` (correlation kept), plus `add_var_along_m2` along and `add_var_across_m2`
    across. With power 1 that is r scaled; a power above 1 trusts the front-end's own variance more than
    in proportion where it grows (a LiDAR cluster merged with a neighbour is wide: its centre is worse).
    With `score_power` h > 0 that term is also multiplied by (score / `ref_score`)^−h: a detection the
    front-end is less sure of is placed worse (the 3D-CNN's error falls three- to fourfold from score 0.45
    to 0.95). With `across_power` c the along variance's term is also multiplied by (r_across /
    `ref_var_across_m2`)^c: how wide the detection is across the line tells how much of the body's side
    the sensor saw (c < 0: a LiDAR cluster narrow across is a piece, its centre worse along too)."""

    bias_along_m: float = 0.0
    add_var_along_m2: float = 0.0
    add_var_across_m2: float = 0.0
    scale_along: float = 1.0
    scale_across: float = 1.0
    power_along: float = 1.0
    power_across: float = 1.0
    ref_var_along_m2: float = 1.0  # the variance at which the power law is anchored (its scale's unit)
    ref_var_across_m2: float = 1.0
    score_power: float = 0.0
    ref_score: float = 1.0
    across_power: float = 0.0  # the along variance's term also × (r_across / ref_var_across_m2)^across_power


def to_centres(
    z: np.ndarray,
    R: np.ndarray,
    sensor_xy: np.ndarray | None,
    models: list[LineOfSightModel],
    score: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each detection z (m, 2) with covariance R (m, 2, 2) and `score` (m,) moved and widened by its model
    (one per detection), in the frame of the line of sight from `sensor_xy` (2,); None: a source without
    one, whose models must be isotropic (the x axis stands in for the line of sight)."""
    if not len(z):
        return z, R
    bias = np.array([m.bias_along_m for m in models])
    qa = np.array([m.add_var_along_m2 for m in models])
    qc = np.array([m.add_var_across_m2 for m in models])
    k = np.array([(m.scale_along, m.scale_across) for m in models])  # (m, 2)
    g = np.array([(m.power_along, m.power_across) for m in models])
    ref = np.array([(m.ref_var_along_m2, m.ref_var_across_m2) for m in models])
    h = np.array([m.score_power for m in models])
    c = np.array([m.across_power for m in models])
    by_score = np.ones(len(z))  # the spread's factor from the score, (score / ref_score)^−h
    if score is not None and h.any():
        ratio = np.clip(np.asarray(score, float), 1e-3, 1.0) / np.array([m.ref_score for m in models])
        by_score = ratio**-h
    if sensor_xy is None:
        u = np.tile([1.0, 0.0], (len(z), 1))
    else:
        u = z - np.asarray(sensor_xy, float)[None]
        u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-9)
    n = np.column_stack([-u[:, 1], u[:, 0]])
    U = np.stack([u, n], axis=2)  # columns: along, across
    los = np.einsum("nji,njk,nkl->nil", U, R, U)
    r = np.maximum(np.diagonal(los, axis1=1, axis2=2), 1e-12)  # (m, 2) variances along, across
    x = np.clip(r / ref, 1e-3, 1e3)  # a power below 0 must not meet a variance of 0
    d2 = k * x ** (g - 1) * by_score[:, None]  # variance factor: r → k·ref·(r/ref)^g·(s/s₀)^−h
    if c.any():
        d2[:, 0] *= x[:, 1] ** c  # along also × (r_across/ref_across)^c
    d = np.sqrt(d2)
    los = los * d[:, :, None] * d[:, None, :]
    los[:, 0, 0] += qa
    los[:, 1, 1] += qc
    return z + bias[:, None] * u, np.einsum("nij,njk,nlk->nil", U, los, U)

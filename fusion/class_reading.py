"""Detections read as the class of the track they are tested against (`ClassConditioned`): where a body's
centre lies, and how far off the detection may be, depend on whether it is a forklift or a worker, and a
track's class — voted over many detections — is surer than one detection's label."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fusion.association import position_distances
from fusion.measurements import ClassConditioned


def reading_index(track_classes, by_class: ClassConditioned | None, m: int) -> np.ndarray | None:
    """Per track, the index of its class in `by_class.classes` (−1: read as reported); None when no track
    has one of those classes (or there is no reading by class of these m measurements)."""
    if by_class is None or len(by_class.z) != m:
        return None
    index = {c: k for k, c in enumerate(by_class.classes)}
    kind = np.array([index.get(c, -1) for c in track_classes], int)
    return kind if (kind >= 0).any() else None


def class_distances(x, P, z, R, by_class: ClassConditioned, kind: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distances (tracks, measurements), each track's row from its class's reading
    (`reading_index`), the others' from z, R."""
    d2 = position_distances(x, P, z, R)
    for k in np.unique(kind[kind >= 0]):
        sel = kind == k
        d2[sel] = position_distances(x[sel], P[sel], by_class.z[:, k], by_class.R[:, k])
    return d2


def track_distances(x, P, z, R, by_class, kind, view) -> np.ndarray:
    """Squared Mahalanobis distances (tracks, measurements) of one sensor's detections: each track's row
    from its class's reading where it has one (`kind`, or None), and where the filter estimates this
    sensor's bias on the track (`view`: `fusion.sensor_bias.OffsetView`, or None) against the position the
    sensor sees it at, bias included, with the white share of the detection's covariance."""

    def d2_of(x, P, kind, Rm, B):
        if kind is None:
            return position_distances(x, P, z, Rm)
        return class_distances(x, P, z, Rm, replace(by_class, R=B), kind)

    d2 = d2_of(x, P, kind, R, None if by_class is None else by_class.R)
    if view is not None and view.live.any():
        live = view.live  # only these tracks are seen through the sensor's offset: the rest keep their rows
        xv, Pv = x[live].copy(), P[live].copy()
        xv[:, :2], Pv[:, :2, :2] = view.z[live], view.S[live]
        B = None if by_class is None else view.white * by_class.R
        d2[live] = d2_of(xv, Pv, None if kind is None else kind[live], view.white * R, B)
    return d2


def paired(rows, cols, z, R, by_class: ClassConditioned | None, kind: np.ndarray | None):
    """The (z, R) each associated (track row, measurement column) pair updates with."""
    zp, Rp = z[cols], R[cols]  # fancy indexing: copies
    if kind is not None:
        k = kind[rows]
        own = k >= 0
        zp[own] = by_class.z[cols[own], k[own]]
        Rp[own] = by_class.R[cols[own], k[own]]
    return zp, Rp

"""Detections read as the class of the track they are tested against: distances against brute force, the
pairs' measurements, and a tracker that gates and updates a forklift track with the forklift reading."""

from __future__ import annotations

import numpy as np
from filterpy.kalman import predict as fp_predict
from filterpy.kalman import update as fp_update

from fusion.class_reading import class_distances, paired, reading_index
from fusion.measurements import ClassConditioned
from fusion.motion import PROCESS_NOISE, cv_process_noise, cv_transition
from fusion.tracker import Tracker, TrackerConfig

CLASSES = ("forklift", "agv", "worker")


def _by_class(rng, m):
    z = rng.normal(0, 3, (m, 3, 2))
    A = rng.normal(0, 0.3, (m, 3, 2, 2))
    return ClassConditioned(CLASSES, z, A @ A.transpose(0, 1, 3, 2) + 0.01 * np.eye(2))


def test_reading_index_maps_track_classes_and_declines_what_it_cannot_read():
    bc = _by_class(np.random.default_rng(0), 4)
    np.testing.assert_array_equal(reading_index(["worker", "unknown", "forklift"], bc, 4), [2, -1, 0])
    assert reading_index(["unknown", "pallet"], bc, 4) is None  # no track of a class the reading has
    assert reading_index(["worker"], None, 4) is None
    assert reading_index(["worker"], bc, 3) is None  # a reading of other measurements


def test_class_distances_match_brute_force():
    rng = np.random.default_rng(1)
    n, m = 5, 4
    x = rng.normal(0, 3, (n, 4))
    B = rng.normal(0, 0.4, (n, 4, 4))
    P = B @ B.transpose(0, 2, 1) + 0.05 * np.eye(4)
    z = rng.normal(0, 3, (m, 2))
    R = np.tile(np.eye(2) * 0.2, (m, 1, 1))
    bc = _by_class(rng, m)
    kind = np.array([0, 2, -1, 1, 2])
    d2 = class_distances(x, P, z, R, bc, kind)
    for i in range(n):
        for j in range(m):
            zz, RR = (z[j], R[j]) if kind[i] < 0 else (bc.z[j, kind[i]], bc.R[j, kind[i]])
            nu = zz - x[i, :2]
            assert np.isclose(d2[i, j], nu @ np.linalg.solve(P[i, :2, :2] + RR, nu))
    zp, Rp = paired(np.array([0, 2, 4]), np.array([3, 1, 0]), z, R, bc, kind)
    np.testing.assert_array_equal(zp, [bc.z[3, 0], z[1], bc.z[0, 2]])
    np.testing.assert_array_equal(Rp, [bc.R[3, 0], R[1], bc.R[0, 2]])


def _forklift_track(measurement_class: str) -> Tracker:
    tr = Tracker(TrackerConfig(filter="numpy", measurement_class=measurement_class))
    for k in range(5):
        tr.update_positions(0.1 * k, np.array([[10.0, 5.0]]), np.eye(2) * 0.01, ["forklift"])
    assert [s.cls for s in tr.states(confirmed_only=True)] == ["forklift"]
    return tr


def test_a_forklift_track_is_updated_with_the_forklift_reading_as_filterpy_would():
    """The label says worker and its reported reading is 3 m off; read as a forklift's body (the track's
    class) it is 0.4 m off with a wide spread: the track takes it, and its state is filterpy's update."""
    z, R = np.array([[10.0, 8.0]]), np.eye(2)[None] * 0.01
    bc = ClassConditioned(
        CLASSES,
        np.array([[[10.4, 5.0], [10.0, 8.0], [10.0, 8.0]]]),
        np.array([[np.diag([0.09, 0.04]), R[0], R[0]]]),
    )
    tr = _forklift_track("track")
    (before,) = tr.states()
    x, P = before.x.copy(), before.P.copy()
    dt = 0.1
    x, P = fp_predict(x, P, cv_transition(dt)[0], cv_process_noise(dt, PROCESS_NOISE["forklift"])[0])
    x, P = fp_update(x, P, bc.z[0, 0], bc.R[0, 0], np.eye(2, 4))
    rows, cols = tr.update_positions(0.5, z, R, ["worker"], by_class=bc)
    assert rows.tolist() == [0] and cols.tolist() == [0]
    (after,) = tr.states()
    np.testing.assert_allclose(after.x, x, atol=1e-9)
    np.testing.assert_allclose(after.P, P, atol=1e-9)
    # Read as reported, the same detection is outside the forklift track's gate and is left to start one.
    tr = _forklift_track("detection")
    rows, _ = tr.update_positions(0.5, z, R, ["worker"], by_class=bc)
    assert rows.size == 0

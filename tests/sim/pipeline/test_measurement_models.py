"""The fitted measurement models: each detection read as reported and as each class's body, and the
calibration grouping detections by the body they came from."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from fusion.line_of_sight import LineOfSightModel, to_centres
from fusion.measurements import PositionMeasurements
from sim.pipeline.measurement_models import BODY_CLASSES, centred, fitted_models

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def test_detections_are_read_as_reported_and_as_every_body_class():
    models = {"lidar/worker": LineOfSightModel(0.1, 0.01, 0.02)}
    body = {
        "lidar/forklift": LineOfSightModel(0.3, 0.1, 0.2),
        "lidar/worker": LineOfSightModel(0.05, 0.0, 0.001),
    }
    rng = np.random.default_rng(0)
    z = rng.uniform(2, 10, (3, 2))
    R = np.tile(np.eye(2) * 0.02, (3, 1, 1))
    pm = PositionMeasurements(0.0, "l1", "lidar", z, R, ("worker", "forklift", "worker"), np.ones(3))
    sensor = np.array([1.0, -1.0])
    out = centred(pm, sensor, models, body)
    for k in range(3):  # one detection at a time, against the line-of-sight closed form
        as_reported = models.get(f"lidar/{pm.cls[k]}", LineOfSightModel())
        zk, Rk = to_centres(z[k : k + 1], R[k : k + 1], sensor, [as_reported])
        np.testing.assert_allclose(out.z[k], zk[0])
        np.testing.assert_allclose(out.R[k], Rk[0])
        for j, c in enumerate(BODY_CLASSES):
            zb, Rb = to_centres(
                z[k : k + 1], R[k : k + 1], sensor, [body.get(f"lidar/{c}", LineOfSightModel())]
            )
            np.testing.assert_allclose(out.by_class.z[k, j], zb[0])
            np.testing.assert_allclose(out.by_class.R[k, j], Rb[0])
    assert out.by_class.classes == BODY_CLASSES
    # A source without body models is read as reported only.
    assert centred(pm, sensor, models, {"camera/worker": LineOfSightModel()}).by_class is None


def test_shipped_body_models_cover_every_detecting_source_and_class():
    body = fitted_models("body_models")
    for source in ("camera", "lidar", "thermal"):
        for c in BODY_CLASSES:
            assert f"{source}/{c}" in body
    # A forklift is measured at its near face: its body lies further along the line of sight than a
    # LiDAR's worker detection says, and its spread is wider.
    f, w = body["lidar/forklift"], body["lidar/worker"]
    assert f.bias_along_m > 0 and f.add_var_along_m2 > w.add_var_along_m2


def test_calibration_groups_by_the_body_when_asked():
    """Rows: (source, reported, e_along, e_across, R_along, R_across, d², true class, sequence, step)."""
    sys.path.insert(0, str(TOOLS))
    import calibrate_measurements

    rng = np.random.default_rng(2)
    rows = [("lidar", "worker", *rng.normal(0, 0.1, 2), 0.01, 0.01, 1.0, "worker", "w", i) for i in range(40)]
    rows += [
        ("lidar", "worker", *rng.normal(0.6, 0.3, 2), 0.01, 0.01, 40.0, "forklift", "f", i) for i in range(40)
    ]
    by_label = calibrate_measurements.fit(rows)
    by_body = calibrate_measurements.fit(rows, by_body=True)
    assert set(by_label) == {"lidar/worker"} and set(by_body) == {"lidar/worker", "lidar/forklift"}
    assert by_body["lidar/worker"]["matched"] == 40 and by_body["lidar/forklift"]["matched"] == 40
    # The label's model covers both bodies' errors; the worker body's covers only the workers'.
    assert by_body["lidar/worker"]["add_var_across_m2"] < by_label["lidar/worker"]["add_var_across_m2"] / 5


def _calibration():
    sys.path.insert(0, str(TOOLS))
    import calibrate_measurements

    return calibrate_measurements


def test_lag_correlation_recovers_an_ar1_error_and_finds_none_in_white_noise():
    """Errors e_t = ρ e_(t−1) + w_t along, white across, over 20 bodies' sequences of 200 scans."""
    cm = _calibration()
    rng = np.random.default_rng(5)
    rows, rho = [], 0.8
    for body in range(20):
        e = 0.0
        for step in range(200):
            e = rho * e + rng.normal(0, 0.1 * np.sqrt(1 - rho**2))
            rows.append(("camera", "agv", e, rng.normal(0, 0.1), 0.01, 0.01, 2.0, "agv", f"b{body}", step))
    m = cm.fit(rows)["camera/agv"]
    assert abs(m["lag1_corr_along"] - rho) < 0.03  # standard error ≈ (1 − ρ²)/√4000 ≈ 0.006
    assert abs(m["lag1_corr_across"]) < 0.05


def test_shrink_scales_an_over_covered_axis_to_consistency_and_leaves_an_under_covered_one():
    """Reported σ 0.2 m on both axes; true errors 0.1 m along (over-covered), 0.3 m across (under)."""
    cm = _calibration()
    rng = np.random.default_rng(6)
    e = rng.normal(0, [0.1, 0.3], (4000, 2))
    rows = [("thermal", "worker", a, c, 0.04, 0.04, 0.0, "worker", "s", i) for i, (a, c) in enumerate(e)]
    kept, shrunk = cm.fit(rows)["thermal/worker"], cm.fit(rows, shrink=True)["thermal/worker"]
    assert kept["scale_along"] == 1.0 and abs(shrunk["scale_along"] - 0.25) < 0.02  # (0.1 / 0.2)²
    for m in (kept, shrunk):  # across: 0.04 + q = 0.09 either way
        assert m["scale_across"] == 1.0 and abs(m["add_var_across_m2"] - 0.05) < 0.004

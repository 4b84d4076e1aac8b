"""The fitted measurement models: each detection read as reported and as each class's body, and the
calibration grouping detections by the body they came from."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from fusion.line_of_sight import LineOfSightModel, to_centres
from fusion.measurements import PositionMeasurements
from sim.pipeline.measurement_models import BODY_CLASSES, centred, fitted_models

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / "tools"


def test_detections_are_read_as_reported_and_as_every_body_class():
    models = {"lidar/worker": LineOfSightModel(0.1, 0.01, 0.02)}
    body = {
        "lidar/forklift": LineOfSightModel(0.3, 0.1, 0.2),
        "lidar/worker": LineOfSightModel(0.05, 0.0, 0.001),
        "lidar/worker/forklift": LineOfSightModel(0.4, 0.3, 0.3),  # a worker reported as a forklift
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
            whole = body.get(f"lidar/{c}", LineOfSightModel())
            given = body.get(f"lidar/{c}/{pm.cls[k]}", whole)
            assert (given is body["lidar/worker/forklift"]) == (k == 1 and c == "worker")
            zb, Rb = to_centres(z[k : k + 1], R[k : k + 1], sensor, [given])
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
    z, R = np.array([[10.0, 0.0]]), np.eye(2)[None] * 0.02  # a detection 10 m out along x, σ 0.14 m
    along = [to_centres(z, R, np.zeros(2), [m])[1][0, 0, 0] for m in (f, w)]
    assert f.bias_along_m > 0 and along[0] > 2 * along[1]


def test_calibration_groups_by_the_body_when_asked():
    """Rows: (source, reported, e_along, e_across, R_along, R_across, d², true class, sequence, step, score,
    isotropic)."""
    sys.path.insert(0, str(TOOLS))
    import calibrate_measurements

    rng = np.random.default_rng(2)
    rows = [
        ("lidar", "worker", *rng.normal(0, 0.1, 2), 0.01, 0.01, 1.0, "worker", "w", i, 1.0, False)
        for i in range(40)
    ]
    rows += [
        ("lidar", "worker", *rng.normal(0.6, 0.3, 2), 0.01, 0.01, 40.0, "forklift", "f", i, 1.0, False)
        for i in range(40)
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
            rows.append(
                ("camera", "agv", e, rng.normal(0, 0.1), 0.01, 0.01, 2.0, "agv", f"b{body}", step, 1.0, False)
            )
    m = cm.fit(rows)["camera/agv"]
    assert abs(m["lag1_corr_along"] - rho) < 0.03  # standard error ≈ (1 − ρ²)/√4000 ≈ 0.006
    assert abs(m["lag1_corr_across"]) < 0.05


def test_shrink_scales_an_over_covered_axis_to_consistency_and_leaves_an_under_covered_one():
    """Reported σ 0.2 m on both axes; true errors 0.1 m along (over-covered), 0.3 m across (under)."""
    cm = _calibration()
    rng = np.random.default_rng(6)
    e = rng.normal(0, [0.1, 0.3], (4000, 2))
    rows = [
        ("thermal", "worker", a, c, 0.04, 0.04, 0.0, "worker", "s", i, 1.0, False)
        for i, (a, c) in enumerate(e)
    ]
    kept, shrunk = cm.fit(rows)["thermal/worker"], cm.fit(rows, shrink=True)["thermal/worker"]
    assert kept["scale_along"] == 1.0 and abs(shrunk["scale_along"] - 0.25) < 0.02  # (0.1 / 0.2)²
    for m in (kept, shrunk):  # across: 0.04 + q = 0.09 either way
        assert m["scale_across"] == 1.0 and abs(m["add_var_across_m2"] - 0.05) < 0.004


def test_power_law_recovers_a_known_variance_law_and_is_exactly_consistent():
    """Errors drawn with variance 0.002 + 3 · ref · (r / ref)² (ref = 0.03 m², the median reported r):
    the maximum-likelihood fit finds the power, scale and constant; the mean normalised error is 1."""
    cm = _calibration()
    rng = np.random.default_rng(8)
    r = rng.uniform(0.01, 0.05, 40_000)
    ref = float(np.median(r))
    true_var = 0.002 + 3 * ref * (r / ref) ** 2
    e = rng.normal(0, np.sqrt(true_var))
    k, g, ref_fit, q = cm.power_law(e, r)
    assert ref_fit == ref
    assert abs(g - 2) < 0.12 and abs(k - 3) < 0.15 and abs(q - 0.002) < 0.003
    fitted = q + k * ref * (r / ref) ** g
    assert abs(np.mean(e * e / fitted) - 1) < 1e-9


def test_by_reported_adds_a_group_per_body_and_reported_class():
    """Workers reported as workers (errors 0.1 m) and as forklifts (merged: 0.5 m): the body's group pools
    both; the per-reported groups keep them apart."""
    cm = _calibration()
    rng = np.random.default_rng(9)
    rows = [
        ("camera", "worker", *rng.normal(0, 0.1, 2), 0.01, 0.01, 1.0, "worker", "a", i, 1.0, False)
        for i in range(300)
    ]
    rows += [
        ("camera", "forklift", *rng.normal(0, 0.5, 2), 0.01, 0.01, 9.0, "worker", "b", i, 1.0, False)
        for i in range(100)
    ]
    m = cm.fit(rows, by_body=True, shrink=True, by_reported=True)
    assert set(m) == {"camera/worker", "camera/worker/worker", "camera/worker/forklift"}
    assert m["camera/worker/worker"]["matched"] == 300 and m["camera/worker/forklift"]["matched"] == 100
    across = {k: v["add_var_across_m2"] for k, v in m.items()}
    assert abs(across["camera/worker/forklift"] + 0.01 - 0.25) < 0.06  # 0.5² in all
    assert across["camera/worker/worker"] < 0.005 < across["camera/worker"]


def test_writing_one_sources_models_keeps_every_other_sources_and_their_command(tmp_path):
    """`--source pointnet --write F`: the pointnet groups are replaced, the others kept; the command is
    recorded for pointnet beside the first one, and a second fit of pointnet replaces its own record."""
    cm = _calibration()
    target = tmp_path / "models.json"
    m = {"matched": 40, "bias_along_m": 0.1}
    cm.write_models(target, {"lidar/worker": m, "camera/agv": m}, "CMD1", by_body=True)
    cm.write_models(target, {"pointnet/worker": m}, "CMD2", by_body=True, sources=["pointnet"])
    cm.write_models(target, {"pointnet/agv": m}, "CMD3", by_body=True, sources=["pointnet"])
    doc = json.loads(target.read_text())
    assert set(doc["body_models"]) == {"lidar/worker", "camera/agv", "pointnet/agv"}
    assert doc["body_fitted_with"] == "CMD1; the pointnet/* models: CMD3"
    assert doc["models"] == {}  # the other kind is left as it was
    cm.write_models(target, {"camera/worker": m}, "CMD4", by_body=False)
    doc = json.loads(target.read_text())
    assert doc["fitted_with"] == "CMD4" and set(doc["models"]) == {"camera/worker"}
    assert doc["body_fitted_with"] == "CMD1; the pointnet/* models: CMD3"


def test_score_law_recovers_a_known_score_power_and_is_exactly_consistent():
    """A source without a line of sight (the 3D-CNN): errors drawn with variance 0.001 + 0.02 · (s / s₀)^−3
    (s₀ the scores' median) on both axes; the pooled isotropic fit finds the score power and constant, has
    no bias, and reads each detection's variance back as drawn."""
    cm = _calibration()
    rng = np.random.default_rng(10)
    s = rng.uniform(0.4, 1.0, 20_000)
    s0 = float(np.median(np.concatenate([s, s])))
    var = 0.001 + 0.02 * (s / s0) ** -3
    e = rng.normal(0, np.sqrt(var)[:, None], (len(s), 2))
    e[:, 0] += 0.02  # an offset on x, too small to matter to the spread: no bias is fitted all the same
    rows = [
        ("cnn3d", "worker", a, c, 0.0225, 0.0225, 0.0, "worker", "q", i, si, True)
        for i, ((a, c), si) in enumerate(zip(e, s, strict=True))
    ]
    m = cm.fit(rows, ml=True, score=True)["cnn3d/worker"]
    assert m["bias_along_m"] == 0.0 and m["ref_score"] == round(s0, 4)
    assert abs(m["score_power"] - 3) < 0.25
    assert m["scale_along"] == m["scale_across"] and m["power_along"] == m["power_across"]
    model = LineOfSightModel(**{k: v for k, v in m.items() if k in LineOfSightModel.__dataclass_fields__})
    _, Rc = to_centres(np.zeros((3, 2)), np.tile(np.eye(2) * 0.0225, (3, 1, 1)), None, [model] * 3, s[:3])
    assert np.allclose(Rc[:, 0, 0], Rc[:, 1, 1]) and np.allclose(Rc[:, 0, 1], 0)
    assert np.allclose(Rc[:, 0, 0], var[:3], rtol=0.1)


def test_a_source_without_a_position_is_centred_only_where_its_source_was_fitted():
    """The 3D-CNN's boxes (sensor without a position): widened by their score law where `cnn3d/…` models
    exist, in no particular direction; another positionless source passes as reported."""
    from types import SimpleNamespace

    from sim.pipeline.measurement_models import Centring

    scenario = SimpleNamespace(pipeline=SimpleNamespace(measurement_model="fitted"), sensors=[])
    c = Centring(scenario)
    c.models = {
        "cnn3d/worker": LineOfSightModel(scale_along=2.0, scale_across=2.0, score_power=2.0, ref_score=0.5)
    }
    c.body, c.fitted_sources = {}, {"cnn3d"}
    R = np.tile(np.eye(2) * 0.01, (2, 1, 1))
    pm = PositionMeasurements(
        0.0, "cnn3d", "cnn3d", np.ones((2, 2)), R, ("worker", "worker"), np.array([0.5, 1.0])
    )
    out = c("", pm)
    # variance 2 · 0.01 · (s / 0.5)^−2: 0.02 at score 0.5, 0.005 at score 1
    assert np.allclose(out.R[:, 0, 0], [0.02, 0.005]) and np.allclose(out.R, out.R.transpose(0, 2, 1))
    assert np.allclose(out.R[:, 0, 0], out.R[:, 1, 1]) and np.array_equal(out.z, pm.z)
    other = PositionMeasurements(0.0, "o", "oracle", np.ones((2, 2)), R, ("worker", "worker"), np.ones(2))
    assert c("", other) is other


def test_score_fit_is_refused_where_no_source_lacks_a_position(monkeypatch, capsys):
    """`--score` fits only isotropic groups: asked of line-of-sight sources alone it says so (exit 2)."""
    cm = _calibration()
    row = ("camera", "worker", 0.1, 0.1, 0.01, 0.01, 2.0, "worker", "s", 0, 0.9, False)
    monkeypatch.setattr(cm, "_samples", lambda *a, **k: [row] * 40)
    with pytest.raises(SystemExit) as e:
        cm.main(["scenarios/default.yaml", "--seeds", "11", "--ml", "--score"])
    assert e.value.code == 2 and "--score" in capsys.readouterr().err


def test_validation_scale_centres_the_scenarios_cells_in_the_band_in_ratio():
    """Two scenarios reading 2.6 and 1.6 (their runs' means) are scaled by √(2.6·1.6)/√(1.5·2.5): both end
    as far in ratio from either edge; one scenario's cell lands on the band's centre."""
    cm = _calibration()
    per_run = {
        ("default", "lidar", "agv"): [2.4, 2.8],
        ("busy", "lidar", "agv"): [1.6],
        ("busy", "lidar", "worker"): [2.5, 2.3, 2.1],
    }
    s = cm.validation_scales(per_run)
    assert s["lidar", "agv"] == pytest.approx(np.sqrt(2.6 * 1.6 / 3.75))
    hi, lo = 2.6 / s["lidar", "agv"], 1.6 / s["lidar", "agv"]
    assert hi / 2.5 == pytest.approx(1.5 / lo) and 1.5 < lo < hi < 2.5
    assert 2.3 / s["lidar", "worker"] == pytest.approx(np.sqrt(1.5 * 2.5))


def test_scaled_body_models_divide_every_normalised_error_by_the_scale():
    """Multiplying a class's power-law scale and added variances by s multiplies its covariance by s
    exactly (so each detection's NSE by 1/s); other classes' entries are left as they were."""
    cm = _calibration()
    entry = {
        "bias_along_m": 0.2,
        "add_var_along_m2": 0.01,
        "add_var_across_m2": 0.02,
        "scale_along": 0.5,
        "scale_across": 1.5,
        "power_along": 1.7,
        "power_across": 0.4,
        "ref_var_along_m2": 0.02,
        "ref_var_across_m2": 0.03,
    }
    models = {"lidar/agv": entry, "lidar/agv/worker": entry, "lidar/worker": entry}
    out = cm.scaled(models, {("lidar", "agv"): 1.25})
    assert out["lidar/worker"] is entry and out["lidar/agv"]["validation_scale"] == 1.25
    z = np.array([[3.0, 4.0], [-2.0, 1.0]])
    R = np.array([[[0.03, 0.01], [0.01, 0.05]], [[0.2, 0.0], [0.0, 0.1]]])
    before = LineOfSightModel(**{k: v for k, v in entry.items()})
    for key in ("lidar/agv", "lidar/agv/worker"):
        after = LineOfSightModel(**{k: v for k, v in out[key].items() if k != "validation_scale"})
        z0, R0 = to_centres(z, R, np.zeros(2), [before] * 2)
        z1, R1 = to_centres(z, R, np.zeros(2), [after] * 2)
        assert np.array_equal(z0, z1) and np.allclose(R1, 1.25 * R0, rtol=1e-12)


def test_validation_seeds_must_not_overlap_the_fitted_ones(capsys):
    """A scale set on runs the fit saw would carry its optimism: refused (exit 2), as is one without the
    body models it scales."""
    cm = _calibration()
    for argv in (
        ["scenarios/default.yaml", "--seeds", "11-14", "--by-body", "--validate-seeds", "14-16"],
        ["scenarios/default.yaml", "--seeds", "11-14", "--validate-seeds", "15-20"],
        ["scenarios/default.yaml", "--seeds", "11-14", "--by-body", "--validate-seeds", "5-8"],
    ):
        with pytest.raises(SystemExit) as e:
            cm.main(argv)
        assert e.value.code == 2 and "seeds" in capsys.readouterr().err


def test_signed_law_recovers_a_negative_power_and_the_across_covariate():
    """Errors along drawn with variance 0.001 + 0.5 · ref · (r / ref)^−1 · (c / c̃)^−2 (c: the across
    variances, c̃ their median): the signed fit finds both powers and the scale, is exactly consistent, and
    on fresh rows of the same law its likelihood beats the unsigned law's, whose power cannot fall below 0."""
    cm = _calibration()
    rng = np.random.default_rng(3)

    def draw(n):
        r, c = rng.uniform(0.01, 0.05, n), rng.uniform(0.02, 0.1, n)
        v = 0.001 + 0.5 * np.median(r) * (r / np.median(r)) ** -1 * (c / np.median(c)) ** -2
        return rng.normal(0, np.sqrt(v)), r, c

    e, r, c = draw(40_000)
    law = cm.score_power_law(e, r, across=c, signed=True)
    k, g, ref, q, _, _, cp = law
    assert abs(g + 1) < 0.1 and abs(cp + 2) < 0.1 and abs(k - 0.5) < 0.05 and q < 0.003
    v = q + k * ref * (r / ref) ** g * (c / np.median(c)) ** cp
    assert abs(np.mean(e * e / v) - 1) < 1e-9
    e2, r2, c2 = draw(5_000)  # fresh rows: the signed law explains them better than the unsigned one
    k0, g0, ref0, q0 = cm.power_law(e, r)
    signed = q + k * ref * (r2 / ref) ** g * (c2 / np.median(c)) ** cp
    plain = q0 + k0 * ref0 * (r2 / ref0) ** g0
    assert g0 >= 0 and np.mean(np.log(signed) + e2**2 / signed) < np.mean(np.log(plain) + e2**2 / plain)


def test_the_candidate_whose_scenario_cells_lie_closest_together_is_chosen_per_class():
    """LiDAR AGVs read 2.8 / 1.5 under one law and 2.4 / 2.0 under the other: the second (ratio 1.2 against
    1.87), which a common scale can centre inside the band; camera workers the first (1.9 / 2.0)."""
    cm = _calibration()
    per_run = {
        "plain": {
            ("default", "lidar", "agv"): [2.6, 3.0],
            ("busy", "lidar", "agv"): [1.5],
            ("default", "camera", "worker"): [1.9],
            ("busy", "camera", "worker"): [2.0],
        },
        "across": {
            ("default", "lidar", "agv"): [2.4],
            ("busy", "lidar", "agv"): [1.8, 2.2],
            ("default", "camera", "worker"): [1.5],
            ("busy", "camera", "worker"): [2.0],
        },
    }
    assert cm.steadiest(per_run) == {("lidar", "agv"): "across", ("camera", "worker"): "plain"}


def test_validation_reads_each_detection_as_the_scorer_does(tmp_path):
    """`scored_nse` (what the validation scale is set on) gives, per source and class, the very mean the
    scorer writes as `detection.<source>.nse_body` for the same run."""
    cm = _calibration()
    import tune_tracker

    path, seed = str(ROOT / "scenarios" / "quickstart.yaml"), 11
    pkl = tune_tracker.record(path, seed, "central", 6.0, tmp_path)
    scored = tune_tracker.replay(path, seed, "central", 6.0, (), pkl)["metrics"]["detection"]
    acc = cm.scored_nse(
        path, seed, "central", tmp_path, fitted_models("models"), fitted_models("body_models"), 6.0
    )
    assert acc
    for (source, cls), (total, n) in acc.items():
        assert total / n == pytest.approx(scored[source]["nse_body"][cls], rel=1e-5)

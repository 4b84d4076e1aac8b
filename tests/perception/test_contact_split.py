"""Blobs cut where their floor contact line jumps: the ranges against the floor-point cast, drawn bodies
(one in front of another, overhangs, a far body on both sides of a near one), and a rendered worker in
front of a forklift."""

from __future__ import annotations

import numpy as np
import yaml

from perception.camera_model import PinholeCamera, look_at_rotation
from perception.contact_split import contact_ranges, contact_runs
from perception.floor_blobs import floor_blobs, floor_point
from sim.loading import parse_scenario
from sim.simulation import Simulation

CAM = PinholeCamera.from_hfov(160, 120, 70, (0, 0, 6), look_at_rotation((0, 0, 6), (12, 0, 0)))


def test_contact_ranges_are_the_ground_distance_of_the_floor_point():
    rng = np.random.default_rng(0)
    u, v = rng.uniform(0, 160, 200), rng.uniform(0, 120, 200)
    got = contact_ranges(CAM, u, v)
    for k in range(len(u)):
        p = floor_point(CAM, u[k], v[k])
        if p is None:  # no floor point, no range
            assert not np.isfinite(got[k])
        else:
            want = np.hypot(*(p[:2] - CAM.t_wc[:2]))
            assert abs(got[k] - want) < 1e-9 * max(1.0, want)
    assert np.isfinite(got).sum() > 100  # most of these pixels see the floor


def _v_at(range_m: float) -> float:
    """The image row (lower pixel edge) whose centre column meets the floor `range_m` from the camera."""
    vs = np.linspace(0, 120, 24001)
    r = contact_ranges(CAM, np.full(vs.size, CAM.cx), vs)
    return float(vs[np.nanargmin(np.abs(np.where(np.isfinite(r), r, 1e9) - range_m))])


def _body(mask: np.ndarray, u0: int, u1: int, range_m: float, rows: int) -> None:
    """Columns u0..u1-1 of a body standing `range_m` away, `rows` pixels tall, drawn into `mask`."""
    v_bottom = round(_v_at(range_m)) - 1  # the pixel whose lower edge is that row
    mask[v_bottom - rows + 1 : v_bottom + 1, u0:u1] = True


def _runs(mask: np.ndarray, jump_m: float, min_run_px: int = 3) -> np.ndarray:
    vs, us = np.nonzero(mask)
    body = contact_runs(vs, us, CAM, jump_m, min_run_px)
    return np.array([body[us == u][0] for u in range(us.min(), us.max() + 1)])


def test_a_body_in_front_of_another_is_cut_off_but_one_body_is_not():
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 80, 14.0, 25)  # far
    _body(mask, 72, 90, 10.0, 30)  # nearer, overlapping it in the image
    cols = _runs(mask, 1.5)
    assert set(cols[:12]) == {0} and set(cols[12:]) == {1}  # columns 60–71 far, 72–89 near
    assert set(_runs(mask, 5.0)) == {0}  # a jump of 4 m is not cut at 5 m
    single = np.zeros((120, 160), bool)
    _body(single, 60, 90, 12.0, 30)
    assert set(_runs(single, 0.5)) == {0}
    assert set(_runs(mask, 0.0)) == {0}  # off


def test_an_overhang_stays_with_its_body():
    mask = np.zeros((120, 160), bool)
    _body(mask, 70, 80, 12.0, 30)  # legs
    v = round(_v_at(12.0)) - 1
    mask[v - 29 : v - 12, 68:82] = True  # a torso two pixels wider than the legs each side
    assert set(_runs(mask, 1.0)) == {0}


def test_narrow_pieces_go_back_to_their_body_even_when_they_are_several():
    """Regression: a 1-column and a 2-column piece side by side at a blob's end joined each other and
    stayed a 3-column body of their own (a false detection metres behind a forklift)."""
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 82, 12.0, 30)
    _body(mask, 82, 83, 17.0, 6)  # a column whose lowest pixel is high: 5 m further
    _body(mask, 83, 85, 14.0, 8)  # two more, 2 m further
    assert set(_runs(mask, 1.5, min_run_px=6)) == {0}


def test_a_foot_hidden_by_the_static_scene_is_no_jump():
    """Columns whose lowest pixel sits on a rack (not floor in the empty site) do not cut the blob."""
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 90, 12.0, 30)
    v = round(_v_at(12.0)) - 1
    mask[v - 5 : v + 1, 70:80] = False  # a pallet hides the feet of ten columns
    floor = np.ones((120, 160), bool)
    floor[v - 5 : v + 1, 70:80] = False  # ... the site map knows the pallet is there
    vs, us = np.nonzero(mask)
    cut = contact_runs(vs, us, CAM, 1.0, 3)
    kept = contact_runs(vs, us, CAM, 1.0, 3, floor)
    assert len(set(cut)) > 1 and set(kept) == {0}


def test_a_sloping_contact_line_far_away_is_not_cut_in_small_steps():
    """A body seen obliquely far away: its lowest pixel climbs a few rows a column, metres of floor a row.
    Steps below `min_step_px` rows are no jump; across columns whose foot is hidden, nothing is cut."""
    mask = np.zeros((120, 160), bool)
    v0 = round(_v_at(20.0))  # row 40 of 120
    for k, u in enumerate(range(40, 48)):
        mask[v0 - 8 - 3 * k : v0 - 3 * k, u] = True  # 3 rows higher each column: 2–8 m of floor a step
    vs, us = np.nonzero(mask)
    assert len(set(contact_runs(vs, us, CAM, 1.5, 1))) > 1
    assert set(contact_runs(vs, us, CAM, 1.5, 1, min_step_px=4)) == {0}
    # Two seen pieces 13 rows apart with the columns between them hidden by a rack: no cut.
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 70, 12.0, 20)
    _body(mask, 70, 80, 12.0, 20)
    v = round(_v_at(12.0)) - 1
    mask[v - 12 : v + 1, 70:80] = False  # the second piece stands 12 rows higher ...
    mask[v - 30 : v - 12, 70:80] = True
    floor = np.ones((120, 160), bool)
    floor[v - 12 : v + 2, 66:75] = False  # ... and a rack hides the feet of columns 66–74 (70–79 are higher)
    vs, us = np.nonzero(mask)
    assert len(set(contact_runs(vs, us, CAM, 1.0, 3))) == 2
    assert set(contact_runs(vs, us, CAM, 1.0, 3, floor)) == {0}


def test_close_to_the_camera_an_overhang_many_columns_wide_stays_with_its_body():
    """At 6 m a 0.3 m overhang spans four to five columns: wide enough for `min_run_px` alone, not for
    `min_width_m` at the nearest contact's distance."""
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 100, 6.0, 40)
    _body(mask, 55, 60, 9.0, 12)  # five columns whose lowest pixel is high: a guard, a mast
    assert len(set(_runs(mask, 2.0, min_run_px=3))) == 2
    vs, us = np.nonzero(mask)
    assert set(contact_runs(vs, us, CAM, 2.0, 3, min_width_m=0.4)) == {0}


def test_a_far_body_either_side_of_a_near_one_is_one_body():
    mask = np.zeros((120, 160), bool)
    _body(mask, 50, 90, 15.0, 20)  # a forklift far away
    _body(mask, 66, 74, 9.0, 35)  # a worker in front of its middle
    cols = _runs(mask, 1.5)
    assert cols[0] == cols[-1] != cols[20]  # the far body's two sides are one body, the worker another
    assert len(set(cols)) == 2


def test_floor_blobs_places_both_bodies_of_a_cut_blob():
    mask = np.zeros((120, 160), bool)
    _body(mask, 60, 80, 14.0, 25)
    _body(mask, 76, 88, 10.0, 30)
    whole = floor_blobs(mask, CAM, min_pixels=4, max_height_m=None)
    cut = floor_blobs(mask, CAM, min_pixels=4, max_height_m=None, split_jump_m=1.5)
    assert len(whole) == 1 and len(cut) == 2
    near, far = sorted(cut, key=lambda b: np.hypot(*b.position))
    assert abs(np.hypot(*near.position) - 10.0) < 1.0 and abs(np.hypot(*far.position) - 14.0) < 1.5
    assert near.pixels + far.pixels == whole[0].pixels


def test_a_rendered_worker_in_front_of_a_forklift_is_found_beside_it():
    """A camera 6 m up sees a worker 2.5 m in front of a side-on forklift: one blob; cut, two bodies,
    each placed within 1 m of its actor."""
    d = {
        "name": "t",
        "duration_s": 1,
        "layout": {"size_m": [30, 14], "height_m": 9},
        "actors": [
            {
                "id": "f",
                "kind": "forklift",
                "motion": {"type": "stationary", "position": [17, 7], "yaw_deg": 90},
            },
            {"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [14.3, 7.4]}},
        ],
        "sensors": [{"id": "cam", "type": "camera", "position": [2, 7, 6], "look_at": [15, 7, 0]}],
    }
    sim = Simulation(parse_scenario(yaml.safe_dump(d)))
    step, _ = sim.reset()
    (frame,) = step.readings
    T = frame.pose
    h, w = frame.rgb.shape[:2]
    cam = PinholeCamera(w, h, frame.K[0, 0], frame.K[0, 2], frame.K[1, 2], T[:3, :3], T[:3, 3])
    mask = np.isin(frame.truth_class, (4, 6))  # the bodies' pixels, as a perfect background model has them
    assert len(floor_blobs(mask, cam, max_height_m=None)) == 1
    cut = floor_blobs(mask, cam, max_height_m=None, split_jump_m=1.5)
    assert len(cut) == 2
    for xy in ([17, 7], [14.3, 7.4]):
        assert min(np.linalg.norm(b.position - xy) for b in cut) < 1.0

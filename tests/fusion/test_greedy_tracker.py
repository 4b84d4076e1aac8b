"""CenterPoint's greedy tracker, and measured velocities in the Kalman tracker."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from fusion.filter_bank import NumpyBank
from fusion.greedy_tracker import GreedyTracker, GreedyTrackerConfig
from fusion.tracker import VELOCITY, Tracker, TrackerConfig

R = np.eye(2) * 0.04
RV = np.eye(2) * 0.09


def _frame(tr: GreedyTracker, t: float, z, v, cls, score=None):
    z, v = np.asarray(z, float), np.asarray(v, float)
    n = len(z)
    score = np.ones(n) if score is None else np.asarray(score, float)
    return tr.update(t, z, v, np.repeat(R[None], n, 0), np.repeat(RV[None], n, 0), list(cls), score)


SPEED, DT, LANE = 2.5, 0.25, 0.5  # two AGVs in lanes 0.5 m apart, 0.25 s between frames (one missed)


def _crossing(use_velocity: bool, noise: float) -> tuple[GreedyTracker, set, set]:
    """The AGVs pass each other; returns the tracker and the ids that followed each of them."""
    tr = GreedyTracker(GreedyTrackerConfig(max_distance_m={"agv": 1.5, "unknown": 1.5}))
    ids_a, ids_b = set(), set()
    for k in range(24):
        t = 0.1 + k * DT
        a, b = np.array([-3.0 + SPEED * t, 0.0]), np.array([3.0 - SPEED * t, LANE])
        va, vb = np.array([SPEED, 0.0]), np.array([-SPEED, 0.0])
        z, v = (np.array([b, a]), np.array([vb, va])) if k % 2 else (np.array([a, b]), np.array([va, vb]))
        z = z + np.random.default_rng(k).normal(0, noise, z.shape)
        _frame(tr, t, z, v if use_velocity else np.zeros_like(v), ["agv", "agv"])
        ids_a.add(min(tr.states(), key=lambda s: np.linalg.norm(s.x[:2] - a)).id)
        ids_b.add(min(tr.states(), key=lambda s: np.linalg.norm(s.x[:2] - b)).id)
    return tr, ids_a, ids_b


def test_ids_are_kept_through_a_crossing():
    """At the crossing each AGV's new position is nearer the other's last one (0.52 m against 0.63 m);
    moved back by its own velocity it lands on its own."""
    tr, ids_a, ids_b = _crossing(True, noise=0.05)
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
    assert tr.started == 2


def test_matching_by_nearest_last_position_swaps_them():
    """The same crossing without velocities (c − v·dt = c): the ids swap — the test above passes because
    of the back-projection, not by luck."""
    _, ids_a, ids_b = _crossing(False, noise=0.0)
    assert len(ids_a) == 2 and len(ids_b) == 2


def test_a_track_coasts_at_its_velocity_and_is_picked_up_under_its_id():
    tr = GreedyTracker(GreedyTrackerConfig(max_coast_s=0.5))
    _frame(tr, 0.0, [[0.0, 0.0]], [[1.0, 0.0]], ["agv"])
    _frame(tr, 0.1, [[0.1, 0.0]], [[1.0, 0.0]], ["agv"])
    (s,) = tr.states()
    assert s.status == "confirmed"
    _frame(tr, 0.2, np.zeros((0, 2)), np.zeros((0, 2)), [])
    assert tr.states() == []  # CenterPoint reports only tracks matched in the latest frame
    _frame(tr, 0.4, [[0.42, 0.05]], [[1.0, 0.0]], ["agv"])
    (again,) = tr.states()
    assert again.id == s.id and tr.started == 1
    _frame(tr, 1.0, np.zeros((0, 2)), np.zeros((0, 2)), [])
    _frame(tr, 1.1, [[1.1, 0.0]], [[1.0, 0.0]], ["agv"])
    (late,) = tr.states()
    assert late.id != s.id  # 0.7 s unmatched: dropped, a new track


def test_weak_detections_start_nothing_and_classes_can_be_gated():
    tr = GreedyTracker(GreedyTrackerConfig(birth_score=0.5, same_class=True))
    _frame(tr, 0.0, [[0.0, 0.0], [5.0, 5.0]], np.zeros((2, 2)), ["worker", "agv"], score=[0.9, 0.2])
    assert tr.started == 1
    rows, _ = _frame(tr, 0.1, [[0.1, 0.0]], np.zeros((1, 2)), ["forklift"])
    assert rows.size == 0 and tr.started == 2


def test_states_are_moved_to_the_asked_time_with_their_covariance():
    tr = GreedyTracker()
    _frame(tr, 1.0, [[2.0, 3.0]], [[0.5, -1.0]], ["forklift"])
    (s,) = tr.states(at=1.2)
    np.testing.assert_allclose(s.x, [2.1, 2.8, 0.5, -1.0])
    np.testing.assert_allclose(s.P[:2, :2], R)
    np.testing.assert_allclose(s.P[2:, 2:], RV)
    assert s.t == pytest.approx(1.2)


def test_a_measured_velocity_update_equals_filterpy_with_the_full_state_measured():
    """Position then velocity (independent errors) is the joint update with H = I₄ and block-diagonal R."""
    rng = np.random.default_rng(4)
    x0 = rng.normal(size=4)
    A = rng.normal(size=(4, 4))
    P0 = A @ A.T + np.eye(4)
    z, vz = rng.normal(size=2), rng.normal(size=2)
    bank = NumpyBank()
    bank.append(x0[None], P0[None])
    rows = np.array([0])
    bank.update(rows, z[None], R[None])
    bank.ekf(rows, vz[None], RV[None], *VELOCITY)
    kf = KalmanFilter(dim_x=4, dim_z=4)
    kf.x, kf.P, kf.H = x0.copy(), P0.copy(), np.eye(4)
    kf.R = np.block([[R, np.zeros((2, 2))], [np.zeros((2, 2)), RV]])
    kf.update(np.concatenate([z, vz]))
    np.testing.assert_allclose(bank.x[0], kf.x, atol=1e-9)
    np.testing.assert_allclose(bank.P[0], kf.P, atol=1e-9)


def test_tracks_started_from_measured_velocities_move_at_once():
    tr = Tracker(TrackerConfig(filter="numpy"))
    tr.update_positions(0.0, [[1.0, 1.0]], R[None], ["agv"], v=np.array([[1.2, 0.0]]), Rv=RV[None])
    (s,) = tr.states()
    np.testing.assert_allclose(s.x[2:], [1.2, 0.0])
    np.testing.assert_allclose(s.P[2:, 2:], RV)


def test_weak_measurements_continue_tracks_but_start_none():
    tr = Tracker(TrackerConfig(filter="numpy"))
    z = np.array([[1.0, 1.0], [6.0, 6.0]])
    tr.update_positions(0.0, z, np.repeat(R[None], 2, 0), ["agv", "agv"], may_start=np.array([True, False]))
    (s,) = tr.states()
    np.testing.assert_allclose(s.x[:2], [1.0, 1.0])
    _, cols = tr.update_positions(0.1, [[1.05, 1.0]], R[None], ["agv"], may_start=np.array([False]))
    assert list(cols) == [0] and len(tr.states()) == 1  # the weak one updated the track


def test_the_greedy_tracker_lets_may_start_override_its_birth_score():
    tr = GreedyTracker(GreedyTrackerConfig(birth_score=0.9))
    z, v = np.array([[0.0, 0.0], [5.0, 5.0]]), np.zeros((2, 2))
    Rs, Rvs = np.repeat(R[None], 2, 0), np.repeat(RV[None], 2, 0)
    tr.update(0.0, z, v, Rs, Rvs, ["worker", "worker"], np.array([0.5, 0.5]), np.array([False, True]))
    assert tr.started == 1 and np.allclose(tr.states()[0].x[:2], [5.0, 5.0])

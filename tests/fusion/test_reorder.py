"""The reorder buffer: late measurements inside the window give exactly the in-order run's tracks."""

from __future__ import annotations

import numpy as np

from fusion.reorder import ReorderBuffer
from fusion.tracker import Tracker, TrackerConfig

R = np.eye(2) * 0.05**2


def _scans(seed: int):
    """Two sensors seeing three walkers; sensor b's scans are taken every 0.115 s and arrive 0.3 s late."""
    rng = np.random.default_rng(seed)
    start, vel = rng.uniform(0, 20, (3, 2)), rng.uniform(-1.5, 1.5, (3, 2))
    scans = []
    for period, delay in ((0.1, 0.0), (0.115, 0.3)):  # sensors a and b
        for t in np.arange(0.0, 6.0, period):
            z = start + vel * t + rng.normal(0, 0.05, (3, 2))
            keep = rng.random(3) > 0.2  # misses
            scans.append((t, t + delay, z[keep]))
    return scans


def _states(tracker: Tracker):
    return [(s.id, s.status) for s in tracker.states()], np.array([s.x for s in tracker.states()])


def test_late_scans_inside_the_window_give_the_in_order_result():
    scans = _scans(3)
    in_order = Tracker(TrackerConfig(filter="imm"))
    for t, _, z in sorted(scans, key=lambda s: s[0]):
        in_order.update_positions(t, z, R)
    buf = ReorderBuffer(Tracker(TrackerConfig(filter="imm")), window_s=0.35)
    for t, _, z in sorted(scans, key=lambda s: (s[1], s[0])):  # arrival order
        assert buf.submit(t, "update_positions", t, z, R)
    (ids_a, x_a), (ids_b, x_b) = _states(in_order), _states(buf.state)
    assert ids_a == ids_b and len(ids_a) >= 3
    np.testing.assert_allclose(x_b, x_a, atol=1e-9, rtol=0)
    assert buf.late_applied > 40 and buf.too_late == 0
    assert buf.state.stats.out_of_sequence_dropped == 0
    assert buf.state.stats.scans == in_order.stats.scans


def test_scans_older_than_the_window_are_refused_and_counted():
    scans = _scans(4)
    buf = ReorderBuffer(Tracker(TrackerConfig(filter="numpy")), window_s=0.2)  # shorter than the 0.3 s lag
    arrival = sorted(scans, key=lambda s: s[1])
    accepted = [buf.submit(t, "update_positions", t, z, R) for t, _, z in arrival]
    times = [t for t, _, _ in arrival]
    out_of_order = [t < max(times[:k], default=-1) for k, t in enumerate(times)]
    too_old = [t < max(times[:k], default=-1) - 0.2 for k, t in enumerate(times)]
    assert accepted == [not o for o in too_old]
    assert buf.too_late == sum(too_old) > 40 and buf.late_applied == sum(out_of_order) - sum(too_old)
    # No window: calls go straight through; the tracker itself drops what is older than its clock.
    direct = ReorderBuffer(Tracker(TrackerConfig(filter="numpy")), window_s=0.0)
    for t, _, z in sorted(scans, key=lambda s: s[1]):
        direct.submit(t, "update_positions", t, z, R)
    assert direct.too_late == 0 and direct.state.stats.out_of_sequence_dropped > 40

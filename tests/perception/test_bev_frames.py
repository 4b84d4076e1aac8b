"""`LayerStack`: a layer that arrives too late for the newest frame reaches the earlier frames of its time."""

from __future__ import annotations

import numpy as np

from perception.bev_frames import LayerStack, bev_frame
from perception.evidence import Evidence

SHAPE = (12, 9)
MAX_AGE = 0.35


def _layer(t: float, group: str, seed: int):
    rng = np.random.default_rng(seed)
    ev = Evidence(rng.normal(0, 3, SHAPE), rng.random(SHAPE) < 0.7, foreground=rng.random(SHAPE) < 0.2)
    return (round(t, 3), group, ev, None)


def _reference(tf: float, known: dict[str, list], static: np.ndarray) -> np.ndarray:
    """Brute force: each sensor's newest layer at or before tf and at most MAX_AGE older, every layer
    known at once (in sensor order, as the stack holds them)."""
    picked = []
    for layers in known.values():
        ok = [lay for lay in layers if lay[0] <= tf and tf - lay[0] <= MAX_AGE]
        if ok:
            _, g, ev, h = max(ok, key=lambda lay: lay[0])
            picked.append((g, ev, h))
    return bev_frame(picked, static)


def test_late_layers_give_the_frames_every_reading_of_their_time_would():
    """A camera on time every 0.1 s and a thermal camera whose readings come 0.43 s late (past the 0.35 s a
    frame waits): after each late layer is inserted, every held frame equals the frame built from all
    readings of its time (brute force); only the newest frame, which no reading that late can reach yet,
    holds no thermal channels."""
    static = np.zeros(SHAPE, bool)
    static[0] = True
    stack = LayerStack(5, 2, static, MAX_AGE)
    latest: dict[str, tuple] = {}
    known: dict[str, list] = {"cam": [], "ir": []}
    changed = []
    for i in range(30):
        t = round(0.1 * i, 3)
        cam = _layer(t, "camera", i)
        latest["cam"] = cam
        known["cam"].append(cam)
        if i >= 5:  # the thermal reading of 0.43 s ago arrives now
            ir = _layer(t - 0.43, "thermal", 100 + i)
            latest["ir"] = ir
            known["ir"].append(ir)
            changed.append(stack.insert_late("ir", ir))
        stack.push(t, latest)
    times = [round(0.1 * i, 3) for i in range(21, 30)]  # the nine held frames, oldest first
    got = list(stack.stack.held())
    assert len(got) == 9
    for tf, frame in zip(times, got, strict=True):
        np.testing.assert_array_equal(frame, _reference(tf, known, static))
    thermal = [5, 6, 9]
    assert not got[-1][thermal].any()  # the newest: its thermal reading has not come yet
    assert all(f[thermal].any() for f in got[:-1])  # the older ones: the late thermal's
    assert max(changed) == 4  # a late layer lands in the frames 0.03–0.35 s after it
    np.testing.assert_array_equal(stack.stacked()[:, -1], got[-1])


def test_a_layer_on_time_changes_no_earlier_frame():
    """Readings that arrive while they are fresh are the frames' own: inserting them as late layers into
    frames older than they are changes nothing (their time is after those frames)."""
    static = np.zeros(SHAPE, bool)
    stack = LayerStack(5, 1, static, MAX_AGE)
    for i in range(6):
        stack.push(0.1 * i, {"cam": _layer(0.1 * i, "camera", i)})
    before = [f.copy() for f in stack.stack.held()]
    assert stack.insert_late("cam", _layer(0.55, "camera", 99)) == 0
    for a, b in zip(before, stack.stack.held(), strict=True):
        np.testing.assert_array_equal(a, b)

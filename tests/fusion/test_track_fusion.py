"""Track-to-track fusion: matched tracks fused by covariance intersection, the rest kept."""

from __future__ import annotations

import numpy as np

from fusion.covariance_intersection import ci_fuse
from fusion.track import TrackState
from fusion.track_fusion import fuse_track_lists


def _state(i, xy, var, cls="unknown", tag=None):
    P = np.diag([var, var * 2, 1.0, 1.0])
    return TrackState(i, 1.0, np.array([*xy, 0.0, 0.0]), P, "confirmed", cls, tag)


def test_matched_pairs_are_ci_fused_and_the_others_kept_in_order():
    a = [_state(1, (0, 0), 0.2), _state(2, (10, 0), 0.2)]
    b = [_state(7, (0.3, 0.1), 0.1, "worker", "B-1"), _state(8, (30, 30), 0.1)]
    out = fuse_track_lists([("camera", a), ("lidar", b)])
    assert [(n, s.id) for n, s in out] == [("camera", 1), ("camera", 2), ("lidar", 8)]
    x, P, _ = ci_fuse(a[0].x, a[0].P, b[0].x, b[0].P)
    fused = out[0][1]
    assert np.allclose(fused.x, x) and np.allclose(fused.P, P)
    assert (fused.cls, fused.tag) == ("worker", "B-1")  # taken from the second list where the first has none
    # CI with the trace-optimal ω is never worse than either input.
    assert np.trace(fused.P) <= min(np.trace(a[0].P), np.trace(b[0].P)) + 1e-12
    assert out[1][1] is a[1]


def test_an_empty_list_passes_the_other_through():
    a = [_state(1, (0, 0), 0.2)]
    assert [s.id for _, s in fuse_track_lists([("x", []), ("y", a)])] == [1]
    assert fuse_track_lists([]) == []

"""Track-to-track fusion of several trackers' track lists by covariance intersection.

Each local tracker has seen some of the same targets through its own sensors; their errors are correlated
in ways nobody keeps track of, so matched tracks are fused by covariance intersection (Julier & Uhlmann
1997), never by a Kalman update that would count shared information twice. Lists are folded in order:
the fused list so far is associated with the next list by GNN on the position Mahalanobis distance
(χ²(2) gate), matched pairs fused, the rest appended.
"""

from __future__ import annotations

import numpy as np

from fusion.association import gate_threshold, gnn, position_distances
from fusion.covariance_intersection import ci_fuse
from fusion.track import TrackState


def fuse_track_lists(
    lists: list[tuple[str, list[TrackState]]], gate_probability: float = 0.99
) -> list[tuple[str, TrackState]]:
    """(tracker name, state) of each fused track; a fused track keeps the id, name and status of the
    first list's track it came from, and takes the class and tag of a later one where it has none."""
    items: list[tuple[str, TrackState]] = [(lists[0][0], s) for s in lists[0][1]] if lists else []
    for name, states in lists[1:]:
        if not items or not states:
            items += [(name, s) for s in states]
            continue
        xa = np.array([s.x for _, s in items])
        Pa = np.array([s.P for _, s in items])
        xb = np.array([s.x for s in states])
        Pb = np.array([s.P for s in states])
        d2 = position_distances(xa, Pa, xb[:, :2], Pb[:, :2, :2])
        rows, cols = gnn(d2, gate_threshold(2, gate_probability))
        for r, c in zip(rows, cols, strict=True):
            n0, a = items[r]
            b = states[c]
            x, P, _ = ci_fuse(a.x, a.P, b.x, b.P)
            cls = a.cls if a.cls != "unknown" else b.cls
            items[r] = (n0, TrackState(a.id, a.t, x, P, "confirmed", cls, a.tag or b.tag))
        matched = set(cols.tolist())
        items += [(name, s) for k, s in enumerate(states) if k not in matched]
    return items

"""Pure-pursuit helpers on paths an actor can be handed."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

from sim.world.driving import path_legs, project


def _actor(path, seg, x, y):
    cum = [0.0, *itertools.accumulate(math.dist(p, q) for p, q in itertools.pairwise(path))]
    return SimpleNamespace(path=path, legs=path_legs(path), cum=cum, seg=seg, x=x, y=y)


def test_project_on_a_one_point_path_and_past_the_last_segment():
    """Regression: 200 patrolling actors in the default layout crashed with IndexError — an actor handed
    a one-point path (already at its goal) or a segment index at the path's end."""
    assert project(_actor([(3.0, 4.0)], 0, 3.0, 4.0)) == (0, 0.0)
    path = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
    assert project(_actor(path, 2, 2.0, 1.0)) == (1, 3.0)  # seg past the last segment: clamped to it
    assert project(_actor(path, 0, 1.0, 0.5)) == (0, 1.0)  # brute force: nearest point (1, 0) at s = 1

"""Actor templates: each kind is one solid within its bounding box."""

import numpy as np
import pytest

from sim.sensors.geometry import actor_template
from sim.world.kinds import KINDS


def _touch(c, s, i, j, tol=1e-9):
    """Whether boxes i and j overlap or share a face (closed boxes intersect)."""
    return bool(np.all(np.abs(c[i] - c[j]) <= (s[i] + s[j]) / 2 + tol))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_template_is_one_solid_inside_its_box(kind):
    L, W, H = KINDS[kind].size_m
    c, s = actor_template(kind, L, W, H)
    # Connected: a part floating free (a guard without posts) shows the floor between it and the body,
    # and a camera's blob of the truck falls apart into a far "body" that is not there.
    reached, frontier = {0}, [0]
    while frontier:
        i = frontier.pop()
        for j in range(len(c)):
            if j not in reached and _touch(c, s, i, j):
                reached.add(j)
                frontier.append(j)
    assert reached == set(range(len(c)))
    lo, hi = c - s / 2, c + s / 2
    assert lo[:, 2].min() >= 0 and hi[:, 2].max() == pytest.approx(H)
    assert np.all(lo[:, :2] >= [-L / 2 - 1e-9, -W / 2 - 1e-9]) and np.all(
        hi[:, :2] <= [L / 2 + 1e-9, W / 2 + 1e-9]
    )


def test_forklift_guard_stands_on_posts():
    L, W, H = KINDS["forklift"].size_m
    c, s = actor_template("forklift", L, W, H)
    guard = int(np.argmin(np.abs(c[:, 2] - 0.90 * H) + (s[:, 0] < 0.4 * L)))
    lo, hi = c - s / 2, c + s / 2
    posts = [k for k in range(len(c)) if k != guard and _touch(c, s, k, guard) and lo[k, 2] < 0.6 * H]
    assert len(posts) == 4
    chassis = 0
    assert all(_touch(c, s, k, chassis) for k in posts)
    assert hi[posts, 2].max() == pytest.approx(lo[guard, 2])

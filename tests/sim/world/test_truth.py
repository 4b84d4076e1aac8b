"""TruthFrame geometry: footprint distances against closed forms and the body a detection belongs to."""

from __future__ import annotations

import numpy as np

from sim.world.truth import TruthFrame


def _frame(xy, yaw, size):
    n = len(xy)
    return TruthFrame(
        tick=0,
        t=0.0,
        ids=tuple(f"a{k}" for k in range(n)),
        class_ids=np.zeros(n, int),
        xyz=np.column_stack([np.asarray(xy, float), np.ones(n)]),
        yaw=np.asarray(yaw, float),
        vel=np.zeros((n, 2)),
        size=np.asarray(size, float),
        temperature_c=np.zeros(n),
        tags=((),) * n,
    )


def test_footprint_distance_matches_closed_forms_of_a_turned_box():
    # A 2.5 × 1.2 m box at (3, 4) turned 90°: its long side runs along y.
    f = _frame([(3, 4)], [np.pi / 2], [(2.5, 1.2, 2.0)])
    pts = np.array([(3, 4), (3, 5.2), (3.6 + 0.5, 4), (3, 4 + 1.25 + 2), (3.6 + 3, 4 + 1.25 + 4)])
    # centre, inside, beside the long side, past the end, off a corner (a 3-4-5 triangle)
    want = [0.0, 0.0, 0.5, 2.0, 5.0]
    np.testing.assert_allclose(f.footprint_distance(pts)[:, 0], want, atol=1e-12)


def test_a_detection_on_a_forklift_beside_a_worker_is_the_forklift_s():
    # Forklift centred at the origin along x; a worker 0.3 m beyond its side at y = 0.9.
    f = _frame([(0, 0), (1.0, 0.9)], [0.0, 0.0], [(2.5, 1.2, 2.0), (0.5, 0.4, 1.8)])
    z = np.array([(1.0, 0.45), (1.0, 1.0), (5.0, 5.0)])
    j, centre = f.nearest_body(z)
    # The first lies on the forklift (1.1 m from its centre, 0.45 m from the worker's): the forklift's.
    assert j.tolist() == [0, 1, 1]
    np.testing.assert_allclose(centre, [np.hypot(1.0, 0.45), 0.1, np.hypot(4.0, 4.1)])
    # Nearest centre would have given the worker: the case this pairing is for.
    assert np.linalg.norm(z[0] - f.xyz[1, :2]) < np.linalg.norm(z[0] - f.xyz[0, :2])


def test_inside_two_footprints_the_nearer_centre_wins():
    f = _frame([(0, 0), (1.0, 0)], [0.0, 0.0], [(2.5, 1.2, 2.0), (2.5, 1.2, 2.0)])
    j, _ = f.nearest_body(np.array([(0.3, 0.0), (0.7, 0.0)]))
    assert j.tolist() == [0, 1]


def test_centre_distances_given_by_the_caller_pair_alike():
    """The scorer passes the distances it computed for coverage; the pairing must not change."""
    f = _frame([(0, 0), (1.0, 0.9)], [0.0, 0.3], [(2.5, 1.2, 2.0), (0.5, 0.4, 1.8)])
    z = np.random.default_rng(2).uniform(-3, 3, (50, 2))
    d = np.linalg.norm(z[:, None] - f.xyz[None, :, :2], axis=2)
    (j0, c0), (j1, c1) = f.nearest_body(z), f.nearest_body(z, d)
    assert j0.tolist() == j1.tolist() and np.array_equal(c0, c1)

"""The shifted-slice morphology equals scipy.ndimage's on random masks, every size and border case."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from perception.morphology import (
    bounding_box,
    close_square,
    dilate_square,
    erode_square,
    open_square,
    within_distance,
)

OPS = {
    "dilate": (dilate_square, ndimage.binary_dilation),
    "erode": (erode_square, ndimage.binary_erosion),
    "open": (open_square, ndimage.binary_opening),
    "close": (close_square, ndimage.binary_closing),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_equals_scipy_on_random_masks(op, size):
    ours, scipy_op = OPS[op]
    rng = np.random.default_rng(size)
    for shape in [(1, 1), (2, 3), (5, 4), (8, 8), (37, 53)]:
        for p in (0.05, 0.3, 0.6, 0.95):
            m = rng.random(shape) < p
            np.testing.assert_array_equal(ours(m, size), scipy_op(m, np.ones((size, size), bool)))


@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_closing_by_a_wider_square_is_the_iterated_3x3_closing(iterations):
    rng = np.random.default_rng(iterations)
    for _ in range(20):
        m = rng.random((40, 50)) < rng.random()
        ref = ndimage.binary_closing(m, np.ones((3, 3), bool), iterations=iterations)
        np.testing.assert_array_equal(close_square(m, 2 * iterations + 1), ref)


def test_input_is_not_modified():
    m = np.random.default_rng(0).random((20, 20)) < 0.5
    before = m.copy()
    for ours, _ in OPS.values():
        ours(m, 3)
    np.testing.assert_array_equal(m, before)


def test_within_distance_equals_the_distance_transform():
    rng = np.random.default_rng(5)
    for _ in range(200):
        shape = tuple(int(s) for s in rng.integers(1, 60, 2))
        cell = float(rng.choice([0.05, 0.1, 0.2, 0.25]))
        radius = float(rng.choice([0.0, 0.4, 1.0, 1.2, 3 * cell]))
        seeds = rng.random(shape) < rng.random() * 0.05
        if not seeds.any():
            continue
        ref = ndimage.distance_transform_edt(~seeds, sampling=cell) <= radius
        np.testing.assert_array_equal(within_distance(np.argwhere(seeds), shape, radius, cell), ref)
    assert not within_distance(np.empty((0, 2), int), (4, 4), 1.0, 0.2).any()


def test_bounding_box_holds_every_true_pixel_and_no_more():
    m = np.zeros((10, 12), bool)
    assert bounding_box(m) is None
    m[3, 4] = m[6, 9] = True
    assert bounding_box(m) == (slice(3, 7), slice(4, 10))
    assert bounding_box(m, pad=5) == (slice(0, 10), slice(0, 12))  # clipped to the array

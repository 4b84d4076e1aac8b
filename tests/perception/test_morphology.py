"""The shifted-slice morphology equals scipy.ndimage's on random masks, every size and border case."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from perception.morphology import close_square, dilate_square, erode_square, open_square

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

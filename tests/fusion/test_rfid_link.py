"""Rack crossings of reader-to-tag paths: closed cases, and dense sampling along random segments."""

from __future__ import annotations

import numpy as np

from fusion.rfid_link import segments_cross_rects

RECTS = np.array([[2.0, 2.0, 4.0, 6.0], [6.0, 0.0, 7.0, 10.0]])


def test_closed_cases():
    a = np.array([[0, 4], [0, 4], [3, 3], [0, 1], [3, 0], [0, 8], [5, -1]], float)
    b = np.array([[10, 4], [5, 4], [3, 5], [10, 1], [3, 10], [1, 8], [5, 12]], float)
    # through both; the first only; inside the first; under the first, through the second; vertical
    # through the first; short of both; vertical between them
    assert segments_cross_rects(a, b, RECTS).tolist() == [2, 1, 1, 1, 1, 0, 0]
    assert segments_cross_rects(a, b, np.zeros((0, 4))).tolist() == [0] * 7


def test_counts_match_dense_sampling_along_random_segments():
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-1, 11, (300, 2)), rng.uniform(-1, 11, (300, 2))
    s = np.linspace(0, 1, 4001)[None, :, None]
    pts = a[:, None] + s * (b - a)[:, None]  # (n, samples, 2)
    inside = [
        ((pts[..., 0] > x0) & (pts[..., 0] < x1) & (pts[..., 1] > y0) & (pts[..., 1] < y1)).any(axis=1)
        for x0, y0, x1, y1 in RECTS
    ]
    sampled = np.sum(inside, axis=0)
    got = segments_cross_rects(a, b, RECTS)
    grazing = got != sampled  # only where a segment barely clips a corner between two samples
    assert grazing.sum() <= 3 and np.all(got[grazing] >= sampled[grazing])

"""Running PointNet over scans with the site map: no moving body on the map's fixed structure."""

from __future__ import annotations

import numpy as np
import torch

from perception.classes import N_CLASSES, TRACKED
from perception.point_segmenter import PointSegmenter, rule_out
from perception.pointnet import PointNetConfig, PointNetSeg


def test_rule_out_takes_the_likeliest_allowed_class_on_fixed_points():
    """Against a brute force over each point's classes in order of probability."""
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(N_CLASSES), size=500).astype(np.float32)
    fixed = rng.random(500) < 0.5
    labels = rule_out(probs, fixed)
    for p, f, got in zip(probs, fixed, labels, strict=True):
        ranked = np.argsort(-p, kind="stable")
        want = next(int(c) for c in ranked if not (f and c in TRACKED))
        assert got == want
    assert np.isin(labels[fixed], TRACKED).sum() == 0
    assert np.array_equal(rule_out(probs, None), probs.argmax(1))
    assert np.array_equal(rule_out(probs, np.zeros(500, bool)), probs.argmax(1))


def test_segment_applies_the_map_and_leaves_the_rest_as_the_network_says():
    torch.manual_seed(0)
    net = PointNetSeg(PointNetConfig(point_widths=(8, 16, 32), head_widths=(16,)))
    with torch.no_grad():
        net.classes.bias[4] += 3.0  # a network that calls most points forklift
    seg = PointSegmenter(net)
    rng = np.random.default_rng(1)
    pts = rng.uniform([0, 0, 0], [8, 8, 2], (400, 3))
    sensor, intensity = np.array([4.0, 4.0, 3.0]), rng.random(400)
    probs, _ = seg.probabilities(pts, sensor, intensity)
    fixed = pts[:, 0] < 4
    out = seg.segment(pts, sensor, intensity, fixed=fixed)
    assert np.array_equal(out.labels, rule_out(probs, fixed))
    assert np.allclose(out.confidence, probs[np.arange(400), out.labels])
    plain = seg.segment(pts, sensor, intensity)
    assert np.array_equal(plain.labels[~fixed], out.labels[~fixed])
    assert (plain.labels[fixed] == 4).mean() > 0.5 and not np.isin(out.labels[fixed], TRACKED).any()

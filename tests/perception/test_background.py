"""Background subtraction recovers a planted object's mask, ignores noise, and absorbs a stopped object
only slowly."""

from __future__ import annotations

import numpy as np

from perception.background import BackgroundModel


def _scene(rng, obj=None):
    img = np.tile(np.linspace(60, 180, 120, dtype=np.float32), (90, 1)) + rng.normal(0, 5, (90, 120))
    if obj is not None:
        r0, r1, c0, c1 = obj
        img[r0:r1, c0:c1] = 230 + rng.normal(0, 5, (r1 - r0, c1 - c0))
    return img


def test_planted_object_mask_is_recovered_and_noise_is_not_foreground():
    rng = np.random.default_rng(0)
    bg = BackgroundModel()
    for _ in range(30):
        assert bg.apply(_scene(rng)).mean() < 0.002
    obj = (30, 55, 40, 60)
    fg = bg.apply(_scene(rng, obj))
    truth = np.zeros(fg.shape, bool)
    truth[obj[0] : obj[1], obj[2] : obj[3]] = True
    iou = (fg & truth).sum() / (fg | truth).sum()
    assert iou > 0.9


def test_a_stopped_object_stays_foreground_for_a_while():
    rng = np.random.default_rng(1)
    bg = BackgroundModel()
    for _ in range(20):
        bg.apply(_scene(rng))
    obj = (30, 55, 40, 60)
    fractions = [bg.apply(_scene(rng, obj))[35:50, 45:55].mean() for _ in range(100)]  # 10 s at 10 Hz
    assert min(fractions) > 0.9

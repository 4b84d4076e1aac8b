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


def _reference_apply(bg: np.ndarray, frame: np.ndarray, m: BackgroundModel, warm: bool):
    """The model's update written the plain way (scipy opening, float64 clip): the fast path must match."""
    from scipy import ndimage

    diff = frame - bg
    sigma = 1.4826 * float(np.median(np.abs(diff)[::3, ::3])) + 1e-3  # σ from a ninth of the pixels
    strength = np.abs(diff).max(axis=2)
    fg = strength > max(m.k * sigma, m.min_contrast)
    fg = ndimage.binary_opening(fg, structure=np.ones((2, 2), bool))
    rate = np.where(fg & warm, m.stopped_step, m.step)[..., None]
    return fg, strength / sigma, bg + np.clip(diff, -rate, rate).astype(np.float32)


def test_colour_update_equals_the_plain_formula():
    rng = np.random.default_rng(3)
    ref = rng.uniform(0, 255, (40, 60, 3)).astype(np.float32)
    m = BackgroundModel(background=ref.copy(), ghost_reset=False)  # the plain formula has no ghosts
    bg = ref.copy()
    for i in range(15):
        frame = np.clip(ref + rng.normal(0, 6, ref.shape), 0, 255).astype(np.uint8).astype(np.float32)
        frame[10:20, 5 + i : 25 + i] = 250.0  # a moving bright body
        warm = True  # a given reference frame counts as learnt
        fg_ref, score_ref, bg = _reference_apply(bg, frame, m, warm)
        fg = m.apply(frame)
        np.testing.assert_array_equal(fg, fg_ref)
        np.testing.assert_allclose(m.score, score_ref, rtol=1e-6)
        np.testing.assert_array_equal(m.background, bg)


def test_sigma_from_a_ninth_of_the_pixels_matches_the_whole_frame():
    """The robust σ is estimated from every third pixel of every third row: on a 320 × 240 frame of
    Gaussian noise it stays within 3 % of the whole frame's estimate and of the true σ."""
    rng = np.random.default_rng(4)
    for true_sigma in (2.0, 5.0, 12.0):
        ref = np.full((240, 320, 3), 128.0, np.float32)
        m = BackgroundModel(background=ref.copy())
        frame = (ref + rng.normal(0, true_sigma, ref.shape)).astype(np.float32)
        m.apply(frame)
        diff = np.abs(frame - ref)
        whole = 1.4826 * float(np.median(diff))
        strength = diff.max(axis=2)
        ours = float(np.median(strength / m.score))  # score = strength / σ
        assert abs(ours / whole - 1) < 0.03
        assert abs(ours / true_sigma - 1) < 0.03


def test_a_body_that_stood_then_left_leaves_no_ghost_when_the_empty_site_is_known():
    """A body that stands long enough is partly learnt into the background; when it leaves, the bare floor
    differs from that background (a ghost) but agrees with the empty site's reference frame: relearnt at once.
    Without the reference the ghost stays foreground for hundreds of frames."""
    for ghost_reset, most in ((True, 0.0), (False, 0.9)):
        rng = np.random.default_rng(5)
        empty = _scene(np.random.default_rng(6))
        m = BackgroundModel(background=empty.copy(), ghost_reset=ghost_reset)
        obj = (30, 55, 40, 60)
        for _ in range(600):  # 60 s standing at 10 Hz: 60 grey levels learnt at 0.1 a frame
            m.apply(_scene(rng, obj))
        after = [m.apply(_scene(rng))[32:53, 42:58].mean() for _ in range(5)]
        assert (max(after) <= most) if ghost_reset else (min(after) >= most), (ghost_reset, after)

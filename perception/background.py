"""Background subtraction for fixed cameras: an approximate running median per pixel.

Each frame moves every background pixel one `step` (grey levels) towards the frame (McFarlane &
Schofield 1995, "Segmentation and tracking of piglets in images"): the median of the recent past, robust
to noise and to objects passing through. Under foreground the update is `stopped_step` instead, so an
object that stops for a while (a picking worker, a parked AGV) is absorbed only after roughly contrast /
stopped_step frames. A pixel is foreground when it differs from the background by more than `k` robust
standard deviations of the difference image (1.4826 × its median absolute value) and by `min_contrast`.
Given the empty site's reference frame, a foreground pixel that agrees with it is a *ghost* — where a body
stood long enough to be partly learnt, then left — and is relearnt at once (`ghost_reset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception.morphology import open_square


@dataclass
class BackgroundModel:
    step: float = 2.0
    stopped_step: float = 0.1
    k: float = 4.0
    min_contrast: float = 12.0
    warmup_frames: int = 10  # frames whose update is not slowed under foreground (learning the scene)
    background: np.ndarray | None = field(default=None, repr=False)
    ghost_reset: bool = True  # where the frame agrees with a given reference frame, relearn at once
    reference: np.ndarray | None = field(default=None, repr=False)  # the given reference frame (empty site)
    frames: int = 0
    score: np.ndarray | None = field(default=None, repr=False)  # last frame's |difference| / σ

    def soft_mask(self, k: float) -> np.ndarray:
        """The last frame's pixels that differ by more than `k` robust σ: a looser foreground, for
        consumers that regularise spatially afterwards (the BEV graph cut)."""
        return self.score > k

    def apply(self, gray: np.ndarray) -> np.ndarray:
        """Foreground mask of an image (h, w) grey or (h, w, 3) colour, 0–255, then the background update.
        In colour a pixel differs by its largest channel difference: a hi-vis vest on grey concrete has
        nearly the floor's luminance but not its colour."""
        gray = np.asarray(gray, np.float32)
        if self.background is not None and self.frames == 0:
            self.background = np.asarray(self.background, np.float32).copy()  # a given reference frame
            self.reference = self.background.copy() if self.ghost_reset else None
            self.frames = self.warmup_frames
        if self.background is None:
            self.background = gray.copy()
            self.frames = 1
            self.score = np.zeros(gray.shape[:2], np.float32)
            return np.zeros(gray.shape, bool)
        diff = gray - self.background
        absdiff = np.abs(diff)
        # σ from every third pixel of every third row: the median of ≈ 26 000 values of a 320 × 240 frame
        # (its standard error ≈ 1 % of σ) at a tenth of the cost of partitioning all 230 000 of them.
        sigma = 1.4826 * float(np.median(absdiff[::3, ::3])) + 1e-3
        if diff.ndim == 3:  # the largest channel difference, channel by channel (a reduction over a
            strength = absdiff[..., 0].copy()  # length-3 axis is ≈ 40× slower)
            for c in range(1, diff.shape[2]):
                np.maximum(strength, absdiff[..., c], out=strength)
        else:
            strength = absdiff
        self.score = strength / sigma
        threshold = max(self.k * sigma, self.min_contrast)
        fg = strength > threshold
        if self.reference is not None and fg.any():
            # A ghost: foreground against the learnt background, background against the empty site (a
            # body absorbed while it stood, then gone). Relearn those pixels at once. Only the (few)
            # foreground pixels are compared with the reference.
            idx = np.flatnonzero(fg)
            frame = gray.reshape(fg.size, -1)
            off = np.abs(frame[idx] - self.reference.reshape(fg.size, -1)[idx]).max(axis=1)
            ghost = idx[off <= threshold]
            if ghost.size:
                fg.reshape(-1)[ghost] = False
                self.background.reshape(fg.size, -1)[ghost] = frame[ghost]
                diff.reshape(fg.size, -1)[ghost] = 0.0
        fg = open_square(fg, 2)  # isolated noise pixels
        # Every pixel moves by at most `step`; the (few) foreground ones, once learnt, by `stopped_step`.
        # Bounds in the background's dtype: float64 bounds would upcast the whole frame.
        slow = np.flatnonzero(fg) if self.frames >= self.warmup_frames else np.zeros(0, np.int64)
        flat = diff.reshape(fg.size, -1)
        held = flat[slow]
        _clip(diff, self.step)
        _clip(held, self.stopped_step)
        flat[slow] = held
        self.background += diff
        self.frames += 1
        return fg


def _clip(a: np.ndarray, bound: float) -> None:
    """a ← clip(a, −bound, bound) in place, the bound cast to a's dtype."""
    b = a.dtype.type(bound)
    np.minimum(a, b, out=a)
    np.maximum(a, -b, out=a)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an (h, w, 3) uint8 image, as float32 0–255."""
    return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)

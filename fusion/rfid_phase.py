"""Range of a still UHF tag from the phase of its reads on several hopping channels.

A read's phase is φ = 4π f d / c + φ₀ (mod 2π), with φ₀ the tag's and the reader's own offsets — unknown,
but the same on every channel. Across channels the phase therefore changes by 4π Δf d / c: the range is
the slope of phase against frequency (Nikitin et al., "Phase based spatial identification of UHF RFID
tags", IEEE RFID 2010; Povalac & Sebesta, "Phase difference of arrival distance estimation for RFID
tags in frequency domain", IEEE RFID-TA 2011). Estimated by maximum likelihood with φ₀ profiled out:
the range maximising |Σ exp(j(φᵢ − 4π fᵢ d / c))| on a grid, refined by least squares on the wrapped
residuals; its standard deviation σ_φ / √Σ (4π (fᵢ − f̄) / c)² is the Cramér–Rao bound. The window
must span channels whose phases single out one range — one channel says nothing (phase wraps every
λ/2 ≈ 0.17 m), two are ambiguous every c / (2 Δf), so a fit whose second-best range explains the reads
almost as well is refused —, and the reads must agree: a tag that moved by more than a few millimetres
between them scrambles their phases, and then the fit's coherence |mean exp(j residual)| falls below
`min_coherence` and no range is given.
Unambiguous up to c / (2 Δf) of the closest channels: 250 m in the EU (600 kHz), 300 m in the US.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from fusion.rfid_ranging import SPEED_OF_LIGHT

MIN_CHANNELS = 3  # two channels are ambiguous every c / (2 Δf)
MIN_READS = 8  # with a range and an offset free, a handful of reads fits anything: coherence needs more
AMBIGUITY = 0.8  # a second peak this close to the best (in |Σ exp(j residual)|) leaves the range ambiguous


@dataclass(frozen=True)
class PhaseFit:
    range_m: float
    sigma_m: float
    coherence: float  # |mean exp(j residual)|: 1 for reads that agree exactly
    channels: int


def fit_phase_range(
    frequency_hz: np.ndarray, phase_rad: np.ndarray, phase_std_rad: float, max_range_m: float = 60.0
) -> PhaseFit | None:
    """The range that best explains reads (fᵢ, φᵢ) of one still tag; None with fewer than `MIN_CHANNELS`
    channels or `MIN_READS` reads, or when another range fits almost as well."""
    f = np.asarray(frequency_hz, float)
    phi = np.asarray(phase_rad, float)
    channels = len(np.unique(f))
    if channels < MIN_CHANNELS or len(f) < MIN_READS:
        return None
    k = 4 * math.pi * (f - f.mean()) / SPEED_OF_LIGHT  # rad per metre, centred: φ₀ absorbs the rest
    spread = float(np.sqrt(np.sum(k * k)))
    step = 0.25 / float(np.abs(k).max())  # ≤ 0.25 rad of phase between grid points on any read
    d = np.arange(0.0, max_range_m + step, step)
    power = np.abs(np.exp(1j * (phi[None, :] - d[:, None] * k[None, :])).sum(axis=1))
    best = int(np.argmax(power))
    d0 = float(d[best])
    lobe = SPEED_OF_LIGHT / (2 * float(f.max() - f.min()))  # the main peak's half width
    rival = power[np.abs(d - d0) > lobe]
    if rival.size and rival.max() > AMBIGUITY * power[best]:
        return None  # another range explains the reads almost as well (two channels: periodic)
    for _ in range(3):  # least squares on the wrapped residuals (Gauss–Newton on a linear model)
        z = np.exp(1j * (phi - d0 * k))
        res = np.angle(z * np.conj(z.mean()))
        d0 += float(np.sum(res * k) / np.sum(k * k))
    if not 0.0 <= d0 <= max_range_m:
        return None
    z = np.exp(1j * (phi - d0 * k))
    return PhaseFit(d0, phase_std_rad / spread, float(np.abs(z.mean())), channels)


@dataclass
class PhaseRanger:
    """Each tag's reads by one reader over the last `window_s`, and the range they give while the tag
    stands still. A window longer than the reader's dwell spans channels; a tag that moves breaks it."""

    window_s: float = 3.0
    phase_std_rad: float = 0.1
    min_coherence: float = 0.98  # residuals ≈ 0.2 rad: a tag that moved ~5 mm fails it
    max_range_m: float = 60.0
    _reads: dict[str, deque] = field(default_factory=dict)

    def add(self, t: float, tags, frequency_hz: float, phase_rad: np.ndarray):
        """Record a round's reads; per read (range, σ, reads in the window), NaN / 0 where the tag's
        window gives no range. Consecutive windows share reads: a consumer adding up evidence round by
        round should weigh each by 1 / reads in the window."""
        rng = np.full(len(tags), np.nan)
        sigma = np.full(len(tags), np.nan)
        count = np.zeros(len(tags), np.int64)
        for i, (tag, phi) in enumerate(zip(tags, np.asarray(phase_rad, float), strict=True)):
            buf = self._reads.setdefault(tag, deque())
            buf.append((t, frequency_hz, phi))
            while buf and buf[0][0] < t - self.window_s:
                buf.popleft()
            reads = np.array(buf)
            fit = fit_phase_range(reads[:, 1], reads[:, 2], self.phase_std_rad, self.max_range_m)
            if fit is not None and fit.coherence >= self.min_coherence:
                rng[i], sigma[i], count[i] = fit.range_m, fit.sigma_m, len(reads)
        return rng, sigma, count

"""Multi-frequency phase ranging of a still tag: the Cramér–Rao bound it reports is the spread it has, a
moving tag or a single channel gives no range, and the range's identity evidence is a proper ratio."""

from __future__ import annotations

import math

import numpy as np

from fusion.rfid_phase import SPEED_OF_LIGHT, PhaseRanger, fit_phase_range
from fusion.rfid_ranging import LinkModel, Reader
from fusion.rfid_reads import ReadModel

EU = np.array([865.7e6, 866.3e6, 866.9e6, 867.5e6])
US = 902.75e6 + 0.5e6 * np.arange(50)


def _phases(f: np.ndarray, d: np.ndarray, offset: float, noise: float, rng) -> np.ndarray:
    return np.mod(4 * math.pi * f * d / SPEED_OF_LIGHT + offset + rng.normal(0, noise, len(f)), 2 * math.pi)


def test_the_range_error_matches_the_cramer_rao_bound():
    """Over 300 still tags at random ranges with unknown offsets, (estimate − truth) / σ has mean 0 and
    standard deviation 1 within sampling error, for both channel plans; σ ≈ 2 m in the EU, ≈ 0.1 m in
    the US with 12 reads."""
    rng = np.random.default_rng(11)
    for channels, typical in ((EU, 2.0), (US, 0.1)):
        z, sig = [], []
        for _ in range(300):
            d = rng.uniform(1, 30)
            f = rng.choice(channels, 12)
            fit = fit_phase_range(f, _phases(f, np.full(12, d), rng.uniform(0, 6.3), 0.1, rng), 0.1)
            if fit is not None:
                z.append((fit.range_m - d) / fit.sigma_m)
                sig.append(fit.sigma_m)
        z = np.array(z)
        assert len(z) >= 295  # all but draws that hit one channel only
        assert abs(z.mean()) < 4 / math.sqrt(len(z)) and abs(z.std() - 1) < 0.15
        assert 0.3 * typical < np.median(sig) < 3 * typical


def test_one_channel_gives_no_range_and_a_moving_tag_loses_coherence():
    rng = np.random.default_rng(2)
    f = np.full(10, US[7])
    assert fit_phase_range(f, _phases(f, np.full(10, 5.0), 0.4, 0.1, rng), 0.1) is None
    ranger = PhaseRanger(window_s=3.0, phase_std_rad=0.1)
    still, moving = [], []
    hops = rng.permutation(50)  # a shuffled pass over the channels, as readers hop
    for k in range(30):  # 10 rounds a second, a new channel every 0.4 s
        t, ch = 0.1 * k, US[hops[k // 4]]
        r, _, _ = ranger.add(
            t, ["S", "M"], ch, _phases(np.full(2, ch), np.array([6.0, 6.0 + 1.0 * t]), 1.0, 0.1, rng)
        )
        still.append(r[0])
        moving.append(r[1])
    still = np.array(still)
    assert np.isnan(still[:8]).all()  # one channel, then two: every c / (2 Δf) fits as well
    got = ~np.isnan(still)
    assert np.all(np.abs(still[got] - 6.0) < 0.3)  # when a range is given, never a wrong alias
    assert got[20:].all()  # six channels and more: always a range
    assert np.isnan(moving).all()  # 1 m/s scrambles the phases: no range


def test_range_evidence_is_a_likelihood_ratio_against_where_the_reader_reads():
    """At the true range the position scores above the null; a position whose slant range is 5 σ off
    scores below it; and the ratio equals the closed form for a handful of positions."""
    model = ReadModel(
        Reader(np.array([0.0, 10.0, 2.5]), np.array([1.0, 0.0, 0.0]), 30.0, 6.0),
        LinkModel(),
        -18.0,
        np.zeros((0, 4)),
        (0.0, 0.0, 30.0, 20.0),
    )
    xy = np.array([[4.0, 10.0], [8.0, 10.0], [4.0, 13.0]])
    slant = np.sqrt(np.sum((xy - [0, 10]) ** 2, axis=1) + 1.5**2)
    ratio = model.range_log_ratio(xy, float(slant[0]), 0.2)
    assert ratio[0] > 1 and ratio[1] < -5
    cells = model._floor_xy
    w = model.read_probability(cells)
    dc = np.sqrt(np.sum((cells - [0, 10]) ** 2, axis=1) + 1.5**2)
    null = np.log(np.sum(w / w.sum() * np.exp(-0.5 * ((slant[0] - dc) / 0.2) ** 2)))
    np.testing.assert_allclose(ratio, -0.5 * ((slant[0] - slant) / 0.2) ** 2 - null, rtol=1e-9)

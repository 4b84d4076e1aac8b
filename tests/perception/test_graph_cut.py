"""Graph cut equals the brute-force minimum; α-expansion never worsens and stays within 2× of optimal."""

from __future__ import annotations

import itertools

import maxflow
import numpy as np
import pytest

from perception.graph_cut import (
    binary_energy,
    contrast_weights,
    potts_energy,
    segment_binary,
    segment_multilabel,
)


def _all_binary(shape):
    n = shape[0] * shape[1]
    bits = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
    return bits.reshape(-1, *shape)


@pytest.mark.parametrize("contrast", [False, True])
def test_graph_cut_equals_brute_force_on_random_4x4_energies(contrast):
    rng = np.random.default_rng(0)
    labelings = _all_binary((4, 4))
    for _ in range(15):
        d0, d1 = rng.uniform(0, 3, (4, 4)), rng.uniform(0, 3, (4, 4))
        lam = rng.uniform(0.1, 2.0)
        ev = rng.normal(0, 1, (4, 4)) if contrast else None
        wr, wd = contrast_weights(ev, 0.8) if contrast else (None, None)
        seg = segment_binary(d0, d1, lam, ev, 0.8 if contrast else None)
        # Brute force over all 65 536 labellings, vectorised.
        data = np.where(labelings, d1, d0).sum(axis=(1, 2))
        r = labelings[:, :, 1:] != labelings[:, :, :-1]
        d = labelings[:, 1:, :] != labelings[:, :-1, :]
        if contrast:
            pair = (r * wr).sum(axis=(1, 2)) + (d * wd).sum(axis=(1, 2))
        else:
            pair = r.sum(axis=(1, 2)) + d.sum(axis=(1, 2))
        best = (data + lam * pair).min()
        assert np.isclose(binary_energy(seg, d0, d1, lam, wr, wd), best, atol=1e-9)


def test_alpha_expansion_improves_on_its_start_and_is_within_twice_the_optimum():
    rng = np.random.default_rng(1)
    labelings = np.array(list(itertools.product(range(3), repeat=9))).reshape(-1, 3, 3)
    for _ in range(10):
        unary = rng.uniform(0, 2, (3, 3, 3))
        lam = rng.uniform(0.2, 1.5)
        init = rng.integers(0, 3, (3, 3))
        out = segment_multilabel(unary, lam, init=init)
        e_out, e_init = potts_energy(out, unary, lam), potts_energy(init, unary, lam)
        V = lam * (1 - np.eye(3))
        assert np.isclose(e_out, maxflow.fastmin.energy_of_grid_labeling(unary, V, out))
        best = min(potts_energy(lab, unary, lam) for lab in labelings)
        assert e_out <= e_init + 1e-9
        assert e_out <= 2 * best + 1e-9


def _sparse_scene(rng, nx, ny):
    """BEV-like log-odds: mostly unknown (0) or free (−1.5), a few objects, speckle."""
    lo = np.where(rng.random((nx, ny)) < rng.uniform(0.2, 0.9), -1.5, 0.0)
    for _ in range(rng.integers(0, 6)):
        x, y = rng.integers(0, nx), rng.integers(0, ny)
        w, h = rng.integers(1, 15, 2)
        lo[x : x + w, y : y + h] = rng.choice([1.2, 2.4, 4.8, -0.3], size=lo[x : x + w, y : y + h].shape)
    return lo + rng.normal(0, rng.uniform(0, 1.5), lo.shape) * (rng.random(lo.shape) < 0.3)


@pytest.mark.parametrize("contrast", [False, True])
def test_cutting_regions_of_interest_gives_the_whole_grid_cut(contrast):
    """Only the regions around foreground-preferring cells are cut (sparse BEV evidence); on 120 random
    sparse scenes the mask equals the whole grid's minimum cut exactly, and its energy the optimum."""
    from perception.evidence import unary_from_logodds

    rng = np.random.default_rng(1)
    for _ in range(60):
        nx, ny = rng.integers(20, 140, 2)
        lo = _sparse_scene(rng, nx, ny)
        d0, d1 = unary_from_logodds(lo)
        lam = rng.uniform(0.2, 2.0)
        ev, sigma = (lo, 1.0) if contrast else (None, None)
        roi = segment_binary(d0, d1, lam, ev, sigma)
        whole = segment_binary(d0, d1, lam, ev, sigma, roi_margin=None)
        np.testing.assert_array_equal(roi, whole)


def test_regions_far_apart_are_cut_separately_and_nothing_is_foreground_without_evidence():
    d0, d1 = np.full((200, 200), 0.7), np.full((200, 200), 0.7)  # all unknown: a tie everywhere
    assert not segment_binary(d0, d1, 1.0).any()
    d1[10:14, 10:14], d1[150:160, 170:175] = 0.0, 0.0  # two objects 190 cells apart
    got = segment_binary(d0, d1, 0.5)  # each saves more data cost (0.7 a cell) than its boundary costs
    assert got.sum() == 16 + 50 and got[10:14, 10:14].all() and got[150:160, 170:175].all()
    # Where nothing but unknown cells (a tie) surrounds the objects, the whole-grid optimum is the whole
    # grid as foreground (no boundary left to pay): the one case the regions differ, and they are right.
    assert segment_binary(d0, d1, 0.5, roi_margin=None).all()


def test_the_dense_shortcut_only_fires_when_the_grown_regions_cover_over_half_the_grid():
    """`surely_dense` is a lower bound: whenever it says dense, the full dilation (what the regions of
    interest would grow to) covers over half the grid; and it does say so for evidence that is noise."""
    from scipy import ndimage

    from perception.graph_cut import surely_dense

    rng = np.random.default_rng(4)
    fired = 0
    for _ in range(300):
        shape = tuple(rng.integers(5, 90, 2))
        margin = int(rng.integers(0, 20))
        want = rng.random(shape) < rng.choice([0.001, 0.01, 0.05, 0.3])
        grown = ndimage.maximum_filter(want.view(np.uint8), size=2 * margin + 1, mode="constant") > 0
        if surely_dense(want, margin):
            fired += 1
            assert grown.sum() > 0.5 * want.size
    assert fired > 50
    assert surely_dense(rng.normal(-1.0, 1.5, (256, 256)) > 0, 16)

"""Sensor selection: the objective is submodular, lazy greedy equals plain greedy, local search ends in a
local optimum, and on small instances the result is checked against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.coverage.search import Placement, excluding, greedy, local_search, options, value


def _random(seed: int, n_elems: int = 30, n_cands: int = 12, kinds: int = 2, budget: int = 2) -> Placement:
    """Kind 0 detects each element it covers with its own chance; kind 1 places nothing (bonus only)."""
    rng = np.random.default_rng(seed)
    covers = [np.flatnonzero(rng.random(n_elems) < 0.3) for _ in range(n_cands)]
    kind = np.arange(n_cands) % kinds
    fixed = np.flatnonzero(rng.random(n_elems) < 0.1)
    return Placement(
        weights=rng.random(n_elems),
        covers=covers,
        probs=[rng.uniform(0.3, 0.95, len(e)) * (k == 0) for e, k in zip(covers, kind, strict=True)],
        kinds=kind,
        budget={k: budget for k in range(kinds)},
        fixed=[(0, fixed, rng.uniform(0.3, 0.95, len(fixed)))],
    )


def _feasible(p: Placement):
    """Every selection that spends each kind's budget exactly."""
    per_kind = [
        itertools.combinations(np.flatnonzero(p.kinds == k).tolist(), n) for k, n in sorted(p.budget.items())
    ]
    for combo in itertools.product(*per_kind):
        yield [c for part in combo for c in part]


@pytest.mark.parametrize("seed", range(5))
def test_the_objective_is_monotone_and_submodular(seed):
    p = _random(seed)
    rng = np.random.default_rng(100 + seed)
    for _ in range(50):
        b = rng.permutation(len(p.covers))[: rng.integers(1, 8)].tolist()
        a = b[: rng.integers(0, len(b))]
        x = int(rng.choice([c for c in range(len(p.covers)) if c not in b]))
        gain_a = value(p, [*a, x]) - value(p, a)
        gain_b = value(p, [*b, x]) - value(p, b)
        assert gain_b >= -1e-12  # monotone
        assert gain_a >= gain_b - 1e-12  # diminishing returns


def _plain_greedy(p: Placement) -> list[int]:
    chosen, left = [], dict(p.budget)
    while any(left.values()):
        options = [c for c in range(len(p.covers)) if c not in chosen and left[int(p.kinds[c])] > 0]
        best = max(options, key=lambda c: (value(p, [*chosen, c]), -c))
        chosen.append(best)
        left[int(p.kinds[best])] -= 1
    return chosen


@pytest.mark.parametrize("seed", range(5))
def test_lazy_greedy_chooses_what_plain_greedy_does(seed):
    p = _random(seed)
    assert value(p, greedy(p)) == pytest.approx(value(p, _plain_greedy(p)), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_local_search_ends_where_no_single_swap_improves(seed):
    p = _random(seed, n_cands=14)
    chosen = local_search(p, greedy(p))
    best = value(p, chosen)
    assert best >= value(p, greedy(p)) - 1e-12
    for i, out in enumerate(chosen):
        for c in np.flatnonzero(p.kinds == p.kinds[out]):
            if c not in chosen:
                swapped = [*chosen[:i], int(c), *chosen[i + 1 :]]
                assert value(p, swapped) <= best + 1e-12


@pytest.mark.parametrize("seed", range(8))
def test_within_half_of_brute_force_on_small_instances(seed):
    """Greedy under a per-kind budget (a partition matroid) is within 1/2 of the optimum."""
    p = _random(seed, n_cands=10)
    opt = max(value(p, s) for s in _feasible(p))
    found = value(p, local_search(p, greedy(p)))
    assert 0.5 * opt - 1e-12 <= found <= opt + 1e-12


def test_local_search_repairs_greedys_classic_trap_and_matches_brute_force():
    """A covers the inner halves of B and C (4 elements, plus a crumb): greedy takes A first and ends at
    5.01; the optimum B + C covers all 6; one swap finds it."""
    w = np.array([1, 1, 1, 1, 1, 1, 0.01])
    covers = [np.array([1, 2, 3, 4, 6]), np.array([0, 1, 2]), np.array([3, 4, 5])]  # A, B, C
    ones = [np.ones(len(e)) for e in covers]
    p = Placement(w, covers, ones, np.zeros(3, int), {0: 2}, kind_bonus=0.0)
    first = greedy(p)
    assert first[0] == 0 and value(p, first) == pytest.approx(5.01)
    opt = max(value(p, s) for s in _feasible(p))
    final = local_search(p, first)
    assert sorted(final) == [1, 2] and value(p, final) == pytest.approx(opt) == pytest.approx(6.0)


def test_the_objective_is_the_chance_of_a_detection_plus_the_kind_bonus():
    """Two sensors of one kind cover element 0 with chances 0.5 and 0.8: 1 − 0.5 · 0.2 = 0.9 detected, plus
    one kind; element 1 is covered by the first only, and kind 1 (a tag reader, p = 0) adds its bonus."""
    covers = [np.array([0, 1]), np.array([0]), np.array([1])]
    probs = [np.array([0.5, 0.5]), np.array([0.8]), np.array([0.0])]
    p = Placement(np.array([2.0, 1.0]), covers, probs, np.array([0, 0, 1]), {0: 2, 1: 1}, kind_bonus=0.25)
    assert value(p, [0, 1]) == pytest.approx(2.0 * (0.9 + 0.25) + 1.0 * (0.5 + 0.25))
    assert value(p, [0, 1, 2]) == pytest.approx(value(p, [0, 1]) + 1.0 * 0.25)


@pytest.mark.parametrize("seed", range(4))
def test_a_banned_candidate_is_never_chosen_nor_swapped_in(seed):
    p = _random(seed, n_cands=14)
    first = local_search(p, greedy(p))
    banned = np.isin(np.arange(len(p.covers)), first[:2])
    q = excluding(p, banned)
    alt = local_search(q, greedy(q))
    assert not set(alt) & set(first[:2])
    assert len(alt) == sum(p.budget.values())  # the budget is still spent (other candidates are left)
    # The best selection without them, by brute force, is no better than a swap away from what it found.
    allowed = [s for s in _feasible(p) if not set(s) & set(first[:2])]
    assert max(value(p, s) for s in allowed) >= value(p, alt) - 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_options_are_distinct_local_optima_ranked_by_the_objective(seed):
    p = _random(seed, n_cands=14)
    best = local_search(p, greedy(p))
    mounts = np.arange(len(p.covers)) // 2  # two candidates share each mounting point
    got = options(p, best, mounts, k=4)
    assert 2 <= len(got) <= 4
    values = [v for v, _ in got]
    assert values == sorted(values, reverse=True)
    assert values[0] >= value(p, best) - 1e-12
    assert all(v == pytest.approx(value(p, s), abs=1e-12) for v, s in got)
    assert len({frozenset(s) for _, s in got}) == len(got)
    for _, s in got:
        if set(s) != set(best):  # a restart with one of best's mounting points banned
            assert any(not set(s) & set(np.flatnonzero(mounts == mounts[c])) for c in best)

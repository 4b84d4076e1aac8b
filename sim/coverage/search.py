"""Choosing sensor poses from candidates: lazy greedy, then swaps until no single swap improves.

The objective over a set S of candidates, summed over elements e (a tracked class on a floor cell) with
weights w_e (traffic, plus a little free floor):

    f(S) = Σ_e w_e · ( 1 − Π_{s ∈ S covering e} (1 − p_s,e) + γ · m_e )

The first part is the chance that at least one of the *positioning* sensors (cameras, thermal cameras,
range sensors) covering e detects the actor, each independently with its own probability p_s,e (the
rate measured for the sensor's kind and e's class, `sim.coverage.detection_rates`, times the chance
that other actors leave s a clear view of e, `sim.coverage.crowding`): k-coverage with a diminishing
bonus for every further sensor. m_e counts the sensor kinds of any sort that cover e (RFID
and beams included). Probabilistic coverage and a sum of coverage functions are both monotone
submodular, and so is f. The budget per kind makes the constraint a partition matroid, under which
greedy is within 1/2 of the optimum (Fisher, Nemhauser and Wolsey 1978; the 1 − 1/e bound holds for a
single total budget). Greedy evaluates lazily (Minoux 1978): a candidate's gain only shrinks as S
grows, so a stale gain is an upper bound, and the top of the heap is taken once its fresh gain still
beats the next bound.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

import numpy as np

KIND_BONUS = 0.25  # γ: worth of each sensor kind that detects an element (identity, redundancy)


@dataclass(frozen=True)
class Placement:
    """A selection problem: candidates (each covering some elements) and a budget per kind."""

    weights: np.ndarray  # (m,) element weights, ≥ 0
    covers: list[np.ndarray]  # per candidate: the element indices it covers
    probs: list[np.ndarray]  # per candidate: its chance of detecting each of those (0: does not position)
    kinds: np.ndarray  # (n,) kind index of each candidate
    budget: dict[int, int]  # kind index → how many to choose
    # (kind, elements, chances) of the sensors already installed
    fixed: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    kind_bonus: float = KIND_BONUS


class _State:
    """A selection's state: the chance each element is still undetected, and sensors per (kind, element)."""

    def __init__(self, p: Placement):
        self.p = p
        self.undetected = np.ones(len(p.weights))
        n_kinds = 1 + max([int(k) for k in p.kinds] + [k for k, _, _ in p.fixed], default=0)
        self.by_kind = np.zeros((n_kinds, len(p.weights)), np.int32)
        for kind, elems, probs in p.fixed:
            self._add(kind, elems, probs)

    def _add(self, kind: int, elems: np.ndarray, probs: np.ndarray) -> None:
        self.undetected[elems] *= 1.0 - probs
        self.by_kind[kind, elems] += 1

    def add(self, c: int) -> None:
        self._add(int(self.p.kinds[c]), self.p.covers[c], self.p.probs[c])

    def gain(self, c: int) -> float:
        """f(S ∪ {c}) − f(S)."""
        p, e = self.p, self.p.covers[c]
        kind = int(p.kinds[c])
        w = p.weights[e]
        detected = self.undetected[e] * p.probs[c]
        return float(w @ detected) + p.kind_bonus * float(w @ (self.by_kind[kind, e] == 0))


def value(p: Placement, chosen) -> float:
    """f(chosen) (the fixed sensors count in the state; f of the empty choice is 0)."""
    s, total = _State(p), 0.0
    for c in chosen:
        total += s.gain(c)
        s.add(c)
    return total


def greedy(p: Placement, progress=None) -> list[int]:
    """Lazy greedy under the per-kind budget; `progress(n)` after each choice."""
    s = _State(p)
    left = dict(p.budget)
    heap = [(-s.gain(c), c) for c in range(len(p.covers)) if left.get(int(p.kinds[c]), 0) > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and any(v > 0 for v in left.values()):
        _, c = heapq.heappop(heap)
        if left.get(int(p.kinds[c]), 0) <= 0:
            continue
        g = s.gain(c)
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, c))  # stale bound: re-queue with the fresh gain
            continue
        chosen.append(c)
        s.add(c)
        left[int(p.kinds[c])] -= 1
        if progress:
            progress(len(chosen))
    return chosen


def best_swap(p: Placement, chosen: list[int]) -> tuple[float, int, int] | None:
    """The single swap (chosen i out, unchosen same-kind c in) that raises f most, or None."""
    best = None
    taken = set(chosen)
    for i, out in enumerate(chosen):
        s = _State(p)
        for c in chosen:
            if c != out:
                s.add(c)
        base = s.gain(out)
        for c in np.flatnonzero(p.kinds == p.kinds[out]):
            if int(c) in taken:
                continue
            d = s.gain(int(c)) - base
            if d > 1e-12 * max(1.0, base) and (best is None or d > best[0]):
                best = (d, i, int(c))
    return best


def local_search(p: Placement, chosen: list[int], max_rounds: int = 50, progress=None) -> list[int]:
    """Best-improvement swaps until no single swap raises f (a local optimum) or `max_rounds`."""
    chosen = list(chosen)
    for _ in range(max_rounds):
        swap = best_swap(p, chosen)
        if swap is None:
            break
        _, i, c = swap
        chosen[i] = c
        if progress:
            progress(1)
    return chosen


def excluding(p: Placement, banned: np.ndarray) -> Placement:
    """The same problem with the `banned` candidates (a mask) never chosen: their kind becomes none (−1),
    which has no budget and matches no chosen sensor's kind in a swap."""
    return replace(p, kinds=np.where(banned, -1, p.kinds))


def options(
    p: Placement, best: list[int], mounts: np.ndarray, k: int, progress=None
) -> list[tuple[float, list[int]]]:
    """Up to `k` distinct layouts, by f from the highest: `best` and the local optima found by greedy and
    swaps with each of `best`'s mounting points (`mounts`: a group id per candidate) banned in turn.
    Restarts of a local search; the runners-up are close on f but differ in a sensor's place, which a
    tracking bench can tell apart where f cannot (duplicate tracks from views that disagree);
    `progress(n)` after the n-th restart."""
    found = {frozenset(best): (value(p, best), list(best))}
    for n, c in enumerate(best, 1):
        q = excluding(p, mounts == mounts[c])
        alt = local_search(q, greedy(q))
        found.setdefault(frozenset(alt), (value(p, alt), alt))
        if progress:
            progress(n)
    ranked = sorted(found.values(), key=lambda t: (-t[0], sorted(t[1])))  # ties: a fixed order
    return ranked[:k]

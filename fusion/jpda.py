"""Joint probabilistic data association (Fortmann, Bar-Shalom & Scheffe 1983) of 2D position scans.

Instead of giving each track at most one measurement (GNN), every measurement inside a track's gate
updates it, weighted by the probability that it is that track's, given every joint assignment of the
scan's measurements to the tracks near it: β_tj = Σ over feasible joint events with t ← j of
Π L / normaliser, where a pair's weight is its likelihood ratio against clutter
L_tj = P_D N(ν_tj; 0, S_tj) / λ and a track left without a measurement weighs 1 − P_D P_G.

Tracks that share no gated measurement are independent, so the events are enumerated per cluster (the
connected components of the gating graph); a track alone in its cluster is the closed-form PDA (Bar-Shalom
& Tse 1975), all such tracks at once. A cluster with more joint events than `max_events` falls back to
Fitzgerald's "cheap JPDA" (1985), β_tj = L_tj / (Σ_j' L_tj' + Σ_t' L_t'j − L_tj + 1 − P_D P_G), which is
exact for a lone track. The state update is the moment-matched mixture of the track's hypotheses
(`mixture_update`), which with one R for all measurements is the textbook PDA update.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fusion.association import position_innovations
from fusion.kalman import update

MAX_EVENTS = 5000  # joint events enumerated per cluster before the cheap approximation takes over


@dataclass(frozen=True)
class JpdaWeights:
    """Marginal association probabilities of one scan: pair k is (track `t[k]`, measurement `m[k]`)
    with probability `beta[k]`; `miss[t]` is the probability that no measurement is track t's."""

    t: np.ndarray  # (k,) track rows
    m: np.ndarray  # (k,) measurement columns
    beta: np.ndarray  # (k,)
    miss: np.ndarray  # (tracks,)
    ratio: np.ndarray  # (k,) likelihood ratio L of each pair against clutter
    exact: np.ndarray  # (tracks,) False where a cluster was too large to enumerate
    miss_weight: float  # 1 − P_D P_G: the weight of a track left without a measurement

    def best(self, at_least: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """(track rows, measurement columns) of each track's most probable measurement, where that
        probability is at least `at_least` (a hard association for bookkeeping: hits, class, NIS)."""
        if not self.beta.size:
            return np.zeros(0, int), np.zeros(0, int)
        order = np.lexsort((-self.beta, self.t))  # by track, the most probable pair first
        first = np.r_[True, self.t[order][1:] != self.t[order][:-1]]
        k = order[first]
        k = k[self.beta[k] >= at_least]
        return self.t[k], self.m[k]


def pair_likelihoods(x, P, z, R, gate: float, detection_probability: float, clutter_density: float):
    """(tracks, measurements, squared distances of every pair, likelihood ratios) of the pairs inside
    the χ² gate."""
    d2, det = position_innovations(x, P, z, R)
    t, m = np.nonzero(d2 <= gate)
    dens = np.exp(-0.5 * d2[t, m]) / (2 * np.pi * np.sqrt(det[t, m]))
    return t, m, d2, detection_probability * dens / clutter_density


def jpda_weights(
    n_tracks: int,
    t: np.ndarray,
    m: np.ndarray,
    ratio: np.ndarray,
    miss_weight: float,
    max_events: int = MAX_EVENTS,
) -> JpdaWeights:
    """Marginal β of the gated pairs (t, m) with likelihood ratios `ratio`; `miss_weight` = 1 − P_D P_G."""
    beta = np.zeros(len(t))
    miss = np.ones(n_tracks)
    exact = np.ones(n_tracks, bool)
    if not len(t):
        return JpdaWeights(t, m, beta, miss, ratio, exact, miss_weight)
    n_meas = int(m.max()) + 1
    graph = coo_matrix((np.ones(len(t)), (t, n_tracks + m)), shape=(n_tracks + n_meas,) * 2)
    _, comp = connected_components(graph, directed=False)
    cluster = comp[t]
    tracks_in = np.bincount(comp[np.unique(t)], minlength=comp.max() + 1)
    lone = tracks_in[cluster] == 1
    # A track alone in its cluster: PDA in closed form, every such track at once.
    total = np.bincount(t[lone], weights=ratio[lone], minlength=n_tracks) + miss_weight
    beta[lone] = ratio[lone] / total[t[lone]]
    lone_tracks = np.unique(t[lone])
    miss[lone_tracks] = miss_weight / total[lone_tracks]
    for c in np.unique(cluster[~lone]):
        k = np.flatnonzero(cluster == c)
        events = np.prod([1 + np.count_nonzero(t[k] == r) for r in np.unique(t[k])], dtype=float)
        if events <= max_events:
            _enumerate(k, t, m, ratio, miss_weight, beta, miss)
        else:
            _cheap(k, t, m, ratio, miss_weight, beta, miss)
            exact[np.unique(t[k])] = False
    return JpdaWeights(t, m, beta, miss, ratio, exact, miss_weight)


def _enumerate(k, t, m, ratio, miss_weight, beta, miss) -> None:
    """Exact marginals of one cluster (pairs `k`) by enumerating its feasible joint events."""
    rows = np.unique(t[k])
    options = [[None, *k[t[k] == r]] for r in rows]  # each track: no measurement, or one gated pair
    w_pair = np.zeros(len(k))
    w_miss = np.zeros(len(rows))
    index = {p: i for i, p in enumerate(k)}
    norm = 0.0
    for event in itertools.product(*options):
        used = [m[p] for p in event if p is not None]
        if len(used) != len(set(used)):
            continue  # a measurement is at most one track's
        w = 1.0
        for p in event:
            w *= miss_weight if p is None else ratio[p]
        norm += w
        for i, p in enumerate(event):
            if p is None:
                w_miss[i] += w
            else:
                w_pair[index[p]] += w
    beta[k] = w_pair / norm
    miss[rows] = w_miss / norm


def _cheap(k, t, m, ratio, miss_weight, beta, miss) -> None:
    """Fitzgerald's cheap JPDA for one cluster too large to enumerate."""
    tt, mm, g = t[k], m[k], ratio[k]
    per_track = np.zeros(t.max() + 1)
    np.add.at(per_track, tt, g)
    per_meas = np.zeros(m.max() + 1)
    np.add.at(per_meas, mm, g)
    b = g / (per_track[tt] + per_meas[mm] - g + miss_weight)
    rows = np.unique(tt)
    got = np.zeros(t.max() + 1)
    np.add.at(got, tt, b)
    scale = np.maximum(got, 1.0)  # the approximation can promise a track more than 1: scale it down
    beta[k] = b / scale[tt]
    miss[rows] = 1.0 - got[rows] / scale[rows]


def enn_assignment(w: JpdaWeights) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest-neighbour JPDA (Fitzgerald 1986): the one-to-one assignment of gated pairs with the
    greatest total marginal probability, a track left unassigned where its miss is likelier — a hard
    decision from the joint probabilities, which does not pull side-by-side tracks together as the
    mixture update does. Returns (track rows, measurement columns)."""
    if not w.t.size:
        return np.zeros(0, int), np.zeros(0, int)
    rows, cols = np.unique(w.t), np.unique(w.m)
    ri, ci = np.searchsorted(rows, w.t), np.searchsorted(cols, w.m)
    cost = np.full((len(rows), len(cols) + len(rows)), 2.0)  # 2: not a choice (probabilities are ≤ 1)
    cost[ri, ci] = -w.beta
    cost[np.arange(len(rows)), len(cols) + np.arange(len(rows))] = -w.miss[rows]
    r, c = linear_sum_assignment(cost)
    take = (c < len(cols)) & (cost[r, c] < 2.0)
    return rows[r[take]], cols[c[take]]


def innovation_ratio(inn, detection_probability: float, clutter_density: float) -> np.ndarray:
    """Likelihood ratio P_D N(ν; 0, S) / λ of innovations against clutter (IMM-PDA mode weights)."""
    dens = np.exp(-0.5 * inn.nis) / np.sqrt(np.linalg.det(2 * np.pi * inn.S))
    return detection_probability * dens / clutter_density


def mixture_update(x, P, rows, w: JpdaWeights, z, R, step=update):
    """Updated (x, P) of tracks `rows` (each with at least one gated pair): the moment-matched mixture of
    the predicted state (weight `miss`) and the update by each gated measurement (weight β; `step`
    (x, P, z, R) → (x, P, Innovation), the batched Kalman update by default).
    Returns (x_rows, P_rows, innovation per pair)."""
    x_pair, P_pair, inn = step(x[w.t], P[w.t], z[w.m], R[w.m])
    slot = np.full(len(x), -1)
    slot[rows] = np.arange(len(rows))
    s = slot[w.t]
    x_new = w.miss[rows, None] * x[rows]
    np.add.at(x_new, s, w.beta[:, None] * x_pair)
    d0 = x[rows] - x_new
    P_new = w.miss[rows, None, None] * (P[rows] + d0[:, :, None] * d0[:, None, :])
    d = x_pair - x_new[s]
    np.add.at(P_new, s, w.beta[:, None, None] * (P_pair + d[:, :, None] * d[:, None, :]))
    return x_new, P_new, inn

"""Aisle roadmap and path planning over the warehouse floor.

The floor is rasterised at `RES_M`; a Euclidean distance transform gives every cell its clearance to the
nearest rack or wall. Roadmap nodes are the most-clear cell of each `NODE_BLOCK`×`NODE_BLOCK` block, which
puts them on aisle centre lines; edges join nearby nodes whose straight segment keeps its clearance. A
path for an actor of clearance radius r uses only edges that stay r clear, found with scipy's Dijkstra,
then shortened by shortcuts that never come closer to obstacles than the roadmap path did (capped at the
actor's turning radius), so actors stay centred in aisles and turn where there is room.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sim.world.layout import Rect, StaticWorld

RES_M = 0.1
NODE_BLOCK = 5  # roadmap node every 0.5 m
ATTACH_RADIUS_M = 1.6  # start/goal connect to roadmap nodes this close
ATTACH_MAX = 8  # ... at most this many of them
TREE_CACHE = 128  # shortest-path trees kept (one per recent goal and clearance)...
TREE_CACHE_BYTES = 64 * 2**20  # ...within this much memory (a 300 m × 200 m site has 240 000 nodes)
BUCKET_M = 2.0  # obstacle lookup buckets; bodies up to 2 m half-diagonal
SHORTCUT_STEP_M = 0.2  # shortcut checks sample this coarsely (the bound stays conservative)
SHORTCUT_WINDOW = 40  # shortcuts look this many roadmap vertices ahead (≈ 20 m)
CENTRE_WEIGHT_M = 0.5  # edge cost = length · (1 + CENTRE_WEIGHT_M / clearance): prefer aisle centres
DENSE_BLOCK = 16384  # segments per block of the dense sampling, and the fewest it is used for
_NEIGHBOURS = np.array([(1, 0), (0, 1), (1, 1), (1, -1), (2, 1), (1, 2), (2, -1), (1, -2)])


@dataclass
class NavMap:
    """Clearance field and roadmap of one static world; plans collision-free polylines."""

    origin: np.ndarray  # world position of cell (0, 0)'s corner
    clearance: np.ndarray  # (nx, ny) metres from cell centre to the nearest obstacle edge
    nodes: np.ndarray  # (n, 2) roadmap node positions
    node_clear: np.ndarray  # (n,) clearance at each node
    edges: np.ndarray  # (m, 2) node index pairs
    edge_len: np.ndarray  # (m,)
    edge_clear: np.ndarray  # (m,) smallest clearance along each edge
    node_grid: np.ndarray  # (bx, by) node id of each NODE_BLOCK block, -1 where none
    rects: tuple[Rect, ...] = ()  # the obstacles themselves, for exact body checks
    _buckets: dict = field(default_factory=dict, repr=False)
    _graphs: dict = field(default_factory=dict, repr=False)
    _goals: dict = field(default_factory=dict, repr=False)  # goal_nodes' arrays, shared by patrols
    _flat: np.ndarray = field(init=False, repr=False)
    _flat_view: memoryview = field(init=False, repr=False)
    _grid: tuple = field(init=False, repr=False)
    _trees: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def __post_init__(self) -> None:
        self.clearance = np.ascontiguousarray(self.clearance)
        self._flat = self.clearance.ravel()
        self._flat_view = memoryview(self._flat)  # Python floats for scalar look-ups, without a copy
        self._grid = (float(self.origin[0]), float(self.origin[1]), *self.clearance.shape)

    # ---------------------------------------------------------------------------- queries on the field
    def clearance_at(self, pts: np.ndarray) -> np.ndarray:
        """Clearance (m) at world points (..., 2); points outside the grid read the border (0)."""
        pts = np.asarray(pts, dtype=float)
        return self._clearance_xy(pts[..., 0], pts[..., 1])

    def _clearance_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """`clearance_at` of points given as separate coordinate arrays."""
        nx, ny = self.clearance.shape
        # np.minimum/np.maximum: the same as clip, without its Python-level overhead.
        ix = np.minimum(np.maximum(((x - self.origin[0]) * (1 / RES_M)).astype(np.intp), 0), nx - 1)
        iy = np.minimum(np.maximum(((y - self.origin[1]) * (1 / RES_M)).astype(np.intp), 0), ny - 1)
        return self._flat.take(ix * ny + iy)

    def rects_near(self, x: float, y: float) -> list[Rect]:
        """Obstacles whose rectangle comes within BUCKET_M of the bucket holding (x, y)."""
        return self._buckets.get((int(x // BUCKET_M), int(y // BUCKET_M)), [])

    def clearance_scalar(self, x: float, y: float) -> float:
        """Clearance at one point, in plain Python (hot path: called per actor per tick)."""
        ox, oy, nx, ny = self._grid
        ix = int((x - ox) * (1 / RES_M))
        iy = int((y - oy) * (1 / RES_M))
        ix = 0 if ix < 0 else (nx - 1 if ix >= nx else ix)
        iy = 0 if iy < 0 else (ny - 1 if iy >= ny else iy)
        return self._flat_view[ix * ny + iy]

    def segment_clearance(self, a: np.ndarray, b: np.ndarray, step: float = RES_M) -> np.ndarray:
        """Smallest clearance along straight segments a[k]→b[k] (arrays (k, 2)).

        Sampled every `step`; clearance is 1-Lipschitz, so subtracting half a step makes the result a
        lower bound of the true minimum."""
        a = np.atleast_2d(np.asarray(a, float))
        b = np.atleast_2d(np.asarray(b, float))
        if len(a) == 0:
            return np.zeros(0)
        d = b - a
        n = np.ceil(np.linalg.norm(d, axis=1) / step).astype(np.intp) + 1  # samples per segment
        if len(a) >= DENSE_BLOCK and len(a) * int(n.max()) <= 2 * int(n.sum()):  # the roadmap's edges
            return self._dense_segment_clearance(a, d, n) - step / 2
        starts = np.zeros(len(a), np.intp)
        np.cumsum(n[:-1], out=starts[1:])
        seg = np.repeat(np.arange(len(a)), n)
        u = (np.arange(starts[-1] + n[-1]) - starts[seg]) / np.maximum(n[seg] - 1, 1)
        # Per coordinate (1-D gathers are cheaper than 2-D fancy indexing; the arithmetic is the same).
        x = a[:, 0][seg] + u * d[:, 0][seg]
        y = a[:, 1][seg] + u * d[:, 1][seg]
        return np.minimum.reduceat(self._clearance_xy(x, y), starts) - step / 2

    def _dense_segment_clearance(self, a: np.ndarray, d: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Smallest of n[k] samples along a[k] → a[k] + d[k], as the ragged path samples, on a (k, max n) grid
        (extra columns repeat the last sample) in cache-sized blocks: a 300 × 200 m site has 1.9 M edges."""
        out, cols = np.empty(len(a)), np.arange(int(n.max()))
        for s in range(0, len(a), DENSE_BLOCK):
            nb = n[s : s + DENSE_BLOCK, None]
            u = np.minimum(cols, nb - 1) / np.maximum(nb - 1, 1)
            x = a[s : s + DENSE_BLOCK, 0, None] + u * d[s : s + DENSE_BLOCK, 0, None]
            y = a[s : s + DENSE_BLOCK, 1, None] + u * d[s : s + DENSE_BLOCK, 1, None]
            out[s : s + DENSE_BLOCK] = self._clearance_xy(x, y).min(axis=1)
        return out

    def _graph(self, radius: float):
        """Roadmap restricted to edges `radius` clear, with its connected-component labels (cached)."""
        key = round(radius, 3)
        if key not in self._graphs:
            keep = self.edge_clear >= radius
            e = self.edges[keep]
            w = self.edge_len[keep] * (1.0 + CENTRE_WEIGHT_M / np.maximum(self.edge_clear[keep], 1e-3))
            n = len(self.nodes)
            g = csr_matrix((np.r_[w, w], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n))
            node_ok = self.node_clear >= radius
            _, labels = connected_components(g, directed=False)
            labels = np.where(node_ok, labels, -1)
            self._graphs[key] = (g, labels, node_ok)
        return self._graphs[key]

    def _attach(self, p: np.ndarray, radius: float, node_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Roadmap nodes reachable in a straight clear line from p, and those line lengths."""
        for reach in (ATTACH_RADIUS_M, 3 * ATTACH_RADIUS_M):
            cand = self._near_nodes(p, reach)
            d = np.hypot(self.nodes[cand, 0] - p[0], self.nodes[cand, 1] - p[1])
            keep = node_ok[cand] & (d <= reach)
            cand, d = cand[keep], d[keep]
            if cand.size:
                break
        else:
            return cand, d
        clear = self.segment_clearance(np.broadcast_to(p, (cand.size, 2)), self.nodes[cand])
        # The actor's own spot may be tighter than `radius` (it is already there): only ask that the
        # connection be no tighter than either end.
        # Sampling makes segment clearance a lower bound short by up to half a step: allow for it.
        need = min(radius, self.clearance_scalar(p[0], p[1])) - RES_M / 2 - 1e-9
        ok = np.flatnonzero(clear >= need)
        ok = ok[np.argsort(d[ok], kind="stable")[:ATTACH_MAX]]  # the nearest few suffice
        return cand[ok], d[ok]

    def _near_nodes(self, p: np.ndarray, reach: float) -> np.ndarray:
        """Ids of roadmap nodes in the blocks within `reach` of p (a superset of those within reach)."""
        size = NODE_BLOCK * RES_M
        bx, by = self.node_grid.shape
        i0 = max(int((p[0] - reach - self.origin[0]) / size), 0)
        i1 = min(int((p[0] + reach - self.origin[0]) / size) + 1, bx)
        j0 = max(int((p[1] - reach - self.origin[1]) / size), 0)
        j1 = min(int((p[1] + reach - self.origin[1]) / size) + 1, by)
        ids = self.node_grid[i0:i1, j0:j1].ravel()
        return ids[ids >= 0]

    def component_of(self, p, radius: float) -> int:
        """Roadmap component an actor at p can join (-1: none)."""
        _, labels, node_ok = self._graph(radius)
        nodes, _ = self._attach(np.asarray(p, float), radius, node_ok)
        return int(labels[nodes[0]]) if nodes.size else -1

    def free_nodes(self, radius: float, component: int | None = None, region: Rect | None = None):
        """Roadmap node positions an actor of this radius may stand on (optionally in a component/region)."""
        _, labels, node_ok = self._graph(radius)
        m = node_ok.copy()
        if component is not None:
            m &= labels == component
        if region is not None:
            x, y = self.nodes[:, 0], self.nodes[:, 1]
            m &= (x >= region.x0) & (x <= region.x1) & (y >= region.y0) & (y <= region.y1)
        return self.nodes[m]

    def goal_nodes(self, radius: float, component: int, region: Rect | None, extra: float) -> np.ndarray:
        """Free nodes of a component (and region) with `extra` clearance to spare — where a patrol may
        go next (all free ones if none has); one read-only array shared by every actor that asks."""
        key = (round(radius, 3), component, region, round(extra, 3))
        if key not in self._goals:
            cand = self.free_nodes(radius, component=component, region=region)
            roomy = self.clearance_at(cand) >= radius + extra
            cand = cand[roomy] if roomy.any() else cand
            cand.flags.writeable = False
            self._goals[key] = cand
        return self._goals[key]

    def plan(
        self,
        start,
        goal,
        radius: float,
        turn_radius: float | None = None,
        avoid: list[tuple[float, float, float]] | None = None,
    ) -> np.ndarray | None:
        """Polyline from start to goal keeping `radius` clear of racks and walls, or None if unreachable.

        `avoid` lists (x, y, r) discs (other actors) the path must not enter; `turn_radius` caps how
        much clearance shortcuts try to keep (an actor's circumscribed radius).
        """
        start = np.asarray(start, float)
        goal = np.asarray(goal, float)
        # The goal must be a place the actor fits; the start only has to be off the obstacles (an actor
        # pushed into a tight spot must still be able to leave it).
        if self.clearance_scalar(*goal) < radius - RES_M / 2 or self.clearance_scalar(*start) <= 0.0:
            return None
        g, _, node_ok = self._graph(radius)
        if avoid:
            blocked = np.zeros(len(self.nodes), bool)
            for x, y, r in avoid:
                near = self._near_nodes((x, y), r + radius)  # a superset of the nodes inside the disc
                d = np.hypot(self.nodes[near, 0] - x, self.nodes[near, 1] - y)
                blocked[near[d < r + radius]] = True
            node_ok = node_ok & ~blocked
            g = _cut_nodes(g, blocked)
        if np.linalg.norm(goal - start) <= ATTACH_RADIUS_M:
            direct = self.segment_clearance(start[None], goal[None])[0]
            if direct >= min(radius, self.clearance_at(start[None])[0]) - 1e-9 and not avoid:
                return np.stack([start, goal])
        s_nodes, s_cost = self._attach(start, radius, node_ok)
        if s_nodes.size == 0:
            return None
        tree = self._goal_tree(g, goal, radius, node_ok, cache=not avoid)
        if tree is None:
            return None
        dist, pred, src, g_extra = tree
        # Best entry node: line to it, then roadmap distance to the goal's attachment, then line to goal.
        src_s = src[s_nodes]  # scipy marks nodes no source reaches with a negative id
        total = s_cost + dist[s_nodes] + np.where(src_s >= 0, g_extra[np.maximum(src_s, 0)], np.inf)
        if not np.isfinite(total).any():
            return None
        chain = [int(s_nodes[int(np.argmin(total))])]
        while pred[chain[-1]] >= 0:
            chain.append(int(pred[chain[-1]]))
        # The tree is rooted at the goal, so predecessors already lead from the start towards it.
        pts = np.vstack([start, self.nodes[chain], goal])
        return self._shorten(pts, radius, turn_radius or radius, avoid)

    def _goal_tree(self, g, goal: np.ndarray, radius: float, node_ok: np.ndarray, cache: bool):
        """Shortest-path tree of the roadmap rooted at the goal's attachment nodes (LRU-cached per goal,
        since waypoint loops and patrols come back to the same goals)."""
        key = (round(radius, 3), round(float(goal[0]), 3), round(float(goal[1]), 3))
        if cache and key in self._trees:
            self._trees.move_to_end(key)
            return self._trees[key]
        g_nodes, g_cost = self._attach(goal, radius, node_ok)
        if g_nodes.size == 0:
            return None
        dist, pred, src = dijkstra(g, indices=g_nodes, min_only=True, return_predecessors=True)
        g_extra = np.full(len(self.nodes), np.inf)
        g_extra[g_nodes] = g_cost
        tree = (dist, pred, src, g_extra)
        if cache:
            self._trees[key] = tree
            per_tree = sum(a.nbytes for a in tree)
            while len(self._trees) > max(1, min(TREE_CACHE, TREE_CACHE_BYTES // per_tree)):
                self._trees.popitem(last=False)
        return tree

    def _shorten(self, pts: np.ndarray, radius: float, turn_radius: float, avoid=None) -> np.ndarray:
        """Greedy shortcuts that keep at least min(turn_radius, the clearance the original path had)."""
        # Vertices where the roadmap path runs straight on add nothing: drop them first.
        if len(pts) > 2:
            d1, d2 = pts[1:-1] - pts[:-2], pts[2:] - pts[1:-1]
            cross = np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])
            bend = cross > 1e-6 * np.linalg.norm(d1, axis=1) * np.linalg.norm(d2, axis=1)
            pts = pts[np.concatenate(([True], bend, [True]))]
        n = len(pts)
        seg_clear = self.segment_clearance(pts[:-1], pts[1:])
        # Every forward pair (i, j) within the window, tested in one vectorised call.
        ii, jj = _forward_pairs(n)
        direct = self.segment_clearance(pts[ii], pts[jj], SHORTCUT_STEP_M)
        # Clearance the original path keeps between i and j: the minimum over its segments i..j-1.
        run_min = np.full((n, n), np.inf)
        for i in range(n - 1):
            run_min[i, i + 1 :] = np.minimum.accumulate(seg_clear[i:])
        good = direct >= np.minimum(run_min[ii, jj], turn_radius) - 1e-9
        for x, y, r in avoid or ():
            good &= _segment_point_distance(pts[ii], pts[jj], np.array([x, y])) >= r + radius
        reach = np.arange(1, n + 1)  # farthest j reachable from each i (at least the next vertex)
        reach[-1] = n - 1
        np.maximum.at(reach, ii[good], jj[good])
        out = [pts[0]]
        i = 0
        while i < n - 1:
            i = int(reach[i])
            out.append(pts[i])
        path = np.array(out)
        # Drop zero-length legs.
        keep = np.concatenate(([True], np.linalg.norm(np.diff(path, axis=0), axis=1) > 1e-6))
        return path[keep]


@lru_cache(maxsize=256)
def _forward_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) index arrays of every vertex pair i < j at most SHORTCUT_WINDOW apart, in row order
    (read-only; cached, since paths of the same vertex count recur)."""
    ii, jj = np.triu_indices(n, 1)
    near = jj - ii <= SHORTCUT_WINDOW
    ii, jj = ii[near], jj[near]
    ii.flags.writeable = jj.flags.writeable = False
    return ii, jj


def _cut_nodes(g: csr_matrix, blocked: np.ndarray) -> csr_matrix:
    """The graph with every edge that touches a blocked node cut (weight ∞, which scipy's Dijkstra
    never relaxes): a copy of the weights, not a new matrix (building one cost ≈ 0.15 ms a replan)."""
    cut = g.copy()
    cut.data[np.repeat(blocked, np.diff(g.indptr)) | blocked[g.indices]] = np.inf
    return cut


def _segment_point_distance(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Distance from point p to each segment a[k]→b[k]."""
    ab = b - a
    ll = np.einsum("ij,ij->i", ab, ab)
    u = np.clip(
        np.divide(np.einsum("ij,ij->i", p - a, ab), ll, out=np.zeros_like(ll), where=ll > 0), 0.0, 1.0
    )
    return np.linalg.norm(a + u[:, None] * ab - p, axis=1)


def build_navmap(world: StaticWorld) -> NavMap:
    """Rasterise the static world's obstacles and build the clearance field and roadmap."""
    L, W = world.size
    pad = 1  # one obstacle ring outside the interior stands for the perimeter wall
    nx = int(np.ceil(L / RES_M)) + 2 * pad
    ny = int(np.ceil(W / RES_M)) + 2 * pad
    origin = np.array([-pad * RES_M, -pad * RES_M])
    cx = origin[0] + (np.arange(nx) + 0.5) * RES_M
    cy = origin[1] + (np.arange(ny) + 0.5) * RES_M
    occ = np.zeros((nx, ny), bool)
    occ[:pad, :] = occ[-pad:, :] = True
    occ[:, :pad] = occ[:, -pad:] = True
    occ[cx > L, :] = True
    occ[:, cy > W] = True
    h, eps = RES_M / 2, 1e-6
    for r in world.obstacles:  # a cell is occupied when it overlaps the rectangle's interior
        ix = (cx + h > r.x0 + eps) & (cx - h < r.x1 - eps)
        iy = (cy + h > r.y0 + eps) & (cy - h < r.y1 - eps)
        occ[np.ix_(ix, iy)] = True
    # Distance from a free cell centre to the nearest obstacle cell centre, minus half a cell: the
    # distance to that obstacle's edge (conservative by at most half a cell diagonal).
    clearance = np.maximum(ndimage.distance_transform_edt(~occ, sampling=RES_M) - RES_M / 2, 0.0)
    clearance[occ] = 0.0

    # Roadmap nodes: the most-clear cell of each block.
    b = NODE_BLOCK
    bx, by = -(-nx // b), -(-ny // b)
    padded = np.full((bx * b, by * b), -1.0)
    padded[:nx, :ny] = clearance
    blocks = padded.reshape(bx, b, by, b).transpose(0, 2, 1, 3).reshape(bx, by, b * b)
    arg = blocks.argmax(axis=2)
    best = blocks.max(axis=2)
    gi = np.arange(bx)[:, None] * b + arg // b
    gj = np.arange(by)[None, :] * b + arg % b
    valid = best > 0.15
    node_id = -np.ones((bx, by), int)
    node_id[valid] = np.arange(valid.sum())
    nodes = np.stack([cx[gi[valid]], cy[gj[valid]]], axis=1)
    node_clear = best[valid]

    # Candidate edges to nearby blocks; keep those whose straight segment stays clear.
    ii, jj = np.nonzero(valid)
    a_list, b_list = [], []
    for dx, dy in _NEIGHBOURS:
        ti, tj = ii + dx, jj + dy
        ok = (ti >= 0) & (ti < bx) & (tj >= 0) & (tj < by)
        ok[ok] &= valid[ti[ok], tj[ok]]
        a_list.append(node_id[ii[ok], jj[ok]])
        b_list.append(node_id[ti[ok], tj[ok]])
    edges = np.stack([np.concatenate(a_list), np.concatenate(b_list)], axis=1)
    nav = NavMap(
        origin, clearance, nodes, node_clear, edges, np.zeros(0), np.zeros(0), node_id, world.obstacles
    )
    # Buckets of BUCKET_M: each lists the rectangles within one bucket of it (so any body no larger than
    # BUCKET_M whose centre is in the bucket finds every rectangle it could touch).
    for r in world.obstacles:
        for bi in range(int((r.x0 - BUCKET_M) // BUCKET_M), int((r.x1 + BUCKET_M) // BUCKET_M) + 1):
            for bj in range(int((r.y0 - BUCKET_M) // BUCKET_M), int((r.y1 + BUCKET_M) // BUCKET_M) + 1):
                nav._buckets.setdefault((bi, bj), []).append(r)
    edge_clear = nav.segment_clearance(nodes[edges[:, 0]], nodes[edges[:, 1]])
    keep = edge_clear > 0.15
    nav.edges = edges[keep]
    nav.edge_clear = edge_clear[keep]
    nav.edge_len = np.linalg.norm(nodes[nav.edges[:, 0]] - nodes[nav.edges[:, 1]], axis=1)
    return nav

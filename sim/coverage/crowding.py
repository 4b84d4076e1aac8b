"""Other actors in the line of sight: the chance that a sensor's view of a body on a floor cell is clear
of them, from the traffic's density.

A sensor's cover (`visibility`) is a property of the layout. In a run other actors stand in the way too:
often for a sensor low on a wall looking along a busy aisle, seldom for one under the roof looking down.
Actors' centres are taken as a Poisson field whose density is the traffic's (actor-frames per m² per
frame, smoothed over `SMOOTH_M`). The line of sight runs from the sensor to a point on the body's axis
(`Sightline.aim`, a share of its height). Seen from the sensor, the body (class t, floor distance D) is
a = e_t · s / D wide where the line passes an occluder of class k (extent b = e_k) at floor distance s.
The occluder blocks the view when it hides more than a share θ (`Sightline.hide`) of that width, which it
does, if it can (min(a, b) ≥ θ a), when its centre is within w / 2 = (b + (1 − 2θ) a) / 2 of the line,
and only where the line passes lower than its height h_k. The expected number of blockers is then

    N = Σ_k ∫ ρ_k(x(s)) · w_k(s) · [z(s) < h_k] ds

over the floor distance s along the line, up to the two bodies' radii short of the cell (bodies do not
overlap) and, so that a body's own smoothed traffic never hides it, half the smoothing width and half a
block's diagonal more; the view is clear with probability exp(−N). Worked out on blocks of `BLOCK` ×
`BLOCK` cells (1 m at the default 0.2 m cells) and given to every cell of the block.

Per sensor kind (`SIGHTLINES`): a range sensor needs a few returns from anywhere on the body, so an
occluder must hide all of it (θ = 1, aimed at mid-height). A camera's blob detector merges foreground
that overlaps in the image and places the blob by its lowest pixel, which is the nearer body's: any nearer
actor overlapping the line to the body's floor contact loses it (θ = 0, aimed at the floor). Checked on
`central` runs of tuning seeds (`tools/detection_rates.py` prints detected / covered by the predicted
clear chance; docs/coverage.md has the table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.ndimage import uniform_filter

from sim.coverage.visibility import BODIES, Floor

SMOOTH_M = 1.0  # the density is averaged over this square: about an occluder's extent
BLOCK = 5  # cells per side of the blocks the clear chance is worked out on
STEP_M = 0.25  # spacing of the samples along a line of sight, on the floor
CHUNK = 2048  # blocks worked out at once (memory: blocks × samples along the longest line)


@dataclass(frozen=True)
class Sightline:
    """How other actors hide a body from one kind of sensor."""

    hide: float  # θ: the share of the body's apparent width an occluder must hide to block the view
    aim: float  # where the line of sight meets the body's axis, as a share of its height


SIGHTLINES = {"camera": Sightline(0.0, 0.0), "thermal": Sightline(0.0, 0.0), "lidar": Sightline(1.0, 0.5)}


@dataclass(frozen=True)
class Crowd:
    """The traffic's density of actor centres per tracked class (actors per m² at an instant)."""

    floor: Floor
    density: np.ndarray  # (len(BODIES), nx, ny), smoothed over SMOOTH_M
    # Per (origin, sightline): the clear chance of every block worked out so far (NaN: not yet). Candidate
    # poses share mounting points, and cameras and thermal cameras sightlines, so most are asked twice.
    _done: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, floor: Floor, traffic: np.ndarray, frames: int) -> Crowd:
        """From `traffic` ((len(BODIES), n_cells) actor-frames) counted over `frames` frames."""
        res = floor.grid.resolution
        per_m2 = traffic.reshape(len(BODIES), *floor.grid.shape) / (max(frames, 1) * res * res)
        size = max(1, round(SMOOTH_M / res))
        return cls(floor, uniform_filter(per_m2, size=(1, size, size), mode="constant"))

    @cached_property
    def _blocks(self) -> tuple[np.ndarray, int]:
        """Each cell's block (row-major over the grid of blocks), and the number of blocks."""
        nx, ny = self.floor.grid.shape
        by = -(-ny // BLOCK)
        ij = np.indices((nx, ny)).reshape(2, -1)
        return (ij[0] // BLOCK) * by + ij[1] // BLOCK, -(-nx // BLOCK) * by

    def clear(self, origin, seen: np.ndarray, sight: Sightline) -> np.ndarray:
        """(len(BODIES), n_cells): the chance that no other actor blocks the view from `origin` (x, y, z)
        of a body of each class on each cell; 1 where `seen` ((len(BODIES), n_cells) bool) is False."""
        block, n_blocks = self._blocks
        key = (tuple(float(v) for v in origin), sight)
        per_block = self._done.setdefault(key, np.full((len(BODIES), n_blocks), np.nan))
        wanted = np.zeros(n_blocks, bool)
        wanted[block[seen.any(axis=0)]] = True
        todo = np.flatnonzero(wanted & np.isnan(per_block[0]))
        for part in np.array_split(todo, -(-len(todo) // CHUNK)) if len(todo) else ():
            per_block[:, part] = self._chances(np.asarray(key[0]), part, sight)
        return np.where(seen, per_block[:, block], 1.0)

    def _chances(self, o: np.ndarray, bi: np.ndarray, sight: Sightline) -> np.ndarray:
        """(len(BODIES), len(bi)): exp(−N) from `o` to the centres of blocks `bi`."""
        grid = self.floor.grid
        nx, ny = grid.shape
        by = -(-ny // BLOCK)
        # Block centres (the middle of the block's cells; a partial last block's own middle).
        i0, j0 = (bi // by) * BLOCK, (bi % by) * BLOCK
        ci = (i0 + np.minimum(i0 + BLOCK, nx) - 1) / 2
        cj = (j0 + np.minimum(j0 + BLOCK, ny) - 1) / 2
        xy = grid.cell_to_world(np.column_stack([ci, cj]))
        d = xy - o[:2]
        dist = np.linalg.norm(d, axis=1)
        s = (np.arange(int(np.ceil(dist.max() / STEP_M))) + 0.5) * STEP_M  # (m,) floor distance
        u = s[None, :] / np.maximum(dist, 1e-9)[:, None]  # (b, m) fraction of the way to the cell
        pts = o[None, None, :2] + u[..., None] * d[:, None, :]
        cells = grid.world_to_cell(pts.reshape(-1, 2))
        inside = grid.inside(cells)
        cells = np.where(inside[:, None], cells, 0)
        rho = self.density[:, cells[:, 0], cells[:, 1]] * inside  # (k, b·m)
        rho = rho.reshape(len(BODIES), *u.shape)
        slack = SMOOTH_M / 2 + BLOCK * grid.resolution / np.sqrt(2)
        out = np.empty((len(BODIES), len(bi)))
        for t, target in enumerate(BODIES):
            z = o[2] + (sight.aim * target.height_m - o[2]) * u  # the line's height over each sample
            n = np.zeros(len(bi))
            a = target.extent_m * u  # the body's apparent width where the line passes each sample
            for k, other in enumerate(BODIES):
                near = target.radius_m + other.radius_m + slack
                on = (z < other.height_m) & (s[None, :] < dist[:, None] - near)
                b = other.extent_m
                w = np.where(np.minimum(a, b) >= sight.hide * a, b + (1 - 2 * sight.hide) * a, 0.0)
                n += STEP_M * (rho[k] * w * on).sum(axis=1)
            out[t] = np.exp(-n)
        return out

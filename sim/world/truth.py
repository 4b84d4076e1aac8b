"""Ground truth of the dynamic actors at one tick (for scoring and tests only; SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TruthFrame:
    """Immutable snapshot of every actor present at one tick; row k of each array is one actor.

    The arrays are read-only (the world hands out views of one read-only block per tick).

    `z` is the height of the box centre above the floor; `yaw` is counter-clockwise from +x.
    """

    tick: int
    t: float
    ids: tuple[str, ...]
    class_ids: np.ndarray  # (n,) int
    xyz: np.ndarray  # (n, 3)
    yaw: np.ndarray  # (n,)
    vel: np.ndarray  # (n, 2) vx, vy
    size: np.ndarray  # (n, 3) length, width, height
    temperature_c: np.ndarray  # (n,)
    tags: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.ids)

    def corners(self) -> np.ndarray:
        """(n, 4, 2) floor footprint corners of every actor's box."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        hl, hw = self.size[:, 0] / 2, self.size[:, 1] / 2
        local = np.stack(
            [np.stack([hl, hw], 1), np.stack([-hl, hw], 1), np.stack([-hl, -hw], 1), np.stack([hl, -hw], 1)],
            1,
        )
        rot = np.stack([np.stack([c, -s], 1), np.stack([s, c], 1)], 1)  # (n, 2, 2)
        return np.einsum("nij,nkj->nki", rot, local) + self.xyz[:, None, :2]

    def footprint_distance(self, points: np.ndarray) -> np.ndarray:
        """(m, n) floor distance from each point (m, 2) to each actor's footprint box, 0 inside it."""
        d = np.asarray(points, float)[:, None, :] - self.xyz[None, :, :2]
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        along, across = d[..., 0] * c + d[..., 1] * s, d[..., 1] * c - d[..., 0] * s
        out = np.stack([np.abs(along) - self.size[:, 0] / 2, np.abs(across) - self.size[:, 1] / 2], -1)
        return np.linalg.norm(np.maximum(out, 0.0), axis=-1)

    def nearest_body(
        self, points: np.ndarray, centre: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per point (m, 2): the actor whose footprint is nearest (among footprints equally near, e.g. a
        point inside two, the nearest centre) and the distance to that actor's centre. A detection lying
        on a forklift's body is of the forklift even where a worker beside it has the nearer centre.
        `centre`: the (m, n) point-to-centre distances, where the caller has them already."""
        if centre is None:
            centre = np.linalg.norm(np.asarray(points, float)[:, None, :] - self.xyz[None, :, :2], axis=2)
        foot = self.footprint_distance(points)
        tied = foot <= foot.min(1, keepdims=True) + 1e-9
        j = np.where(tied, centre, np.inf).argmin(1)
        return j, centre[np.arange(len(j)), j]

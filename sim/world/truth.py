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

"""Track life: how a track starts, when it is confirmed, when it is deleted (Stone Soup's initiator and
deleter, over all tracks at once)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fusion.track import TrackTable


def position_std(P: np.ndarray) -> np.ndarray:
    """RMS of the two position standard deviations of each track (n, 4, 4) → (n,)."""
    return np.sqrt(np.trace(P[:, :2, :2], axis1=1, axis2=2) / 2) if len(P) else np.zeros(0)


@dataclass(frozen=True)
class MofNInitiator:
    """An unassigned position starts a tentative track (at rest, velocity σ `init_velocity_std_mps`); it is
    confirmed once `hits` of its last `window` counted scans hit, and dropped once that is impossible."""

    hits: int = 3
    window: int = 5
    init_velocity_std_mps: float = 2.0

    def initial_state(self, z: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(z)
        x = np.column_stack([z, np.zeros((n, 2))])
        P = np.zeros((n, 4, 4))
        P[:, :2, :2] = R
        P[:, 2, 2] = P[:, 3, 3] = self.init_velocity_std_mps**2
        return x, P

    def review(self, table: TrackTable) -> tuple[np.ndarray, np.ndarray]:
        """(confirm, drop) masks over the tentative tracks."""
        hits = table.hits()
        tentative = ~table.confirmed
        confirm = tentative & (hits >= self.hits)
        drop = tentative & ~confirm & (hits + (self.window - table.counted()) < self.hits)
        return confirm, drop


@dataclass(frozen=True)
class MissDeleter:
    """A confirmed track is *lost* after `after_misses` consecutive counted misses or once its position σ
    passes `max_position_std_m` (it has coasted unseen too long to be anywhere in particular): it is no
    longer reported but keeps coasting for `keep_lost_s`, so that a measurement can re-acquire it under
    its id and tag; then it is deleted, as is any lost track whose σ passes twice the limit. A tentative
    track past the σ limit is deleted at once. `keep_lost_s` 0: deleted when lost. A track coasting past
    `report_std_m` (default: the σ limit) is not reported, but neither lost nor deleted: a coasting track
    drifts off its target, and reporting it then counts as a false track and a miss at once."""

    after_misses: int = 6
    max_position_std_m: float = 4.0
    keep_lost_s: float = 0.0
    report_std_m: float | None = None

    def unseen(self, P: np.ndarray) -> np.ndarray:
        """Tracks too uncertain to be reported."""
        limit = self.max_position_std_m if self.report_std_m is None else self.report_std_m
        return position_std(P) > limit

    def review(self, table: TrackTable, P: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(lose, delete) masks (confirmed status as it was before this scan's confirmations)."""
        std = position_std(P)
        active = table.confirmed & ~table.lost
        lose = active & ((table.misses >= self.after_misses) | (std > self.max_position_std_m))
        expired = table.lost & ((t - table.lost_at > self.keep_lost_s) | (std > 2 * self.max_position_std_m))
        delete = expired | (~table.confirmed & (std > self.max_position_std_m))
        if self.keep_lost_s <= 0:
            delete, lose = delete | lose, np.zeros_like(lose)
        return lose, delete

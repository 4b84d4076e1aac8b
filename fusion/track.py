"""A track's public snapshot, and the tracker's per-track bookkeeping kept as arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackState:
    """Immutable snapshot of one track at the tracker's time."""

    id: int
    t: float
    x: np.ndarray  # (4,) x, y, vx, vy
    P: np.ndarray  # (4, 4)
    status: str  # "tentative" | "confirmed"
    cls: str
    tag: str | None


class TrackTable:
    """Identity and life of every track, one row each, in the filter bank's order.

    `history` holds the last `window` scans that counted for a track (1 hit, 0 miss, −1 not yet), newest
    last; `misses` the consecutive misses. Only scans that could have seen a track count for it. A *lost*
    track is a confirmed one that stopped being seen: not reported, coasting, re-acquired by a hit. A
    track's class is the one most of its detections gave (`votes`; a tie keeps the class it has)."""

    def __init__(self, window: int):
        self.window = window
        self.ids: list[int] = []
        self.cls: list[str] = []
        self.tag: list[str | None] = []
        self.votes: list[dict[str, int]] = []  # class → how many of the track's detections gave it
        self.confirmed = np.zeros(0, bool)
        self.lost = np.zeros(0, bool)  # confirmed, not seen for too long: coasting unreported
        self.lost_at = np.zeros(0)  # when it was lost (s)
        self.history = np.full((0, window), -1, np.int8)
        self.misses = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def append(self, ids: list[int], cls: list[str]) -> None:
        """New tentative tracks, each with one hit."""
        n = len(ids)
        self.ids += ids
        self.cls += cls
        self.tag += [None] * n
        self.votes += [{} if c == "unknown" else {c: 1} for c in cls]
        self.confirmed = np.concatenate([self.confirmed, np.zeros(n, bool)])
        self.lost = np.concatenate([self.lost, np.zeros(n, bool)])
        self.lost_at = np.concatenate([self.lost_at, np.zeros(n)])
        first = np.full((n, self.window), -1, np.int8)
        first[:, -1] = 1
        self.history = np.concatenate([self.history, first])
        self.misses = np.concatenate([self.misses, np.zeros(n, np.int64)])

    def record(self, rows: np.ndarray, hit: np.ndarray) -> None:
        """A scan that counted for tracks `rows` (distinct): hit or miss each."""
        rows = np.asarray(rows, int)
        hit = np.broadcast_to(np.asarray(hit, bool), rows.shape)
        self.history[rows] = np.column_stack([self.history[rows, 1:], hit.astype(np.int8)])
        self.misses[rows] = np.where(hit, 0, self.misses[rows] + 1)
        self.lost[rows[hit]] = False  # re-acquired: same id, same tag

    def vote(self, row: int, cls: str) -> None:
        """One detection of class `cls` ("unknown" says nothing) associated with track `row`."""
        if cls == "unknown":
            return
        votes = self.votes[row]
        votes[cls] = votes.get(cls, 0) + 1
        if votes[cls] > votes.get(self.cls[row], 0):
            self.cls[row] = cls

    def hits(self) -> np.ndarray:
        return (self.history == 1).sum(1)

    def counted(self) -> np.ndarray:
        """How many scans have counted so far (up to `window`)."""
        return (self.history >= 0).sum(1)

    def keep(self, mask: np.ndarray) -> None:
        mask = np.asarray(mask, bool)
        self.ids = [v for v, k in zip(self.ids, mask, strict=True) if k]
        self.cls = [v for v, k in zip(self.cls, mask, strict=True) if k]
        self.tag = [v for v, k in zip(self.tag, mask, strict=True) if k]
        self.votes = [v for v, k in zip(self.votes, mask, strict=True) if k]
        self.confirmed, self.history, self.misses = (
            self.confirmed[mask],
            self.history[mask],
            self.misses[mask],
        )
        self.lost, self.lost_at = self.lost[mask], self.lost_at[mask]

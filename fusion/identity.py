"""Track identities from tagged reads (RFID): which tag a track carries, and swaps when two tags' reads
turn to fit each other's track.

An unbound tag binds to the only confirmed, unbound track inside its read's gate (ambiguous or empty
gates leave it unbound) and stays bound for the track's life. If two tracks swap targets (two tagged
workers crossing closely), their tags' reads stop fitting them and fit each other's track instead; when
two tags disagree with their tracks in that mutual way within `swap_window_s`, the tags are swapped, so
identities follow the people rather than the track numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fusion.track import TrackTable

Fit = Callable[[np.ndarray, int], np.ndarray]  # (track rows, read index) → squared Mahalanobis distances


class TagBinder:
    def __init__(self, swap_window_s: float = 2.0):
        self.swap_window_s = swap_window_s
        self.swaps = 0
        self._disagree: dict[str, tuple[float, int]] = {}  # tag → (time, id of the track its read fitted)

    def assign(self, table: TrackTable, tags: list[str], d2: Fit, gate: float):
        """(track rows, read indices) of the reads that belong to a track — their tag's, or a track they
        bind to now — and the indices of reads of tags left unbound."""
        rows, keep, unbound = [], [], []
        for k, tag in enumerate(tags):
            if tag in table.tag:
                rows.append(table.tag.index(tag))
                keep.append(k)
                continue
            free = np.array(
                [j for j in range(len(table)) if table.tag[j] is None and table.confirmed[j]], dtype=int
            )
            if free.size == 0:
                unbound.append(k)
                continue
            inside = free[d2(free, k) <= gate]
            if inside.size == 1:
                table.tag[int(inside[0])] = tag
                rows.append(int(inside[0]))
                keep.append(k)
            else:
                unbound.append(k)
        return rows, keep, unbound

    def disagreement(self, table: TrackTable, t: float, tag: str, fits_others: np.ndarray) -> None:
        """A bound tag's read missed its track; `fits_others` are the rows of other tagged tracks it fits.
        Swap the two tags when that track's tag fitted this tag's track within the window."""
        if fits_others.size != 1:
            return
        other = int(fits_others[0])
        mine = table.tag.index(tag)
        self._disagree[tag] = (t, table.ids[other])
        other_tag = table.tag[other]
        seen = self._disagree.get(other_tag)
        if seen and seen[1] == table.ids[mine] and t - seen[0] <= self.swap_window_s:
            table.tag[mine], table.tag[other] = other_tag, tag
            self._disagree.pop(tag, None)
            self._disagree.pop(other_tag, None)
            self.swaps += 1

    @staticmethod
    def others(table: TrackTable, tag: str) -> np.ndarray:
        """Rows of tracks bound to a tag other than `tag`."""
        return np.array([j for j in range(len(table)) if table.tag[j] not in (None, tag)], dtype=int)

"""Identity managers: a tag's registered class is evidence for which track carries it."""

from __future__ import annotations

import numpy as np

from fusion.identity import LikelihoodBinder
from fusion.track import TrackTable


def _two_tracks(classes):
    table = TrackTable(5)
    table.append([1, 2], list(classes))
    table.confirmed[:] = True
    return table


def _equal_fit(rows, k):  # a read that fits both tracks alike: at the predicted range of each
    return np.zeros(len(rows)), np.ones(len(rows))


def test_equal_reads_bind_a_workers_badge_to_the_worker_track():
    for classes, expected in (
        (["forklift", "worker"], [None, "BADGE"]),
        (["worker", "forklift"], ["BADGE", None]),
    ):
        table = _two_tracks(classes)
        binder = LikelihoodBinder(tag_class={"BADGE": "worker"})
        binder.assign(table, 0.0, ["BADGE"], _equal_fit, gate=6.63)
        assert table.tag == expected, classes


def test_class_evidence_is_the_stated_nats_and_nothing_while_a_class_is_unknown():
    binder = LikelihoodBinder(
        tag_class={"A": "worker", "B": "agv"}, class_match_nats=1.5, class_mismatch_nats=2.5
    )
    got = binder._class_nats(["A", "B", "C"], ["worker", "agv", "unknown"])
    np.testing.assert_array_equal(got, [[1.5, -2.5, 0.0], [-2.5, 1.5, 0.0], [0.0, 0.0, 0.0]])


def test_a_strong_read_still_beats_the_class_prior():
    """Class evidence tips close calls only: reads that clearly fit the other-class track win."""
    table = _two_tracks(["forklift", "worker"])
    binder = LikelihoodBinder(memory_s=1e9, tag_class={"BADGE": "worker"})

    def fit(rows, k):  # the forklift track (row 0) at the read's range, the worker track 6 σ off
        return np.array([0.0, 36.0])[rows], np.ones(len(rows))

    for k in range(4):
        binder.assign(table, float(k), ["BADGE"], fit, gate=6.63)
    assert table.tag == ["BADGE", None]

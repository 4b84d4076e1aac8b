"""The RFID detection model (reads and non-reads) against closed forms, and identities bound from it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from fusion.identity import ReadBinder
from fusion.rfid_link import antenna_gain_db, path_loss_db
from fusion.rfid_ranging import SPEED_OF_LIGHT, LinkModel, Reader
from fusion.rfid_reads import ReadModel, ReadRound
from fusion.track import TrackTable
from fusion.tracker import Tracker, TrackerConfig

READER = Reader(np.array([0.0, 10.0, 2.5]), np.array([1.0, 0.0, 0.0]), 30.0, 6.0)
LINK = LinkModel()
RACK = np.array([[8.0, 12.0, 9.0, 20.0]])  # one rack row north-east of the reader
MODEL = ReadModel(READER, LINK, -18.0, RACK, (0.0, 0.0, 30.0, 20.0))


def _power_by_hand(x: float, y: float, racks: int) -> float:
    v = np.array([x, y, LINK.tag_height_m]) - READER.position
    d = float(np.linalg.norm(v))
    g = antenna_gain_db(np.array([v[0] / d]), 6.0, LINK.half_power_deg, LINK.front_to_back_db)[0]
    pl = path_loss_db(np.array([d]), SPEED_OF_LIGHT / LINK.frequency_hz, LINK.path_loss_exponent)[0]
    return 30.0 + g + LINK.tag_gain_dbi - LINK.polarisation_loss_db - pl - LINK.rack_loss_db * racks


def test_forward_power_and_read_probability_follow_the_link_budget():
    xy = np.array([[3.0, 10.0], [6.0, 14.0], [14.0, 16.0], [20.0, 3.0]])  # the third is behind the rack
    expected = np.array([_power_by_hand(3, 10, 0), _power_by_hand(6, 14, 0), _power_by_hand(14, 16, 1)])
    expected = np.append(expected, _power_by_hand(20, 3, 0))
    np.testing.assert_allclose(MODEL.forward_power_dbm(xy), expected, atol=1e-9)
    np.testing.assert_allclose(MODEL.read_probability(xy), ndtr((expected + 18.0) / 6.0), atol=1e-12)
    np.testing.assert_allclose(np.exp(MODEL.log_miss(xy)), 1 - MODEL.read_probability(xy), atol=1e-12)


def test_rssi_density_integrates_to_the_read_probability():
    """p(read, r | x) over every RSSI a read can have (the tag powered: (r + P_tx + L_mod) / 2 ≥ S) is
    P(read | x): the two halves of the model agree."""
    r_min = 2 * -18.0 - 30.0 - LINK.modulation_loss_db
    r = np.linspace(r_min, r_min + 150, 30001)
    xy = np.array([[2.0, 10.0], [7.0, 12.0], [15.0, 15.0], [25.0, 2.0]])
    density = np.exp(MODEL.log_read(xy, r))  # (reads, positions)
    integral = np.trapezoid(density, r, axis=0)
    np.testing.assert_allclose(integral, MODEL.read_probability(xy), atol=2e-4)


def test_the_null_is_the_floor_average():
    """ln P(miss) and ln p(read, r) of a tag anywhere: averages over the floor cells, by brute force."""
    gx, gy = np.meshgrid(np.arange(0.25, 30, 0.5), np.arange(0.25, 20, 0.5))
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    assert math.isclose(MODEL.null_log_miss, math.log(np.exp(MODEL.log_miss(cells)).mean()), rel_tol=1e-9)
    rssi = np.array([-60.0, -52.37, -45.0])  # the table's step is 0.05 dB: -52.37 lies between entries
    np.testing.assert_allclose(
        MODEL.null_log_read(rssi), np.log(np.exp(MODEL.log_read(cells, rssi)).mean(axis=1)), atol=1e-3
    )
    big = ReadModel(READER, LINK, -18.0, RACK, (0.0, 0.0, 300.0, 200.0))
    assert big._floor_power.size <= 20_000  # a large floor's null on a coarser grid
    read, miss = MODEL.log_ratios(cells[:3], rssi)
    np.testing.assert_allclose(read, MODEL.log_read(cells[:3], rssi) - MODEL.null_log_read(rssi)[:, None])
    np.testing.assert_allclose(miss, MODEL.log_miss(cells[:3]) - MODEL.null_log_miss)


def _table() -> TrackTable:
    table = TrackTable(5)
    table.append([1, 2], ["worker"] * 2)
    table.confirmed[:] = True
    return table


NEAR, FAR = np.array([2.5, 10.0]), np.array([24.0, 3.0])  # track 1 at the reader, track 2 across the hall


def _near_rssi() -> np.ndarray:
    """The RSSI a tag at NEAR returns with no fade."""
    return np.array([2 * MODEL.forward_power_dbm(NEAR[None])[0] - 30.0 - LINK.modulation_loss_db])


def test_a_read_binds_its_tag_and_a_non_read_excludes_a_track_by_the_closed_form():
    table, binder = _table(), ReadBinder(memory_s=1e9, min_evidence=1.0, clip=4.0)
    xy = np.vstack([NEAR, FAR])
    rssi = _near_rssi()
    rnd = ReadRound(MODEL, rssi, unread=("A",))
    binder.assign(table, 0.0, ["B"], None, 0.0, reads=rnd, xy=xy)
    read, miss = MODEL.log_ratios(xy, rssi)
    assert binder._evidence["B"] == {
        1: float(np.clip(read[0, 0], -4, 4)),
        2: float(np.clip(read[0, 1], -4, 4)),
    }
    assert binder._evidence["A"] == {1: float(np.clip(miss[0], -4, 4)), 2: float(np.clip(miss[1], -4, 4))}
    assert table.tag == ["B", None]
    assert miss[0] < -2.5 and abs(miss[1]) < 0.2  # sure to be read at the reader, unlikely across the hall
    # A saturated round's non-reads say nothing.
    binder.assign(
        table, 0.1, [], None, 0.0, reads=ReadRound(MODEL, np.zeros(0), ("A",), saturated=True), xy=xy
    )
    assert binder._evidence["A"][1] == pytest.approx(float(np.clip(miss[0], -4, 4)), rel=1e-9)


def test_a_wrong_binding_is_revised_by_reads_and_non_reads():
    """Tag A bound by hand to the track at the reader; A is never read there while B is: the track
    changes to B, and A is bound to nothing (its non-reads leave no track with evidence for it)."""
    table, binder = _table(), ReadBinder(memory_s=10.0, min_evidence=1.0, clip=4.0)
    table.tag[0] = "A"
    xy = np.vstack([NEAR, FAR])
    for k in range(5):
        binder.assign(table, 0.1 * k, ["B"], None, 0.0, reads=ReadRound(MODEL, _near_rssi(), ("A",)), xy=xy)
    assert table.tag == ["B", None]


def test_identity_only_ranges_leave_the_state_alone():
    """With range_updates off a bound tag's reads identify its track but do not move it."""
    for updates in (True, False):
        tr = Tracker(TrackerConfig(range_updates=updates, identity="reads"))
        for k in range(5):
            tr.update_positions(0.1 * k, np.array(NEAR)[None], np.eye(2) * 0.1**2)
        rnd = ReadRound(MODEL, _near_rssi(), ())
        before = tr.bank.x.copy()
        anchor = READER.position - np.array([0, 0, LINK.tag_height_m])
        for k in range(5):
            tr.update_ranges(0.5 + 0.1 * k, anchor[None], np.array([3.5]), np.array([0.3]), ["B"], reads=rnd)
        assert tr.tracks.tag == ["B"]
        moved = np.abs(tr.bank.x[0, :2] - before[0, :2]).max()
        assert (moved > 0.2) if updates else (moved < 1e-9), (updates, moved)

"""RSSI ranging inverts the link model it is given (closed form), and a mismatched model is biased as
the model predicts."""

from __future__ import annotations

import math

import numpy as np

from fusion.rfid_ranging import SPEED_OF_LIGHT, LinkModel, Reader, RssiRanging

READER = Reader(np.array([0.0, 0.0, 3.0]), np.array([1.0, 0.0, 0.0]), 30.0, 6.0)


def _rssi(d, link: LinkModel):
    """The noiseless backscatter power at slant range d (the forward model written out)."""
    pl = 20 * math.log10(
        4 * math.pi / (SPEED_OF_LIGHT / link.frequency_hz)
    ) + 10 * link.path_loss_exponent * (np.log10(d))
    gains = 2 * (READER.antenna_gain_dbi + link.tag_gain_dbi - link.polarisation_loss_db)
    return READER.tx_power_dbm + gains - link.modulation_loss_db - 2 * pl


def test_ranges_invert_the_link_model_and_report_a_lognormal_spread():
    link = LinkModel()
    d = np.array([1.0, 3.0, 7.5])
    rm = RssiRanging(READER, link).ranges(0.0, "r", READER.position, ("a", "b", "c"), _rssi(d, link))
    assert np.allclose(rm.ranges, d, rtol=1e-12)
    assert np.allclose(rm.sigma, np.maximum(d * 6 * math.log(10) / 20, 0.3))
    assert np.allclose(rm.anchors, [0, 0, 2.0])  # the antenna relative to the tag height


def test_a_mismatched_path_loss_exponent_biases_ranges_as_predicted():
    true, believed = LinkModel(path_loss_exponent=2.0), LinkModel(path_loss_exponent=2.5)
    d = np.array([2.0, 8.0])
    rm = RssiRanging(READER, believed).ranges(0.0, "r", READER.position, ("a", "b"), _rssi(d, true))
    # 10 n' log10 d' + PL0 = 10 n log10 d + PL0 (same PL0): d' = d^(n/n') · 10^(PL0 (1/n' − 1/n)/10)·…
    pl0 = 20 * math.log10(4 * math.pi / (SPEED_OF_LIGHT / true.frequency_hz))
    expected = 10 ** ((pl0 + 20 * np.log10(d) - pl0) / 25)
    assert np.allclose(rm.ranges, expected, rtol=1e-12) and np.all(rm.ranges < d)

"""RFID: read probability follows the link budget (statistical, fixed seed); racks, phase, read cap."""

from __future__ import annotations

import numpy as np

from fusion.rfid_link import segments_cross_rects
from sim.sensors.rfid import CHANNELS_HZ, PHASE_NOISE_RAD, TAG_HEIGHT_M, C, RfidReader, tag_phase
from sim.world.layout import rect_array
from tests.sim.sensors.conftest import run_readings, sim_of

HALL = {"size_m": [30, 20], "height_m": 6}
Z = 3.3  # two-sided 99.9 % normal quantile for binomial checks


# A high read-rate cap, so that only the link budget decides (the cap has its own test).
UNCAPPED_READER = {
    "id": "r",
    "type": "rfid",
    "position": [1, 10, 1],
    "boresight": [1, 0, 0],
    "max_reads_per_s": 2000,
}


def _tagged_workers(points):
    return [
        {"id": f"w{k}", "kind": "worker", "tags": [f"T{k}"], "motion": {"type": "stationary", "position": p}}
        for k, p in enumerate(points)
    ]


def _fractions(reads, tags, n):
    counts = dict.fromkeys(tags, 0)
    for r in reads:
        for tag in r.tags:
            counts[tag] += 1
    return np.array([counts[t] / n for t in tags])


def test_read_probability_follows_the_model_over_distance():
    xs = [3.0, 5.0, 7.0, 10.0, 15.0, 22.0]
    sim = sim_of(
        HALL,
        _tagged_workers([[x, 10 + (-1) ** k * 0.6] for k, x in enumerate(xs)]),
        [UNCAPPED_READER],
        duration=60,
    )
    reads = run_readings(sim)
    n = len(reads)
    got = _fractions(reads, [f"T{k}" for k in range(len(xs))], n)
    r: RfidReader = sim.sensors.by_id["r"]
    pos = np.array([[x, 10 + (-1) ** k * 0.6, TAG_HEIGHT_M] for k, x in enumerate(xs)])
    expected = r.read_probability(pos, np.zeros(len(xs), int))
    assert expected[0] > 0.95 and expected[2] > 0.75 and expected[-1] < 0.3  # SPEC §8: reliable to 3–7 m
    band = Z * np.sqrt(expected * (1 - expected) / n) + 1e-9
    assert np.all(np.abs(got - expected) <= band), (got, expected)
    assert np.all(np.diff(got) <= 0.05)  # falls with distance


def test_rssi_of_reads_carries_the_fade_that_powered_the_tag():
    """Regression: the RSSI took the shadowing sample with the wrong sign, so reads sat ≈ 10 dB below the
    model. A tag read only when X ≥ S − P̄ has E[RSSI] = P_tx + 2 (P̄ − P_tx) − L_mod + 2 E[X | X ≥ a],
    E[X | X ≥ a] = σ φ(a/σ) / (1 − Φ(a/σ)) (truncated normal)."""
    from scipy.stats import norm

    from sim.sensors.rfid import MODULATION_LOSS_DB, SHADOWING_DB, TAG_SENSITIVITY_DBM

    xs = [4.0, 12.0, 20.0]
    sim = sim_of(HALL, _tagged_workers([[x, 10.0] for x in xs]), [UNCAPPED_READER], duration=60)
    reads = run_readings(sim)
    r: RfidReader = sim.sensors.by_id["r"]
    mean_p, _ = r.mean_tag_power_dbm(np.array([[x, 10.0, TAG_HEIGHT_M] for x in xs]), np.zeros(3, int))
    for k in range(3):
        rssi = np.concatenate([rd.rssi_dbm[np.array(rd.tags) == f"T{k}"] for rd in reads])
        a = (TAG_SENSITIVITY_DBM - mean_p[k]) / SHADOWING_DB
        fade = SHADOWING_DB * norm.pdf(a) / norm.sf(a)
        expected = r.tx_dbm + 2 * (mean_p[k] - r.tx_dbm) - MODULATION_LOSS_DB + 2 * fade
        # The std of 2X given X ≥ a is below 2σ; 3.3 standard errors of the mean.
        assert len(rssi) > 100 and abs(rssi.mean() - expected) < Z * 2 * SHADOWING_DB / np.sqrt(len(rssi))


def test_a_rack_row_between_reader_and_tag_lowers_the_read_rate():
    layout = dict(
        HALL,
        racks=[
            {
                "origin": [5, 11],
                "rows": 1,
                "row_spacing_m": 3,
                "bays": 2,
                "bay_length_m": 2.7,
                "depth_m": 1.1,
                "levels": 2,
            }
        ],
    )
    # Reader at the rack row's east end looking north; two tags mirrored about the boresight, 6 m away:
    # the west one behind the rack row, the east one in the clear.
    reader = {"id": "r", "type": "rfid", "position": [10.4, 8, 1], "boresight": [0, 1, 0]}
    tags = [[7.4, 13.2], [13.4, 13.2]]
    sim = sim_of(layout, _tagged_workers(tags), [reader], duration=60)
    reads = run_readings(sim)
    n = len(reads)
    got = _fractions(reads, ["T0", "T1"], n)
    r: RfidReader = sim.sensors.by_id["r"]
    pos = np.array([[*t, TAG_HEIGHT_M] for t in tags])
    crossed = segments_cross_rects(
        np.array([[10.4, 8.0]] * 2), pos[:, :2], rect_array(sim.sensors.static_world.rack_rows)
    )
    assert crossed.tolist() == [1, 0]
    expected = r.read_probability(pos, crossed)
    assert expected[0] < expected[1] - 0.3
    band = Z * np.sqrt(expected * (1 - expected) / n) + 1e-9
    assert np.all(np.abs(got - expected) <= band), (got, expected)


def test_phase_follows_distance_and_reads_are_capped():
    reader = {**UNCAPPED_READER, "max_reads_per_s": 40}  # capped this time
    actors = _tagged_workers([[2 + 0.5 * k, 7 + (k % 5) * 1.5] for k in range(20)])
    sim = sim_of(HALL, actors, [reader], duration=10)
    reads = run_readings(sim)
    r: RfidReader = sim.sensors.by_id["r"]
    assert max(len(x.tags) for x in reads) <= 4  # 40 reads/s at 10 rounds/s, fewer with 20 tags contending
    diffs = np.concatenate(
        [
            np.angle(
                np.exp(
                    1j
                    * (
                        x.phase_rad
                        - 4 * np.pi * x.frequency_hz * x.truth_distance_m / C
                        - np.array([tag_phase(tag) for tag in x.tags])
                        - r.phase_offset
                    )
                )
            )
            for x in reads
        ]
    )
    assert abs(diffs.mean()) < 0.02 and abs(diffs.std() - PHASE_NOISE_RAD) < 0.02
    assert all(np.all(x.rssi_dbm < 0) for x in reads)


def test_readers_hop_over_their_regions_channels_dwelling_as_set():
    """EU readers use the four ETSI channels, US readers the 50 FCC ones; a round's channel holds for the
    dwell and every pass of the hop sequence visits each channel once."""
    for region, dwell, n in (("EU", 1.0, 4), ("US", 0.4, 50)):
        reader = {**UNCAPPED_READER, "region": region}
        sim = sim_of(HALL, _tagged_workers([[4, 10]]), [reader], duration=2 * n * dwell + 0.5)
        reads = run_readings(sim)
        f = np.array([x.frequency_hz for x in reads])
        t = np.array([x.t for x in reads])
        assert set(f) == set(CHANNELS_HZ[region])
        slot = np.floor(t / dwell + 1e-9).astype(int)
        for k in np.unique(slot):
            assert len(set(f[slot == k])) == 1  # one channel per dwell
        per_pass = [set(f[(slot >= p * n) & (slot < (p + 1) * n)]) for p in range(2)]
        assert all(len(s) == n for s in per_pass)
    sim = sim_of(HALL, [], [{**UNCAPPED_READER, "hop_dwell_s": 0.3}])
    sim.reset()
    assert sim.sensors.by_id["r"].dwell_s == 0.3

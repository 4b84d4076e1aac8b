"""UHF RFID reader (SPEC §8): passive-tag link budget, read probability, Gen2 read-rate cap, RSSI, phase.

Forward link (reader → tag) decides whether a tag powers up:
    P̄_tag = P_tx + G_reader(θ) + G_tag − L_pol − PL(d) − n_racks · L_rack,  read iff P̄_tag + X ≥ S_tag
with log-distance path loss PL(d) = 20 log10(4π d0 / λ) + 10 n log10(d / d0) and log-normal shadowing
X ~ N(0, σ²) (Rappaport, *Wireless Communications*, §4.9–4.10; UHF RFID indoor n ≈ 1.8–2.2, σ ≈ 5–9 dB).
The read probability is therefore Φ((P̄_tag − S_tag) / σ): ≈ 0.9 at 5 m and 0.8 at 7 m on boresight
with the defaults (SPEC §8: reliable range 3–7 m), with a long tail beyond. The reverse link
(backscatter) sees the same channel twice:
    RSSI = P_tx + 2 (P̄_tag − P_tx + X) − L_mod,
with X the same shadowing sample that powered the tag (reads are biased towards favourable fades).
Readers hop between the channels of their region — EU: the four high-power channels 865.7–867.5 MHz of
ETSI EN 302 208 (V3.x), 600 kHz apart; US: 50 channels 902.75–927.25 MHz, 500 kHz apart, in a
pseudo-random order with at most 0.4 s on one (FCC 47 CFR §15.247(a)(1)(i)) — staying `hop_dwell_s` on
each (EU default 1 s, a common reader setting; US 0.4 s). Each round is on one channel. The phase of a
read is 4π f d / c + φ_tag + φ_reader + noise, mod 2π: φ_tag a constant of the tag (its chip's
reflection), φ_reader of the reader (cables, receiver) — unknown to an estimator, but the same on every
channel, so the phase's slope across channels gives the range of a tag that stands still (the path loss
and RSSI use the region's centre frequency: the band is 0.2–2.7 % wide). A reader fires `rate_hz`
inventory rounds a second with at most
`max_reads_per_s / rate_hz` slots each; with n tags in the field, slotted-ALOHA efficiency
(1 − 1/n)^(n−1) leaves fewer successful reads (EPC Gen2 Q algorithm ≈ 1/e for large n).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import replace

import numpy as np
from scipy.special import ndtr

from fusion import rfid_link as link
from sim.scenario.models import RfidSensor as RfidSpec
from sim.sensors.base import Sensor, TickContext, pose_matrix
from sim.sensors.readings import RfidReads
from sim.world.layout import Rect, rect_array

C = 299_792_458.0
FREQUENCY_HZ = {"EU": 866.3e6, "US": 915.0e6}  # ETSI EN 302 208 centre channel; FCC 902–928 MHz centre
CHANNELS_HZ = {
    "EU": (865.7e6, 866.3e6, 866.9e6, 867.5e6),  # ETSI EN 302 208 V3.x high-power channels
    "US": tuple(902.75e6 + 0.5e6 * k for k in range(50)),  # FCC §15.247: ≥ 50 hopping channels
}
HOP_DWELL_S = {"EU": 1.0, "US": 0.4}  # US: FCC's 0.4 s occupancy limit; EU: a common reader setting
TAG_GAIN_DBI = 2.0  # half-wave dipole inlay
TAG_SENSITIVITY_DBM = -18.0  # SPEC §8 (e.g. Impinj Monza R6: −20 dBm read sensitivity)
PATH_LOSS_EXPONENT = 2.0
SHADOWING_DB = 6.0
RACK_LOSS_DB = 10.0  # one stocked rack row between reader and tag (pallet loads absorb and scatter UHF)
MODULATION_LOSS_DB = 6.0  # backscatter modulation loss of the tag
POLARISATION_LOSS_DB = 3.0  # circularly polarised reader antenna, linear dipole tag (3 dB each way)
HALF_POWER_DEG = 35.0  # antenna half-power half-angle (70° beamwidth patch)
FRONT_TO_BACK_DB = 20.0
PHASE_NOISE_RAD = 0.1
TAG_HEIGHT_M = 1.0  # where an actor's tag sits above the floor (badge, truck cowl)


def antenna_gain_db(cos_theta: np.ndarray, peak_dbi: float) -> np.ndarray:
    """cosⁿ patch pattern with `HALF_POWER_DEG` half-power half-angle, floored at the back lobe."""
    return link.antenna_gain_db(cos_theta, peak_dbi, HALF_POWER_DEG, FRONT_TO_BACK_DB)


def round_reads(slots: int, powered: int) -> int:
    """How many of `powered` tags one inventory round reads with `slots` slots: slotted-ALOHA efficiency
    (1 − 1/n)^(n−1) of the slots, at least one, at most all of them."""
    if powered <= 1:
        return powered
    return min(powered, max(1, int(slots * (1 - 1 / powered) ** (powered - 1))))


def full_round(slots: int) -> int:
    """The fewest reads a round can deliver while leaving powered tags unread: a round with fewer reads
    read every tag that powered up (so its non-reads mean "not powered")."""
    cut = [round_reads(slots, n) for n in range(2, 64 * slots) if round_reads(slots, n) < n]
    return min(cut) if cut else 64 * slots


def tag_phase(tag: str) -> float:
    """A tag's own reflection phase: a constant of its chip, the same on every channel."""
    return zlib.crc32(tag.encode()) / 2**32 * 2 * math.pi


class HopSequence:
    """A pseudo-random channel order: each pass visits every channel once, in a fresh shuffle."""

    def __init__(self, n: int, rng: np.random.Generator):
        self.n, self.rng, self.order = n, rng, np.zeros(0, np.int64)

    def at(self, k: int) -> int:
        """The channel of the k-th dwell."""
        while k >= len(self.order):
            self.order = np.concatenate([self.order, self.rng.permutation(self.n)])
        return int(self.order[k])


class RfidReader(Sensor):
    kind = "rfid"

    def __init__(
        self,
        spec: RfidSpec,
        rng: np.random.Generator,
        racks: tuple[Rect, ...],
        pallet_tags: list[tuple[str, np.ndarray]],
    ):
        super().__init__(spec.id, pose_matrix(np.eye(3), spec.position), rng)
        self.position = np.asarray(spec.position, float)
        b = np.asarray(spec.boresight, float)
        self.boresight = b / np.linalg.norm(b)
        self.tx_dbm = spec.tx_power_dbm
        self.gain_dbi = spec.antenna_gain_dbi
        self.wavelength = C / FREQUENCY_HZ[spec.region]
        # The hop sequence and the reader's phase offset draw from a generator of their own, so the
        # link's noise is what it was before readers hopped.
        hop_rng = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        self.channels = np.asarray(CHANNELS_HZ[spec.region], float)
        self.dwell_s = spec.hop_dwell_s or HOP_DWELL_S[spec.region]
        self._hops = HopSequence(len(self.channels), hop_rng)
        self.phase_offset = float(hop_rng.uniform(0, 2 * math.pi))
        self.slots = max(1, int(spec.max_reads_per_s / spec.rate_hz))
        self.racks = rect_array(racks)
        self.pallet_ids = tuple(t for t, _ in pallet_tags)
        self.pallet_pos = np.array([p for _, p in pallet_tags], float).reshape(-1, 3)
        self._pallet_racks = link.segments_cross_rects(
            np.broadcast_to(self.position[:2], (len(self.pallet_pos), 2)), self.pallet_pos[:, :2], self.racks
        )

    def mean_tag_power_dbm(
        self, tag_pos: np.ndarray, racks_crossed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean forward-link power at each tag (dBm) and the distances (m)."""
        v = tag_pos - self.position
        d = np.maximum(np.linalg.norm(v, axis=1), 0.1)
        pl = link.path_loss_db(d, self.wavelength, PATH_LOSS_EXPONENT)
        g = antenna_gain_db((v @ self.boresight) / d, self.gain_dbi)
        return self.tx_dbm + g + TAG_GAIN_DBI - POLARISATION_LOSS_DB - pl - RACK_LOSS_DB * racks_crossed, d

    def read_probability(self, tag_pos: np.ndarray, racks_crossed: np.ndarray) -> np.ndarray:
        p, _ = self.mean_tag_power_dbm(tag_pos, racks_crossed)
        return ndtr((p - TAG_SENSITIVITY_DBM) / SHADOWING_DB)

    def _actor_tags(self, truth) -> tuple[list[str], np.ndarray]:
        """The tags the actors carry now and where (n, 3), at `TAG_HEIGHT_M`."""
        rows = [(k, tag) for k, tags in enumerate(truth.tags) for tag in tags] if len(truth) else []
        ks = np.array([k for k, _ in rows], dtype=np.int64)
        if not rows:
            return [], np.zeros((0, 3))
        return [tag for _, tag in rows], np.column_stack([truth.xyz[ks, :2], np.full(len(ks), TAG_HEIGHT_M)])

    def measure(self, ctx: TickContext, reported_pose: np.ndarray) -> RfidReads:
        actor_ids, actor_pos = self._actor_tags(ctx.truth)
        ids = list(self.pallet_ids) + actor_ids
        pos_all = np.vstack([self.pallet_pos, actor_pos])
        actor_racks = link.segments_cross_rects(
            np.broadcast_to(self.position[:2], (len(actor_pos), 2)), actor_pos[:, :2], self.racks
        )
        racks_all = np.concatenate([self._pallet_racks, actor_racks])
        mean_p, d = self.mean_tag_power_dbm(pos_all, racks_all)
        shadow = self.rng.standard_normal(len(d)) * SHADOWING_DB
        powered = np.flatnonzero(mean_p + shadow >= TAG_SENSITIVITY_DBM)
        n = len(powered)
        if n:
            k = round_reads(self.slots, n)
            powered = np.sort(self.rng.choice(powered, size=k, replace=False))
        # One-way channel gain (antenna gains, losses and this read's shadowing), seen twice by the
        # backscatter. The shadowing that powered the tag is the same sample: it raises the RSSI too.
        gain = mean_p[powered] - self.tx_dbm + shadow[powered]
        rssi = self.tx_dbm + 2 * gain - MODULATION_LOSS_DB
        f = float(self.channels[self._hops.at(math.floor(ctx.t / self.dwell_s + 1e-9))])
        phase = (
            4 * math.pi * f * d[powered] / C
            + np.array([tag_phase(ids[i]) for i in powered])
            + self.phase_offset
            + self.rng.standard_normal(len(powered)) * PHASE_NOISE_RAD
        )
        return RfidReads(
            self.id,
            ctx.t,
            ctx.t,
            reported_pose[:3, 3].copy(),
            tuple(ids[i] for i in powered),
            rssi,
            np.mod(phase, 2 * math.pi),
            d[powered],
            f,
        )

    def multipath(
        self, reads: RfidReads, truth, rng: np.random.Generator, jump_db: float, ghosts: float, range_m: float
    ) -> tuple[RfidReads, int]:
        """The round as a multipath burst leaves it: each read's RSSI faded by N(0, jump_db²) more, and
        Poisson(ghosts) unread tags within range_m read through a reflection — barely powered (forward
        power an exponential 3 dB above the tag's sensitivity), phase unrelated to distance. Returns the
        reads and how many are ghosts."""
        actor_ids, actor_pos = self._actor_tags(truth)
        ids = np.array(list(self.pallet_ids) + actor_ids, dtype=object)
        d = np.linalg.norm(np.vstack([self.pallet_pos, actor_pos]) - self.position, axis=1)
        unread = np.flatnonzero((d <= range_m) & ~np.isin(ids, list(reads.tags)))
        n = min(int(rng.poisson(ghosts)), len(unread))
        pick = np.sort(rng.choice(unread, size=n, replace=False)) if n else np.zeros(0, np.int64)
        tag_power = TAG_SENSITIVITY_DBM + rng.exponential(3.0, n)
        ghost_rssi = 2 * tag_power - self.tx_dbm - MODULATION_LOSS_DB
        rssi = reads.rssi_dbm + rng.standard_normal(len(reads.tags)) * jump_db
        out = replace(
            reads,
            tags=reads.tags + tuple(ids[pick]),
            rssi_dbm=np.concatenate([rssi, ghost_rssi]),
            phase_rad=np.concatenate([reads.phase_rad, rng.uniform(0, 2 * math.pi, n)]),
            truth_distance_m=np.concatenate([reads.truth_distance_m, d[pick]]),
        )
        return out, n

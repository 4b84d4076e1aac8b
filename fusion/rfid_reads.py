"""A UHF RFID reader's detection model, as an estimator believes it: how likely a tag at a floor position
is to be read in one inventory round, and at what RSSI — so that both a read and a *non-read* of a tag
say something about which track carries it.

Forward link: P̄(x) = P_tx + G_reader(θ) + G_tag − L_pol − PL(d) − n_racks · L_rack; the tag answers when
P̄(x) + X ≥ S with shadowing X ~ N(0, σ²), so P(read | x) = Φ((P̄(x) − S) / σ). The backscatter RSSI sees
the same fade twice, RSSI = P_tx + 2 (P̄(x) − P_tx + X) − L_mod, so a read at RSSI r implies
X = (r + P_tx + L_mod) / 2 − P̄(x) and p(read, r | x) = φ(X / σ) / (2σ) (the read condition P̄ + X ≥ S
is then the same for every x). Against these, the null hypothesis "the tag is somewhere on the floor":
the same quantities averaged over a grid of the floor. A still tag's phase range (`fusion.rfid_phase`)
is scored the same way: N(r; slant range of x, σ²) against the ranges of tags anywhere the reader
reads. Log-likelihood ratios of a track's position against the null are what
`fusion.identity.ReadBinder` accumulates (Rappaport, *Wireless Communications*, §4.9–4.10; scoring
reads and misses follows the RFID localisation literature's detection-model approach, e.g. Hähnel et
al., ICRA 2004).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import log_ndtr, logsumexp

from fusion.rfid_link import antenna_gain_db, path_loss_db, segments_cross_rects
from fusion.rfid_ranging import SPEED_OF_LIGHT, LinkModel, Reader

RSSI_STEP_DB = 0.5  # the null's RSSI table: fine against the 2σ = 12 dB spread of a read's RSSI
MAX_NULL_CELLS = 20_000


@dataclass(frozen=True)
class ReadModel:
    """One reader as installed, its link as believed, and the site's rack rows (which cost
    `link.rack_loss_db` each on the way) and floor (where a tag on no track may be)."""

    reader: Reader
    link: LinkModel
    sensitivity_dbm: float  # the tags' read sensitivity
    racks: np.ndarray  # (k, 4) rack rows x0, y0, x1, y1 (the site map)
    floor: tuple[float, float, float, float]  # x0, y0, x1, y1 of the floor
    cell_m: float = 0.5  # grid of the null hypothesis (coarser on floors over 5 000 m²: ≤ 20 000 cells)

    def forward_power_dbm(self, xy: np.ndarray) -> np.ndarray:
        """Mean power reaching a tag at each floor position (n, 2), at the tag height."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        r, link = self.reader, self.link
        pos = np.asarray(r.position, float)
        tag = np.column_stack([xy, np.full(len(xy), link.tag_height_m)])
        v = tag - pos
        d = np.maximum(np.linalg.norm(v, axis=1), 0.1)
        b = np.asarray(r.boresight, float) / np.linalg.norm(r.boresight)
        gain = antenna_gain_db((v @ b) / d, r.antenna_gain_dbi, link.half_power_deg, link.front_to_back_db)
        pl = path_loss_db(d, SPEED_OF_LIGHT / link.frequency_hz, link.path_loss_exponent)
        racks = segments_cross_rects(np.broadcast_to(pos[:2], xy.shape), xy, self.racks)
        return (
            r.tx_power_dbm
            + gain
            + link.tag_gain_dbi
            - link.polarisation_loss_db
            - pl
            - link.rack_loss_db * racks
        )

    def read_probability(self, xy: np.ndarray) -> np.ndarray:
        return self._p_read(self.forward_power_dbm(xy))

    def log_read(self, xy: np.ndarray, rssi_dbm: np.ndarray) -> np.ndarray:
        """(m reads, n positions) ln p(read at that RSSI | tag at the position), RSSI density in 1/dB."""
        return self._log_read(self.forward_power_dbm(xy), rssi_dbm)

    def log_miss(self, xy: np.ndarray) -> np.ndarray:
        """(n,) ln P(no read this round | tag at the position)."""
        return self._log_miss(self.forward_power_dbm(xy))

    def log_ratios(self, xy: np.ndarray, rssi_dbm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Evidence of a round for a tag at each position (n, 2) against the tag being anywhere on the
        floor: (m, n) ln p(read, rᵢ | x) / p(read, rᵢ) for each read, and (n,) ln P(miss | x) / P(miss)."""
        power = self.forward_power_dbm(xy)
        rssi = np.asarray(rssi_dbm, float)
        read = self._log_read(power, rssi) - self.null_log_read(rssi)[:, None]
        return read, self._log_miss(power) - self.null_log_miss

    def range_log_ratio(self, xy: np.ndarray, range_m: float, sigma_m: float) -> np.ndarray:
        """(n,) evidence of a measured slant range (a still tag's phase range) for a tag at each position,
        against a tag anywhere on the floor that this reader reads: ln N(r; d(x), σ²) − ln Σ_c w_c N(r;
        d(c), σ²), w_c ∝ P(read | c)."""
        d = self._slant_m(np.asarray(xy, float).reshape(-1, 2))
        here = -0.5 * ((range_m - d) / sigma_m) ** 2
        w, dc = self._floor_read_weights, self._floor_slant
        null = logsumexp(-0.5 * ((range_m - dc) / sigma_m) ** 2, b=w)
        return here - null

    def _slant_m(self, xy: np.ndarray) -> np.ndarray:
        pos = np.asarray(self.reader.position, float)
        return np.sqrt(np.sum((xy - pos[:2]) ** 2, axis=1) + (pos[2] - self.link.tag_height_m) ** 2)

    @cached_property
    def _floor_slant(self) -> np.ndarray:
        return self._slant_m(self._floor_xy)

    @cached_property
    def _floor_read_weights(self) -> np.ndarray:
        p = self._p_read(self._floor_power)
        return p / p.sum()

    def null_log_read(self, rssi_dbm: np.ndarray) -> np.ndarray:
        """(m,) ln p(read at that RSSI) for a tag anywhere on the floor, uniformly: the floor average,
        tabulated once every `RSSI_STEP_DB` over the RSSI a read can have and interpolated."""
        grid, table = self._null_read_table
        return np.interp(np.asarray(rssi_dbm, float), grid, table)

    @cached_property
    def _null_read_table(self) -> tuple[np.ndarray, np.ndarray]:
        lowest = 2 * self.sensitivity_dbm - self.reader.tx_power_dbm - self.link.modulation_loss_db
        grid = np.arange(lowest - 20.0, lowest + 160.0, RSSI_STEP_DB)
        table = np.concatenate(
            [
                logsumexp(self._log_read(self._floor_power, chunk), axis=1)
                for chunk in np.array_split(grid, 32)
            ]
        )
        return grid, table - math.log(self._floor_power.size)

    @cached_property
    def null_log_miss(self) -> float:
        """ln P(no read) for a tag anywhere on the floor, uniformly."""
        return float(logsumexp(self._log_miss(self._floor_power)) - math.log(self._floor_power.size))

    def _log_read(self, power: np.ndarray, rssi_dbm: np.ndarray) -> np.ndarray:
        link, sigma = self.link, self.link.shadowing_db
        fade = (np.asarray(rssi_dbm, float)[:, None] + self.reader.tx_power_dbm + link.modulation_loss_db) / 2
        z = (fade - power[None, :]) / sigma
        return -0.5 * z * z - math.log(2 * sigma * math.sqrt(2 * math.pi))

    def _p_read(self, power: np.ndarray) -> np.ndarray:
        return np.exp(log_ndtr((power - self.sensitivity_dbm) / self.link.shadowing_db))

    def _log_miss(self, power: np.ndarray) -> np.ndarray:
        return log_ndtr((self.sensitivity_dbm - power) / self.link.shadowing_db)

    @cached_property
    def _floor_xy(self) -> np.ndarray:
        x0, y0, x1, y1 = self.floor
        cell = max(self.cell_m, math.sqrt((x1 - x0) * (y1 - y0) / MAX_NULL_CELLS))
        gx, gy = np.meshgrid(np.arange(x0 + cell / 2, x1, cell), np.arange(y0 + cell / 2, y1, cell))
        return np.column_stack([gx.ravel(), gy.ravel()])

    @cached_property
    def _floor_power(self) -> np.ndarray:
        return self.forward_power_dbm(self._floor_xy)


@dataclass(frozen=True)
class ReadRound:
    """What one inventory round says about the registered tags: those read (with RSSI, in the order of
    the range measurements they came with) and those not read. A round whose reads reached what the
    reader's anti-collision slots can deliver may have left powered tags unread: its non-reads are
    `saturated` and say nothing."""

    model: ReadModel
    rssi_dbm: np.ndarray  # (m,) of the read tags
    unread: tuple[str, ...]
    saturated: bool = False
    range_m: np.ndarray | None = None  # (m,) phase ranges of still tags (NaN: none; `fusion.rfid_phase`)
    range_sigma_m: np.ndarray | None = None
    range_weight: np.ndarray | None = None  # (m,) 1 / reads behind each range (windows overlap)

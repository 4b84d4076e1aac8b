"""RFID front-end: RSSI ranges of registered tags under the estimator's link model (the simulator's own
unless `pipeline.rfid.link` says otherwise), and the reader's zone for RFID-only track starts."""

from __future__ import annotations

import dataclasses

import numpy as np

from fusion.rfid_phase import PhaseRanger
from fusion.rfid_ranging import LinkModel, Reader, RssiRanging
from fusion.rfid_reads import ReadModel, ReadRound
from sim.pipeline.frontends.base import FrontEndContext, FrontEndKind, FrontEndOutput, register
from sim.sensors import rfid as simulated
from sim.sensors.readings import RfidReads


def link_model(spec, settings) -> LinkModel:
    """The simulator's link for this reader's region, with the scenario's estimator overrides."""
    own = LinkModel(
        frequency_hz=simulated.FREQUENCY_HZ[spec.region],
        path_loss_exponent=simulated.PATH_LOSS_EXPONENT,
        shadowing_db=simulated.SHADOWING_DB,
        tag_gain_dbi=simulated.TAG_GAIN_DBI,
        polarisation_loss_db=simulated.POLARISATION_LOSS_DB,
        modulation_loss_db=simulated.MODULATION_LOSS_DB,
        tag_height_m=simulated.TAG_HEIGHT_M,
        half_power_deg=simulated.HALF_POWER_DEG,
        front_to_back_db=simulated.FRONT_TO_BACK_DB,
        rack_loss_db=simulated.RACK_LOSS_DB,
        min_sigma_m=settings.min_range_std_m,
        tag_sensitivity_dbm=simulated.TAG_SENSITIVITY_DBM if settings.selection_aware_ranging else None,
    )
    overrides = {k: v for k, v in settings.link.model_dump().items() if v is not None}
    return dataclasses.replace(own, **overrides)


class RfidFrontEnd:
    def __init__(self, spec, ctx: FrontEndContext):
        reader = Reader(
            np.asarray(spec.position, float),
            np.asarray(spec.boresight, float),
            spec.tx_power_dbm,
            spec.antenna_gain_dbi,
        )
        link = link_model(spec, ctx.settings.rfid)
        self.ranging = RssiRanging(reader, link)
        self.registered = ctx.tag_class
        believed = ctx.settings.rfid.link.tag_sensitivity_dbm
        width, depth = ctx.static.size
        self.model = ReadModel(
            reader,
            link,
            simulated.TAG_SENSITIVITY_DBM if believed is None else believed,
            ctx.racks,
            (0.0, 0.0, width, depth),
        )
        self.full_round = simulated.full_round(max(1, int(spec.max_reads_per_s / spec.rate_hz)))
        rfid = ctx.settings.rfid
        self.phase = (
            PhaseRanger(rfid.phase_window_s, simulated.PHASE_NOISE_RAD, rfid.phase_min_coherence)
            if rfid.phase_ranging
            else None
        )

    def process(self, reads: RfidReads) -> FrontEndOutput:
        """Ranges of the registered tags in one inventory round (pallet tags are not tracked), with the
        round's reads and non-reads of every registered tag under the reader's detection model."""
        keep = [k for k, tag in enumerate(reads.tags) if tag in self.registered]
        read = tuple(reads.tags[k] for k in keep)
        rm = self.ranging.ranges(reads.t, reads.sensor_id, reads.antenna_position, read, reads.rssi_dbm[keep])
        unread = tuple(tag for tag in self.registered if tag not in read)  # a round reads a handful
        round_ = ReadRound(self.model, reads.rssi_dbm[keep], unread, len(reads.tags) >= self.full_round)
        if self.phase is not None:  # a still tag's phase range replaces its RSSI range
            r, sigma, n = self.phase.add(reads.t, read, reads.frequency_hz, reads.phase_rad[keep])
            still = np.isfinite(r)
            rm = dataclasses.replace(
                rm, ranges=np.where(still, r, rm.ranges), sigma=np.where(still, sigma, rm.sigma)
            )
            weight = np.where(n > 0, 1.0 / np.maximum(n, 1), 0.0)
            round_ = dataclasses.replace(round_, range_m=r, range_sigma_m=sigma, range_weight=weight)
        return FrontEndOutput(ranges=dataclasses.replace(rm, reads=round_), zone=self.ranging.zone)


KIND = register(
    FrontEndKind(
        "rfid",
        "rfid",
        RfidReads,
        False,
        "RSSI ranges of tagged actors (EKF), identities",
        RfidFrontEnd,
        identities=True,
    )
)

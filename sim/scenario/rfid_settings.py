"""The RFID front-end's settings: the estimator's link model, RSSI and phase ranging, RFID-only starts."""

from __future__ import annotations

from pydantic import Field

from fusion.rfid_ranging import LinkModel
from sim.scenario.settings_block import SettingsBlock as _Block

_LINK = LinkModel()


class LinkSettings(_Block):
    """What the RFID estimator believes about the radio link; unset values are the simulator's own."""

    path_loss_exponent: float | None = Field(
        default=None, ge=1.0, le=6.0, description="log-distance exponent n"
    )
    shadowing_db: float | None = Field(
        default=None, gt=0, le=30, description="log-normal shadowing σ (sets the range σ)"
    )
    tag_gain_dbi: float | None = Field(default=None, ge=-20, le=15, description="tag antenna gain")
    polarisation_loss_db: float | None = Field(
        default=None, ge=0, le=30, description="one-way polarisation loss"
    )
    modulation_loss_db: float | None = Field(
        default=None, ge=0, le=30, description="backscatter modulation loss"
    )
    tag_height_m: float | None = Field(
        default=None, ge=0, le=10, description="height of a tag above the floor"
    )
    tag_sensitivity_dbm: float | None = Field(
        default=None, ge=-40, le=0, description="forward power a tag needs to answer"
    )


class RfidSettings(_Block):
    """The RFID front-end: RSSI ranging under a link model, RFID-only initiation."""

    selection_aware_ranging: bool = Field(
        default=False,
        description="range by maximum likelihood knowing that only tags powered by a favourable fade "
        "answer (halves the bias of far reads, but bound fewer tags on seeds 11-12); false: invert the "
        "mean link model (biased short for far tags)",
    )
    phase_ranging: bool = Field(
        default=True,
        description="a tag read on two or more hopping channels while it stands still is ranged by its "
        "phase's slope across them (σ ≈ 2 m with the EU's 4 channels, ≈ 0.1 m with the US's 50); the "
        "range replaces the RSSI range and adds identity evidence",
    )
    phase_window_s: float = Field(
        default=3.0, gt=0, le=60, description="phase ranging: each tag's reads over this long are fitted"
    )
    phase_min_coherence: float = Field(
        default=0.98,
        gt=0,
        le=1,
        description="phase ranging: the fit's |mean exp(j residual)| needed (0.98: residuals ≈ 0.2 rad; a "
        "tag that moved a few millimetres fails it — in the EU a 4 cm move shifts the slope's range by 18 m)",
    )
    multilateration_window_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="reads of one tag by different readers this close in time are combined",
    )
    min_range_std_m: float = Field(
        default=_LINK.min_sigma_m, gt=0, le=100, description="floor of a range's σ"
    )
    link: LinkSettings = Field(default_factory=LinkSettings, description="the estimator's link model")

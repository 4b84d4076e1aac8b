"""Settings of the image front-ends (`pipeline.camera`, `pipeline.thermal`): foreground or warm blobs, cut
where one body stands in front of another, placed on the floor by their contact points."""

from __future__ import annotations

from pydantic import Field

from sim.scenario.settings_block import SettingsBlock as _Block


def _px(default: int, description: str):
    return Field(default=default, ge=1, le=10_000, description=description)


class _BlobCut(_Block):
    """Where a blob is cut in two: its floor contact line jumps (one body in front of another)."""

    # 2 m: tuned on seeds 11–16 of default, busy and their placed layouts (1.5 and 2.5 tried; perception.md)
    split_jump_m: float = Field(
        default=2.0,
        ge=0,
        le=20,
        description="a blob is cut where its floor contact line jumps this far along the ground (one body in "
        "front of another); 0: never cut",
    )
    split_min_width_m: float = Field(
        default=0.4,
        ge=0,
        le=10,
        description="a cut leaves pieces at least this wide at the distance of the blob's nearest contact "
        "(close to the camera an overhang spans many columns)",
    )


class CameraSettings(_BlobCut):
    """The camera front-end: background subtraction, foreground blobs, their contact points."""

    min_pixels: int = Field(default=12, ge=1, le=1_000_000, description="smaller blobs are noise at 320×240")
    full_score_pixels: int = Field(default=200, ge=1, le=10_000_000, description="a blob this large scores 1")
    bev_foreground_k: float = Field(
        default=2.0,
        gt=0,
        le=100,
        description="the BEV layer's looser foreground (robust σ; graph cut cleans up)",
    )
    split_min_run_px: int = _px(
        6, "a cut leaves pieces at least this many columns wide (narrower: an overhang, an arm, a mast)"
    )
    split_min_step_px: int = _px(
        5,
        "a cut needs a jump of at least this many image rows (far away a sloping contact line climbs a few "
        "rows a column)",
    )


class ThermalSettings(_BlobCut):
    """The thermal front-end: warm blobs through their contact points (at 160×120, narrower cuts)."""

    full_score_pixels: int = Field(default=50, ge=1, le=10_000_000, description="a blob this large scores 1")
    split_min_run_px: int = _px(3, "a cut leaves pieces at least this many columns wide")
    split_min_step_px: int = _px(3, "a cut needs a jump of at least this many image rows")

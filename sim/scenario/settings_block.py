"""The base of every settings block of a scenario: unknown fields, non-finite numbers and changes after
loading are refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SettingsBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

"""Settings of the warnings service (environment prefix `WARNINGS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WARNINGS_", extra="ignore")

    service_name: str = "warnings"
    consumer_group: str = "warnings"
    consumer_max_records: int = Field(default=500, ge=1, le=10_000)
    events_max_batch: int = Field(default=1000, ge=1, le=10_000)
    sweep_interval_s: float = Field(default=60, ge=0, description="0 disables the timer (W14)")
    due_soon_hours: int = Field(default=24, ge=1, description="'due soon' on the dashboard")

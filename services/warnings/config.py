"""Settings of the warnings service (environment prefix `WARNINGS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WARNINGS_", extra="ignore")

    service_name: str = "warnings"
    consumer_group: str = "warnings"
    # At most this many records per batch (one DB transaction): under a backlog larger batches
    # spread the per-batch cost (bench: 1,000 beat 500 by ~20 % events/s); caught up, batches
    # hold only what arrived meanwhile, so latency does not grow with it.
    consumer_max_records: int = Field(default=1000, ge=1, le=10_000)
    events_max_batch: int = Field(default=1000, ge=1, le=10_000)
    sweep_interval_s: float = Field(default=60, ge=0, description="0 disables the timer (W14)")
    due_soon_hours: int = Field(default=24, ge=1, description="'due soon' on the dashboard")

"""Settings of the scoring service (environment prefix `SCORING_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    service_name: str = "scoring"
    batch_max_items: int = Field(
        default=100_000, ge=1, le=1_000_000, description="Enterprises per POST /v1/ratings/batch."
    )
    batch_max_body_bytes: int = Field(
        default=160 * 1024 * 1024,
        ge=1024,
        description="Body limit of POST /v1/ratings/batch only (others: max_body_bytes).",
    )
    model_cache_size: int = Field(
        default=64, ge=1, description="Compiled model documents kept in memory."
    )
    outbox_poll_s: float = Field(default=0.5, gt=0, description="Outbox relay poll interval.")

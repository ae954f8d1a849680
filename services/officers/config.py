"""Settings of the officers service (environment prefix `OFFICERS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICERS_", extra="ignore")

    service_name: str = "officers"
    consumer_group: str = Field(default="officers", description="loan ledger consumer group")
    consumer_max_records: int = Field(default=500, ge=1, le=10_000)

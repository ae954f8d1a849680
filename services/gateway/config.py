"""Settings of the gateway (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    scoring_url: str = "http://127.0.0.1:8001"
    officers_url: str = "http://127.0.0.1:8002"
    warnings_url: str = "http://127.0.0.1:8003"
    connect_timeout_s: float = Field(default=2.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    bootstrap_admin_key: SecretStr | None = Field(
        default=None,
        description="An API key with the admin role over the whole tree (G2), for first setup.",
    )

    def upstreams(self) -> dict[str, str]:
        """Route prefix -> base URL of the service behind it (G1)."""
        return {
            "scoring": self.scoring_url.rstrip("/"),
            "officers": self.officers_url.rstrip("/"),
            "warnings": self.warnings_url.rstrip("/"),
        }

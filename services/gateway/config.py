"""Settings of the gateway (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from pathlib import Path

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
    # G2: JWTs for people and dashboards; either or both keys may be set (none: no JWTs).
    jwt_hs256_secret: SecretStr | None = Field(
        default=None, min_length=32, description="HS256 shared secret (at least 32 characters)"
    )
    jwt_rs256_public_key: str | None = Field(default=None, description="RS256 public key (PEM)")
    jwt_rs256_public_key_file: Path | None = Field(
        default=None, description="a file holding the RS256 public key (PEM)"
    )
    jwt_issuer: str | None = Field(default=None, description="required `iss` when set")
    jwt_audience: str | None = Field(default=None, description="required `aud` when set")
    jwt_leeway_s: int = Field(default=0, ge=0, le=300, description="clock skew allowed on exp")
    # Verified API keys are kept this long in each replica; a change made through this replica
    # takes effect at once, other replicas see it within the TTL (0 disables the cache).
    credential_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    credential_cache_size: int = Field(default=10_000, ge=1)
    policy_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    readiness_timeout_s: float = Field(default=2.0, gt=0)
    openapi_cache_s: float = Field(default=30.0, ge=0)

    def upstreams(self) -> dict[str, str]:
        """Route prefix -> base URL of the service behind it (G1)."""
        return {
            "scoring": self.scoring_url.rstrip("/"),
            "officers": self.officers_url.rstrip("/"),
            "warnings": self.warnings_url.rstrip("/"),
        }

    def rs256_public_key(self) -> str | None:
        """The RS256 public key PEM, from the setting or the file."""
        if self.jwt_rs256_public_key:
            return self.jwt_rs256_public_key
        if self.jwt_rs256_public_key_file is not None:
            return self.jwt_rs256_public_key_file.read_text()
        return None

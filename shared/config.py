"""Settings shared by every service (pydantic-settings; each service sets its own prefix)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
DEV_INTERNAL_SECRET = "dev-only-internal-secret-change-me"


class BaseServiceSettings(BaseSettings):
    """Database, broker, logging and time zone; subclasses add `env_prefix` and their own."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None, populate_by_name=True)

    service_name: str = "service"
    database_url: str = ""
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="Comma-separated host:port list; empty means embedded mode."
    )
    kafka_client_id: str | None = None
    kafka_topic_prefix: str = Field(
        default="", pattern=r"^[A-Za-z0-9._-]{0,40}$", description="Prepended to every topic name."
    )
    kafka_partitions: int = Field(default=3, ge=1, description="Partitions of topics we create.")
    kafka_replication: int = Field(default=1, ge=1, description="Replication of topics we create.")
    kafka_consume: bool = Field(
        default=True,
        description="With a broker: run this service's Kafka consumer in this process. False "
        "makes an API-only replica (docs/operations.md: the API and the consumer scale apart).",
    )
    kafka_publish_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="W19: wait this long for the broker's ack, then 503"
    )
    log_level: str = "INFO"
    time_zone: str = "Asia/Shanghai"
    max_body_bytes: int = 1_048_576
    # One secret for the gateway and every service (G4), hence one variable name for all.
    internal_secret: SecretStr = Field(
        default=SecretStr(DEV_INTERNAL_SECRET),
        validation_alias="LOANRISK_INTERNAL_SECRET",
        min_length=16,
    )

    @field_validator("kafka_bootstrap_servers", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def kafka_enabled(self) -> bool:
        """True when a broker is configured (full deployment), False in embedded mode."""
        return self.kafka_bootstrap_servers is not None

    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under var/ named after the service."""
        if self.database_url:
            return self.database_url
        VAR_DIR.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{VAR_DIR / (self.service_name + '.db')}"

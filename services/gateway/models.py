"""Tables of the gateway: API credentials (G2-G4) and its policies (G5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import JsonDoc, ServiceBase, UtcDateTime, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class Credential(Base):
    """An API key: only the SHA-256 of the key is stored (G2), with its roles (G3), its
    organisation node (G4) and an optional rate limit of its own (G5)."""

    __tablename__ = "credential"
    # issue 13: the listing is paged in this order
    __table_args__ = (Index("ix_credential_created_page", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JsonDoc)
    org: Mapped[str] = mapped_column(String(140), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    rate_limit: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    key_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(128))
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class GatewayPolicy(Base):
    """A named policy document (the G5 rate limits per role); version 0 means the defaults."""

    __tablename__ = "gateway_policy"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(128))

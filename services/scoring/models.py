"""Tables of the scoring service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, UtcDateTime, new_metadata

JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class ScoringModel(Base):
    """One immutable version of a rating model document (scoring.md "Model lifecycle")."""

    __tablename__ = "scoring_model"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

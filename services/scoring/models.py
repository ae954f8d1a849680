"""Tables of the scoring service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Double,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import JsonDoc, ServiceBase, UtcDateTime, new_metadata
from shared.idempotency import IdempotencyKeyMixin
from shared.outbox import OutboxEventMixin


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class ScoringModel(Base):
    """One immutable version of a rating model document (scoring.md "Model lifecycle").

    The id is derived from the document's content, so posting the same document again finds
    this row; an edited document is a new row with the next version of its name.
    """

    __tablename__ = "scoring_model"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Rating(Base):
    """A stored rating: the inputs and model version it was computed from, and its headline
    figures (S9-S11); the explanation (S12) is recomputed from the inputs bit for bit."""

    __tablename__ = "rating"
    __table_args__ = (
        Index("ix_rating_enterprise_history", "enterprise_id", "created_at", "id"),
        Index("ix_rating_org_history", "org", "created_at", "id"),
        # issue 13: a subtree's page (several orgs) walks this one newest first
        Index("ix_rating_created_page", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    org: Mapped[str] = mapped_column(String(140))
    model_id: Mapped[str] = mapped_column(String(64), ForeignKey("scoring_model.id"), index=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    score: Mapped[float] = mapped_column(Double())
    grade: Mapped[str] = mapped_column(String(64))
    grade_by_max_membership: Mapped[str] = mapped_column(String(64))
    risk_level: Mapped[str] = mapped_column(String(64))
    vetoed: Mapped[bool | None] = mapped_column(Boolean(), nullable=True)
    membership: Mapped[list[float]] = mapped_column(JsonDoc)
    rated_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdempotencyKey(IdempotencyKeyMixin, Base):
    """First responses of writes sent with an Idempotency-Key header."""


class OutboxEvent(OutboxEventMixin, Base):
    """rating.completed events waiting for the relay (Kafka mode only)."""

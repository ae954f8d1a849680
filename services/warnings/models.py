"""Tables of the warnings service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import ServiceBase, UtcDateTime, new_metadata
from shared.inbox import ProcessedEventMixin

JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class ProcessedEvent(ProcessedEventMixin, Base):
    """Event ids this service's consumer group has applied (W18)."""


class EventRecord(Base):
    """Every loan, repayment and risk event the service has applied, as received (W17)."""

    __tablename__ = "event_record"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    loan_id: Mapped[str | None] = mapped_column(String(64), index=True)
    borrower_id: Mapped[str | None] = mapped_column(String(64), index=True)
    org: Mapped[str] = mapped_column(String(140), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)

"""Request and response models of the warnings service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class EventsAccepted(BaseModel):
    """Answer to `POST /v1/events` (W19)."""

    mode: Literal["kafka", "embedded"]
    accepted: int
    event_ids: list[str]


class EventRecordRead(BaseModel):
    event_id: str
    type: str
    loan_id: str | None
    borrower_id: str | None
    org: str
    occurred_at: datetime
    received_at: datetime
    payload: dict[str, Any]

"""Queries of the warnings service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings.models import EventRecord
from shared.events import Event, as_dict


async def add_event_records(session: AsyncSession, events: Sequence[Event]) -> None:
    """Insert one row per event (the caller has already dropped duplicates)."""
    if not events:
        return
    rows = [
        {
            "event_id": e.event_id,
            "type": e.type,
            "loan_id": e.loan_id,
            "borrower_id": e.borrower_id,
            "org": e.org,
            "occurred_at": e.occurred_at,
            "payload": as_dict(e),
        }
        for e in events
    ]
    await session.execute(insert(EventRecord), rows)


async def get_event_record(session: AsyncSession, event_id: str) -> EventRecord | None:
    return await session.get(EventRecord, event_id)


async def count_event_records(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(EventRecord)) or 0)

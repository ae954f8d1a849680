"""Load -> decide -> persist for the warnings service (the rules come in their own module)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import store
from services.warnings.models import ProcessedEvent
from shared.events import Event
from shared.inbox import apply_once
from shared.transport import Handler

PROCESSED_TABLE: Table = ProcessedEvent.__table__  # type: ignore[assignment]


async def handle_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Apply events that are new to this consumer group (the caller has deduplicated them)."""
    await store.add_event_records(session, events)


def ingest_handler(consumer_group: str) -> Handler:
    """Embedded mode: dedupe on event_id, then apply, in the caller's transaction (W18, W19)."""

    async def ingest(session: AsyncSession, events: Sequence[Event]) -> None:
        await apply_once(session, PROCESSED_TABLE, consumer_group, events, handle_events)

    return ingest

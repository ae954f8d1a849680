"""Event transport: Kafka (full deployment) or embedded (no broker, same transaction).

Both implement `EventSink.submit(session, events)`. Kafka publishes with an idempotent producer
(acks from all in-sync replicas) and returns once the broker has the events; embedded mode calls
the service's own handler at once inside the caller's database transaction, so the same rules
run in both modes (STYLE.md "Kafka").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import Event, to_json, topic_for

log = logging.getLogger("shared.transport")

Handler = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]


class EventSink(Protocol):
    """Where a service sends events it accepts or produces."""

    async def submit(self, session: AsyncSession, events: Sequence[Event]) -> None: ...

    async def ready(self) -> bool: ...


class EmbeddedSink:
    """No broker: hand the events to the handler in the caller's transaction."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler

    async def submit(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Apply the events now (or drop them when nobody in this service consumes them)."""
        if self.handler is not None:
            await self.handler(session, events)

    async def ready(self) -> bool:
        return True


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """Idempotent producer, acks from all in-sync replicas (W19)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15000,
    )


class KafkaSink:
    """Publish to Kafka, keyed by loan (or borrower) id so a loan's events stay in order."""

    def __init__(self, producer: AIOKafkaProducer, topic_prefix: str = "") -> None:
        self.producer = producer
        self.topic_prefix = topic_prefix

    async def submit(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Send every event and wait until the broker acknowledged all of them."""
        del session  # the broker, not the caller's transaction, makes these durable
        futures = [
            await self.producer.send(
                self.topic_prefix + topic_for(e).value, to_json(e), key=e.key.encode()
            )
            for e in events
        ]
        await asyncio.gather(*futures)

    async def ready(self) -> bool:
        try:
            return bool(
                await asyncio.wait_for(self.producer.client.force_metadata_update(), timeout=3)
            )
        except Exception as exc:  # any failure means "not ready"; readiness never raises
            log.info("kafka not ready: %s", exc)
            return False

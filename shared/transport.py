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
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unavailable
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


def make_producer(
    bootstrap: str, client_id: str, *, max_request_size: int = 1_048_576
) -> AIOKafkaProducer:
    """Idempotent producer, acks from all in-sync replicas (W19)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15000,
        max_request_size=max_request_size,
    )


def _retrieve(future: asyncio.Future[object]) -> None:
    """Consume a late delivery failure nobody awaits any more (no "never retrieved" noise)."""
    if not future.cancelled():
        future.exception()


class KafkaSink:
    """Publish to Kafka, keyed by loan (or borrower) id so a loan's events stay in order."""

    def __init__(
        self, producer: AIOKafkaProducer, topic_prefix: str = "", *, timeout_s: float = 10.0
    ) -> None:
        self.producer = producer
        self.topic_prefix = topic_prefix
        self.timeout_s = timeout_s

    async def submit(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Send every event and wait until the broker acknowledged all of them (W19); a broker
        that is down or does not acknowledge within `timeout_s` is a 503 (Unavailable): the
        producer retries with the same event ids, which the consumers apply once (W18)."""
        del session  # the broker, not the caller's transaction, makes these durable
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        futures: list[asyncio.Future[object]] = []
        try:
            async with asyncio.timeout_at(deadline):
                for e in events:
                    topic = self.topic_prefix + topic_for(e).value
                    futures.append(await self.producer.send(topic, to_json(e), key=e.key.encode()))
        except (TimeoutError, KafkaError) as exc:
            raise self._unavailable(futures, exc) from None
        if futures:
            _, pending = await asyncio.wait(futures, timeout=max(deadline - loop.time(), 0))
            if pending:
                raise self._unavailable(futures, TimeoutError("no acknowledgement"))
        for future in futures:
            if future.exception() is not None:
                raise self._unavailable(futures, future.exception())

    def _unavailable(
        self, futures: list[asyncio.Future[object]], exc: BaseException | None
    ) -> Unavailable:
        for future in futures:
            future.add_done_callback(_retrieve)
        log.warning("publishing to kafka failed: %r", exc)
        return Unavailable(
            f"W19: the event broker did not acknowledge the events within {self.timeout_s:g} s "
            f"({type(exc).__name__}); nothing may be assumed published: retry with the same "
            "event ids (a repeat is applied once)",
            headers={"Retry-After": "5"},
        )

    async def ready(self) -> bool:
        try:
            return bool(
                await asyncio.wait_for(self.producer.client.force_metadata_update(), timeout=3)
            )
        except Exception as exc:  # any failure means "not ready"; readiness never raises
            log.info("kafka not ready: %s", exc)
            return False

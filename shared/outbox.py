"""Transactional outbox: events are written with the data they describe, then relayed to Kafka.

Reusable by any service:

1. Mix the table into the service's Base and add it to a migration::

       class OutboxEvent(OutboxEventMixin, Base):
           pass

2. Start the relay with the app: `ServiceSpec(extra_lifespan=outbox_lifespan(
   OutboxEvent.__table__, topics=[...]))`. It puts an `Outbox` on `app.state.outbox`.
3. In the request's transaction: `await app.state.outbox.add(session, events)`.

Kafka mode: `add` inserts one row per event (topic, key, JSON bytes) in the caller's
transaction, so an event exists if and only if its data committed. The relay task reads unsent
rows in id order, publishes them with the app's producer (idempotent, acks=all), waits for the
broker's acknowledgements and marks them sent, in one database transaction per chunk. A crash
between the acknowledgement and the mark re-sends that chunk: delivery is at least once, and
consumers dedupe on `event_id` (shared/inbox.py). On PostgreSQL an advisory lock lets one
replica relay at a time, which keeps the order; rows of transactions that commit out of id
order can still interleave, so consumers must not rely on an order across keys. While the
broker is down (or refuses a message) the relay logs, backs off up to 10 s and retries the
same chunk; nothing is lost or skipped. Sent rows stay for audit until `purge_sent`.

Embedded mode (no broker): nothing is written. `add` hands the events to the app's
EmbeddedSink in the same transaction, exactly like `EventSink.submit`: the service's own
handler applies them at once, or they are dropped when no handler in this service consumes
them (there is no broker to deliver them to anybody else). `wanted` tells a caller whether
building the events is worth it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import (
    BigInteger,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shared.app import ExtraLifespan
from shared.db import UtcDateTime
from shared.events import Event, to_json, topic_for
from shared.kafka_admin import ensure_topics
from shared.transport import EmbeddedSink, EventSink

log = logging.getLogger("shared.outbox")


class OutboxEventMixin:
    """Mix into a service's Base: one row per event to publish; `sent_at` is set once acked."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(128))
    key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)


class Outbox:
    """Where a service's transactions put the events they produce (see the module doc)."""

    def __init__(
        self, table: Table, sink: EventSink, *, kafka: bool, topic_prefix: str = ""
    ) -> None:
        self.table = table
        self.sink = sink
        self.kafka = kafka
        self.topic_prefix = topic_prefix
        self.relay: OutboxRelay | None = None

    @property
    def wanted(self) -> bool:
        """False when the events would be dropped (embedded mode and no handler)."""
        return self.kafka or not (isinstance(self.sink, EmbeddedSink) and self.sink.handler is None)

    async def add(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Record the events in the caller's transaction (Kafka), or apply them now (embedded)."""
        if not events:
            return
        if not self.kafka:
            await self.sink.submit(session, events)
            return
        rows = [
            {"topic": self.topic_prefix + topic_for(e).value, "key": e.key, "payload": to_json(e)}
            for e in events
        ]
        await session.execute(insert(self.table), rows)
        relay = self.relay
        if relay is not None:  # publish right after the commit instead of at the next poll
            event.listen(session.sync_session, "after_commit", lambda _s: relay.wake(), once=True)


class OutboxRelay:
    """Publishes unsent outbox rows in id order and marks them sent (one task per app)."""

    def __init__(
        self,
        table: Table,
        sessionmaker: async_sessionmaker[AsyncSession],
        producer: Any,
        *,
        chunk: int = 500,
        poll_s: float = 0.5,
        metrics: Any = None,
    ) -> None:
        self.table = table
        self.sessionmaker = sessionmaker
        self.producer = producer
        self.chunk = chunk
        self.poll_s = poll_s
        self.metrics = metrics
        self._lock_key = zlib.crc32(f"outbox:{table.name}".encode())
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Relay now rather than at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.table.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def relay_once(self) -> int:
        """Publish one chunk of unsent rows and mark them sent; returns how many."""
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                locked = await session.scalar(
                    select(func.pg_try_advisory_xact_lock(self._lock_key))
                )
                if not locked:
                    return 0  # another replica is relaying
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.payload)
                    .where(t.c.sent_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.chunk)
                )
            ).all()
            if not rows:
                return 0
            futures = [
                await self.producer.send(
                    r.topic, bytes(r.payload), key=None if r.key is None else r.key.encode()
                )
                for r in rows
            ]
            await asyncio.gather(*futures)
            ids = [r.id for r in rows]
            await session.execute(
                update(t).where(t.c.id.in_(ids)).values(sent_at=datetime.now(UTC))
            )
        if self.metrics is not None:
            self.metrics.events.labels("outbox", "published").inc(len(rows))
        return len(rows)

    async def _run(self) -> None:
        backoff = self.poll_s
        while True:
            try:
                sent = await self.relay_once()
                backoff = self.poll_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database down: keep the rows, retry later
                log.warning("outbox relay failed, retrying in %.1fs: %s", backoff, exc)
                sent = 0
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if sent >= self.chunk:
                continue  # a backlog: go on at once
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_s)


def outbox_lifespan(
    table: Table,
    *,
    topics: Sequence[str] = (),
    chunk: int = 500,
    poll_s: float = 0.5,
    embedded_delivery: bool = True,
) -> ExtraLifespan:
    """An `extra_lifespan` that sets `app.state.outbox` and, with a broker, runs the relay
    (after creating `topics` if they do not exist). `embedded_delivery=False` drops the events
    in embedded mode instead of handing them to the app's own sink (for a service whose sink
    consumes other events than the ones it publishes)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        bootstrap: str | None = settings.kafka_bootstrap_servers
        prefix: str = settings.kafka_topic_prefix
        sink = app.state.sink if embedded_delivery else EmbeddedSink(None)
        outbox = Outbox(table, sink, kafka=bool(bootstrap), topic_prefix=prefix)
        app.state.outbox = outbox
        if not bootstrap:
            yield
            return
        if topics:
            await ensure_topics(
                bootstrap,
                [prefix + t for t in topics],
                partitions=settings.kafka_partitions,
                replication=settings.kafka_replication,
            )
        relay = OutboxRelay(
            table,
            app.state.sessionmaker,
            app.state.producer,
            chunk=chunk,
            poll_s=poll_s,
            metrics=app.state.metrics,
        )
        outbox.relay = relay
        await relay.start()
        try:
            yield
        finally:
            outbox.relay = None
            await relay.stop()

    return lifespan


async def purge_sent(session: AsyncSession, table: Table, before: datetime) -> int:
    """Delete rows sent before `before` (a housekeeping job decides the retention)."""
    result = await session.execute(
        delete(table).where(table.c.sent_at.is_not(None), table.c.sent_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def relay_running(app: FastAPI) -> str | None:
    """Readiness check: with a broker, the relay task is alive."""
    outbox: Outbox | None = getattr(app.state, "outbox", None)
    if outbox is not None and outbox.kafka and (outbox.relay is None or not outbox.relay.running):
        return "outbox relay not running"
    return None

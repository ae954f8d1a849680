"""A batch Kafka consumer with exactly-once effect (W18), shared by the consuming services.

Each `getmany` batch is applied in ONE database transaction: parse every message (a message that
cannot be parsed goes to the dead-letter topic with the reason and its original bytes), drop the
events this consumer group already applied (the processed-event table, same transaction), hand
the rest to the service's handler, commit, and only then commit the Kafka offsets. A crash
anywhere before the offset commit means redelivery, which the processed-event table absorbs.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.errors import ConcurrentChange, database_unavailable
from shared.events import IncomingEvent, parse_event
from shared.inbox import apply_once
from shared.kafka_admin import ensure_topics
from shared.observability import Metrics
from shared.transport import make_producer

log = logging.getLogger("shared.consumer")

BatchHandler = Callable[[AsyncSession, Sequence[IncomingEvent]], Awaitable[None]]

# A source topic holds records up to the broker default (~1 MiB); its dead letter carries the
# same bytes plus headers, so the DLQ topic and its producer allow more (W18: original bytes).
DLQ_MAX_BYTES = 4 * 1_048_576
_SIZE_ERRORS = (MessageSizeTooLargeError, RecordTooLargeError)
# SQLSTATE classes that are the statement's own fault (cardinality, data, integrity, syntax or
# access, check option, raised by a trigger): running it again cannot help.
_BATCH_FAULT_SQLSTATES = ("21", "22", "23", "42", "44", "P0")
_BATCH_FAULTS = (IntegrityError, DataError, ProgrammingError, NotSupportedError)
# The garbage collector's generation thresholds while a consumer runs (see `start`).
GC_THRESHOLD = (50_000, 20, 100)


def transient(exc: BaseException) -> bool:
    """W18: a failure of the database or the broker (retry the same step: nothing was
    committed), as opposed to one of the batch itself (apply one by one, dead-letter what still
    fails). An unknown database error counts as transient: retrying never loses an event."""
    if isinstance(exc, KafkaError):
        return not isinstance(exc, _SIZE_ERRORS)
    if isinstance(exc, ConcurrentChange):
        return True  # another replica's batch changed what this one read: run it again
    if database_unavailable(exc):
        return True
    if isinstance(exc, DBAPIError):
        if isinstance(exc, _BATCH_FAULTS):
            return False
        state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
        return not state.startswith(_BATCH_FAULT_SQLSTATES)
    return False


@dataclass(frozen=True)
class ConsumerConfig:
    bootstrap: str
    group_id: str
    topics: tuple[str, ...]
    dlq_topic: str
    max_records: int = 500
    retry_backoff_s: float = 1.0
    # How long the broker may hold a fetch that finds no new records. aiokafka keeps one fetch
    # in flight per broker: a fetch of only idle partitions (the other topics) held for the
    # default 500 ms keeps the busy partitions from being fetched again until it returns.
    fetch_max_wait_ms: int = 50
    # Issue 14, rebalances. A batch (up to max_records, one transaction) took 0.7-2.2 s in the
    # worst bench runs under load: the 5 minutes between polls leave > 100x headroom, so a slow
    # batch never gets its member dropped; a database outage longer than that does (the batch
    # is retried meanwhile), which the processed-event claim makes safe: the partitions move,
    # the new owner re-reads from the committed offset and skips what was applied. Heartbeats
    # run on their own task, so batches do not delay them; a killed replica's partitions move
    # after the session timeout.
    max_poll_interval_ms: int = 300_000
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000


@dataclass(frozen=True)
class Rejected:
    record: ConsumerRecord[bytes, bytes]
    reason: str


@dataclass
class Batch:
    """One `getmany` result: the records by partition, parsed or rejected."""

    records: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    parsed: list[tuple[ConsumerRecord[bytes, bytes], IncomingEvent]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.parsed) + len(self.rejected)


class BatchConsumer:
    """Runs `getmany` -> one DB transaction -> offset commit, until stopped."""

    def __init__(
        self,
        config: ConsumerConfig,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        processed_table: Table,
        handler: BatchHandler,
        producer: AIOKafkaProducer,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.sessionmaker = sessionmaker
        self.processed_table = processed_table
        self.handler = handler
        self.producer = producer
        self.metrics = metrics
        self.consumer = AIOKafkaConsumer(
            *config.topics,
            bootstrap_servers=config.bootstrap,
            group_id=config.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            max_poll_interval_ms=config.max_poll_interval_ms,
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            # Ranges, not round robin: partition i of every topic goes to one member, so a
            # loan's loan and repayment events (both keyed by loan id, topics of the same
            # partition count) are applied by one replica and never wait on each other's locks.
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        self._task: asyncio.Task[None] | None = None
        self._gc_threshold = gc.get_threshold()

    async def start(self) -> None:
        """Join the group and start consuming in the background."""
        await self.consumer.start()
        # What exists by now (modules, mappers, schemas, caches, the app) lives as long as the
        # process. Frozen, the cyclic garbage collector stops rescanning it in every full
        # collection, which a few batches trigger: pauses of ~200 ms each, otherwise the p99
        # of produce-to-warning (bench/warnings.py). `stop` unfreezes.
        gc.collect()
        gc.freeze()
        # A batch allocates a few objects per event and record (hundreds of thousands a
        # batch), nearly all gone when it commits: at the default threshold (700) the young
        # generation is collected every few events and the batch's live objects are scanned
        # again and again (a fifth of the applier's CPU, bench/warnings.py). A larger young
        # generation collects the same garbage in far fewer passes; memory stays bounded.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.config.group_id}")
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A consumer that stops by itself says why (readiness reports it as not running)."""
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("consumer %s stopped: %r", self.config.group_id, exc, exc_info=exc)

    async def stop(self) -> None:
        """Stop after the batch in hand; uncommitted work is simply redelivered later."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.consumer.stop()
        gc.set_threshold(*self._gc_threshold)
        gc.unfreeze()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        committing: asyncio.Task[None] | None = None
        reading: asyncio.Task[Batch] | None = None
        try:
            while True:
                batch = await (reading or self._read())
                reading = None
                if batch.size >= self.config.max_records:
                    # A backlog: read and parse the next batch while this one is applied (pure
                    # CPU, done while the database answers this one's statements). Caught up,
                    # the next read waits until this batch is done, to take all that arrived
                    # meanwhile (read early, it would hold only the first of them).
                    reading = asyncio.create_task(self._read())
                if committing is not None and committing.done():
                    finished = committing
                    committing = None
                    finished.result()  # only a non-transient commit failure stops the consumer
                if batch.size:
                    await self._process(batch)
                    # The offsets go to the broker after the database commit, in the
                    # background (as aiokafka suggests): the next batch need not wait for
                    # that round trip; the next offset commit does, so they stay in order.
                    if committing is not None:
                        await committing
                    committing = asyncio.create_task(self._commit_offsets(batch.records))
        finally:
            # A batch read ahead and not applied is simply read again by whoever owns its
            # partitions next: its offsets were not committed.
            if reading is not None:
                reading.cancel()
                await asyncio.wait([reading], timeout=5)
                if reading.done() and not reading.cancelled():
                    reading.exception()  # retrieved: the consumer is stopping anyway
            if committing is not None and not committing.done():
                await asyncio.wait([committing], timeout=5)

    async def _read(self) -> Batch:
        """`getmany`, then parse every record (the ones that cannot be parsed are rejected)."""
        while True:
            try:
                records = await self.consumer.getmany(
                    timeout_ms=500, max_records=self.config.max_records
                )
                break
            except KafkaError as exc:
                if not transient(exc):
                    raise
                log.warning("broker unavailable, reading again: %r", exc)  # W18: resume
                await asyncio.sleep(self.config.retry_backoff_s)
        batch = Batch(records)
        for record in (r for part in records.values() for r in part):
            try:
                batch.parsed.append((record, parse_event(record.value or b"")))
            except ValidationError as exc:
                batch.rejected.append(Rejected(record, _reason(exc)))
        return batch

    async def _process(self, batch: Batch) -> None:
        parsed, rejected = batch.parsed, batch.rejected
        # Dead letters first: once the offsets are committed the original bytes must be safe.
        await self._retrying(lambda: self._dead_letter(rejected))
        self._count("dead_lettered", len(rejected))
        try:
            await self._retrying(lambda: self._apply([event for _, event in parsed]))
        except Exception:
            # A valid event the handler cannot apply (a bug or a rule it breaks) must not block
            # the stream: apply one by one and dead-letter only the ones that fail.
            log.exception("batch failed; applying its %d events one by one", len(parsed))
            for record, event in parsed:
                await self._apply_alone(record, event)

    async def _apply_alone(
        self, record: ConsumerRecord[bytes, bytes], event: IncomingEvent
    ) -> None:
        try:
            await self._retrying(lambda: self._apply([event]))
        except Exception as exc:
            reason = f"W18: handler failed: {exc!r}"[:1000]
            await self._retrying(lambda: self._dead_letter([Rejected(record, reason)]))
            self._count("dead_lettered", 1)

    async def _retrying(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run a step until it succeeds, as long as it fails for infrastructure reasons."""
        while True:
            try:
                await step()
                return
            except Exception as exc:
                if not transient(exc):
                    raise  # the batch's own fault: the caller applies it one by one
                # Database or broker trouble: nothing was committed; try the same step again.
                log.warning("database or broker unavailable, retrying: %r", exc)
                await asyncio.sleep(self.config.retry_backoff_s)

    async def _apply(self, events: Sequence[IncomingEvent]) -> None:
        async with self.sessionmaker() as session, session.begin():
            todo = await apply_once(
                session, self.processed_table, self.config.group_id, events, self.handler
            )
        self._count("applied", len(todo))
        self._count("duplicate", len(events) - len(todo))

    async def _dead_letter(self, rejected: list[Rejected]) -> None:
        futures = []
        for item in rejected:
            futures.append(await self._send_dead_letter(item))
        for item, future in zip(rejected, futures, strict=True):
            try:
                await future
            except _SIZE_ERRORS:
                # The broker refused the size (a DLQ topic created with a smaller limit): keep
                # the stream going with as much of the original as fits, never loop forever.
                await (await self._send_dead_letter(item, truncate=True))

    async def _send_dead_letter(
        self, item: Rejected, *, truncate: bool = False
    ) -> asyncio.Future[object]:
        rec = item.record
        value = rec.value or b""
        headers = [
            ("reason", item.reason.encode()),
            ("source_topic", rec.topic.encode()),
            ("source_partition", str(rec.partition).encode()),
            ("source_offset", str(rec.offset).encode()),
        ]
        if truncate:
            headers.append(("truncated_from", str(len(value)).encode()))
            value = value[: 512 * 1024]
        try:
            future: asyncio.Future[object] = await self.producer.send(
                self.config.dlq_topic, value, key=rec.key, headers=headers
            )
        except _SIZE_ERRORS:
            if truncate:
                raise
            return await self._send_dead_letter(item, truncate=True)
        return future

    async def _commit_offsets(
        self, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items() if recs}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced and these partitions moved: the new owner re-reads them and
            # the processed-event table drops what we already applied. Not worth a crash loop.
            log.warning("offset commit skipped after rebalance: %s", exc)
        except KafkaError as exc:
            if not transient(exc):
                raise
            # The broker or the group coordinator is away: the next batch's commit covers these
            # offsets, and whatever is read again meanwhile the processed-event table drops.
            # Stopping here would leave the consumer dead once the broker is back (W18).
            log.warning("offset commit left to the next batch: %r", exc)

    def _count(self, outcome: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.events.labels("kafka", outcome).inc(n)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[:3]
    text = "; ".join(
        "/".join(str(p) for p in err.get("loc", ())) + ": " + str(err.get("msg")) for err in first
    )
    return f"W18: invalid event ({exc.error_count()} errors): {text}"[:1000]


def consumer_lifespan(
    *,
    consumed: Sequence[str],
    dlq_topic: str,
    processed_table: Table,
    handler: Callable[[FastAPI], BatchHandler],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """An `extra_lifespan` that, with a broker configured, creates the topics and runs a
    BatchConsumer (group `settings.consumer_group`) for as long as the app runs; the service
    settings carry `consumer_group` and `consumer_max_records`. `handler(app)` builds the
    batch handler once the app's state exists."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        bootstrap: str | None = settings.kafka_bootstrap_servers
        if not bootstrap or not settings.kafka_consume:  # embedded, or an API-only replica
            app.state.consumer = None
            yield
            return
        prefix: str = settings.kafka_topic_prefix
        await ensure_topics(
            bootstrap,
            [prefix + t for t in (*consumed, dlq_topic)],
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
            configs={prefix + dlq_topic: {"max.message.bytes": str(DLQ_MAX_BYTES + 65536)}},
        )
        # Dead letters get a producer of their own that allows records larger than any source
        # record (the original bytes plus the reason headers).
        dlq_producer = make_producer(
            bootstrap,
            f"{settings.kafka_client_id or settings.service_name}-dlq",
            max_request_size=DLQ_MAX_BYTES,
        )
        await dlq_producer.start()
        consumer = BatchConsumer(
            ConsumerConfig(
                bootstrap=bootstrap,
                group_id=settings.consumer_group,
                topics=tuple(prefix + t for t in consumed),
                dlq_topic=prefix + dlq_topic,
                max_records=settings.consumer_max_records,
            ),
            sessionmaker=app.state.sessionmaker,
            processed_table=processed_table,
            handler=handler(app),
            producer=dlq_producer,
            metrics=app.state.metrics,
        )
        try:
            await consumer.start()
            app.state.consumer = consumer
            yield
        finally:
            await consumer.stop()
            await dlq_producer.stop()

    return lifespan


async def consumer_running(app: FastAPI) -> str | None:
    """Readiness: with a broker configured (and this process consuming), the consumer task is
    alive."""
    consumer: BatchConsumer | None = getattr(app.state, "consumer", None)
    settings = app.state.settings
    wanted = settings.kafka_bootstrap_servers and settings.kafka_consume
    if wanted and (consumer is None or not consumer.running):
        return "consumer not running"
    return None

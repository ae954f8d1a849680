"""Kafka adapter of the loan ledger: consumer group `officers` on the loan and repayment
topics (O17, O22), exactly like the warnings consumer (W18 exactly-once effect)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.officers.config import Settings
from services.officers.ledger_service import PROCESSED_TABLE, event_handler
from shared.consumer import BatchConsumer, ConsumerConfig
from shared.events import Topic
from shared.kafka_admin import ensure_topics

CONSUMED = (Topic.LOAN.value, Topic.REPAYMENT.value)
DLQ = "officers-dlq"
CREATED = (*CONSUMED, DLQ)


@asynccontextmanager
async def run_consumer(app: FastAPI) -> AsyncIterator[None]:
    """With a broker configured, feed the ledger from the event topics while the app runs."""
    settings: Settings = app.state.settings
    if not settings.kafka_bootstrap_servers:
        app.state.consumer = None
        yield
        return
    prefix = settings.kafka_topic_prefix
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        [prefix + t for t in CREATED],
        partitions=settings.kafka_partitions,
        replication=settings.kafka_replication,
    )
    consumer = BatchConsumer(
        ConsumerConfig(
            bootstrap=settings.kafka_bootstrap_servers,
            group_id=settings.consumer_group,
            topics=tuple(prefix + t for t in CONSUMED),
            dlq_topic=prefix + DLQ,
            max_records=settings.consumer_max_records,
        ),
        sessionmaker=app.state.sessionmaker,
        processed_table=PROCESSED_TABLE,
        handler=event_handler(settings.time_zone),
        producer=app.state.producer,
        metrics=app.state.metrics,
    )
    await consumer.start()
    app.state.consumer = consumer
    try:
        yield
    finally:
        await consumer.stop()


async def consumer_running(app: FastAPI) -> str | None:
    """Readiness: the ledger consumer task is alive (when Kafka is configured)."""
    consumer: BatchConsumer | None = getattr(app.state, "consumer", None)
    if app.state.settings.kafka_bootstrap_servers and (consumer is None or not consumer.running):
        return "ledger consumer not running"
    return None

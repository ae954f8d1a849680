"""Kafka adapter of the warnings service: consumer group `warnings` (W16, W18)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.warnings.config import Settings
from services.warnings.service import PROCESSED_TABLE, event_handler
from shared.consumer import BatchConsumer, ConsumerConfig
from shared.events import Topic
from shared.kafka_admin import ensure_topics

CONSUMED = (Topic.LOAN.value, Topic.REPAYMENT.value, Topic.RISK.value)
CREATED = (*CONSUMED, Topic.WARNING.value, Topic.WARNINGS_DLQ.value)


@asynccontextmanager
async def run_consumer(app: FastAPI) -> AsyncIterator[None]:
    """With a broker configured, consume the event topics for as long as the app runs."""
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
            dlq_topic=prefix + Topic.WARNINGS_DLQ.value,
            max_records=settings.consumer_max_records,
        ),
        sessionmaker=app.state.sessionmaker,
        processed_table=PROCESSED_TABLE,
        handler=event_handler(app.state.tz, app.state.clock, app.state.outbox),
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
    """Readiness: the consumer task is alive (when Kafka is configured)."""
    consumer: BatchConsumer | None = getattr(app.state, "consumer", None)
    if app.state.settings.kafka_bootstrap_servers and (consumer is None or not consumer.running):
        return "consumer not running"
    return None

"""Kafka adapter of the warnings service: consumer group `warnings` (W16, W18)."""

from __future__ import annotations

from fastapi import FastAPI

from services.warnings.service import PROCESSED_TABLE, event_handler
from shared.consumer import BatchHandler, consumer_lifespan
from shared.events import Topic


def _handler(app: FastAPI) -> BatchHandler:
    return event_handler(app.state.tz, app.state.clock, app.state.outbox)


run_consumer = consumer_lifespan(
    consumed=(Topic.LOAN.value, Topic.REPAYMENT.value, Topic.RISK.value),
    dlq_topic=Topic.WARNINGS_DLQ.value,
    processed_table=PROCESSED_TABLE,
    handler=_handler,
)

"""Kafka adapter of the loan ledger: consumer group `officers` on the loan and repayment
topics (O17, O22), exactly like the warnings consumer (W18 exactly-once effect)."""

from __future__ import annotations

from fastapi import FastAPI

from services.officers.ledger.service import PROCESSED_TABLE, event_handler
from services.officers.lending import service as lending_service
from shared.consumer import BatchHandler, consumer_lifespan
from shared.events import Topic


def _handler(app: FastAPI) -> BatchHandler:
    return event_handler(app.state.settings.time_zone, on_disbursed=lending_service.flag_event_loan)


run_consumer = consumer_lifespan(
    consumed=(Topic.LOAN.value, Topic.REPAYMENT.value),
    dlq_topic="officers-dlq",
    processed_table=PROCESSED_TABLE,
    handler=_handler,
)

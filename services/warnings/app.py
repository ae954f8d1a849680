"""The warnings service: loan-risk early warnings from loan and repayment events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.warnings import api_events, api_ops, api_warnings, sweeps, tiles_store
from services.warnings.config import Settings
from services.warnings.consumer import run_consumer
from services.warnings.models import OutboxEvent
from services.warnings.service import ingest_handler
from services.warnings.store import table
from shared.app import ServiceSpec, build_app
from shared.clock import Clock
from shared.consumer import consumer_running
from shared.events import Topic
from shared.outbox import outbox_lifespan

# W16: warning changes go out on `warning-events` through the outbox (with a broker; in the
# embedded mode nobody else could receive them, so they are not kept).
log = logging.getLogger("warnings.app")

publish_warnings = outbox_lifespan(
    table(OutboxEvent), topics=[Topic.WARNING.value], embedded_delivery=False
)


@asynccontextmanager
async def tiles_clock(app: FastAPI) -> AsyncIterator[None]:
    """Issue 13: the kept dashboard tiles are counted at now, with the settings' 'due soon'
    window (a new window rebuilds them), before the service answers."""
    soon = timedelta(hours=app.state.settings.due_soon_hours)
    try:
        async with app.state.sessionmaker() as session, session.begin():
            await tiles_store.align(session, app.state.clock.now(), soon)
    except (OSError, SQLAlchemyError):  # reads stay exact from an older clock; the sweep moves it
        log.warning("tiles clock not moved at start-up: database unavailable", exc_info=True)
    yield


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """The tiles' clock, the Kafka consumer (with a broker) and the periodic sweep (W14)."""
    async with (
        tiles_clock(app),
        publish_warnings(app),
        run_consumer(app),
        sweeps.run_periodically(app),
    ):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the warnings app; tests pass their own settings."""
    settings = settings or Settings()
    clock = Clock()
    tz = ZoneInfo(settings.time_zone)
    app = build_app(
        settings,
        ServiceSpec(
            name="warnings",
            title="Warnings service",
            description="Yellow / orange / red loan-risk warnings with reporting deadlines.",
            routers=[api_events.router, api_warnings.router, api_ops.router],
            embedded_handler=ingest_handler(settings.consumer_group, tz, clock),
            extra_lifespan=background,
            readiness_checks=(consumer_running,),
        ),
    )
    app.state.clock = clock
    app.state.tz = tz
    return app


app = create_app()

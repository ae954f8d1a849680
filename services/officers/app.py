"""The officers service: certification, grading, pay and loan liability of loan officers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.officers import (
    api_collection,
    api_exit,
    api_funds,
    api_ledger,
    api_lending,
    api_liability,
    api_liability_ranking,
    api_responsibility,
    consumer,
    ranking_state,
)
from services.officers.certification import api as api_people
from services.officers.config import Settings
from services.officers.grading import api as api_grading
from services.officers.grading import api_runs
from services.officers.grading import jobs as grading_jobs
from services.officers.org import api
from services.officers.records import api as api_records
from shared.app import ServiceSpec, build_app
from shared.consumer import consumer_running

log = logging.getLogger("officers.app")


async def align_ranking(app: FastAPI) -> None:
    """Issue 13: move the kept county ranking to the bank's today (its own transaction)."""
    today = datetime.now(ZoneInfo(app.state.settings.time_zone)).date()
    try:
        async with app.state.sessionmaker() as session, session.begin():
            await ranking_state.align(session, today)
    except (OSError, SQLAlchemyError):  # the first ranking read of the day aligns it then
        log.warning("kept ranking not aligned: database unavailable", exc_info=True)


async def _align_daily(app: FastAPI) -> None:
    zone = ZoneInfo(app.state.settings.time_zone)
    while True:
        now = datetime.now(zone)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
        await asyncio.sleep((midnight - now).total_seconds() + 1)
        await align_ranking(app)


@asynccontextmanager
async def kept_ranking(app: FastAPI) -> AsyncIterator[None]:
    """The kept county ranking aligned at start-up and just after each midnight, so the
    first read of a day finds it current."""
    await align_ranking(app)
    task = asyncio.create_task(_align_daily(app), name="officers-ranking-daily")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Officers start/stop: the kept ranking's date, the grading job runner and the loan
    ledger consumer."""
    async with kept_ranking(app), grading_jobs.lifespan(app), consumer.run_consumer(app):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the officers app; tests pass their own settings."""
    return build_app(
        settings or Settings(),
        ServiceSpec(
            name="officers",
            title="Officers service",
            description="Loan officers: organisation, certification, grading, pay, liability.",
            polled_routers=[api_liability_ranking.router],
            routers=[
                api.router,
                api_people.router,
                api_grading.router,
                api_runs.router,
                api_records.router,
                api_liability.router,
                api_funds.router,
                api_ledger.router,
                api_lending.router,
                api_collection.router,
                api_exit.router,
                api_responsibility.router,
            ],
            extra_lifespan=lifespan,
            readiness_checks=[consumer_running],
        ),
    )


app = create_app()

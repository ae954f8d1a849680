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

from services.officers.certification import api as certification_api
from services.officers.collection import api as collection_api
from services.officers.config import Settings
from services.officers.exit import api as exit_api
from services.officers.funds import api as funds_api
from services.officers.grading import api as grading_api
from services.officers.grading import jobs as grading_jobs
from services.officers.ledger import api as ledger_api
from services.officers.ledger import consumer
from services.officers.lending import api as lending_api
from services.officers.liability import api as liability_api
from services.officers.liability import api_ranking, ranking_state
from services.officers.org import api as org_api
from services.officers.records import api as records_api
from services.officers.responsibility import api as responsibility_api
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
            # The ranking's router, read by dashboards every few seconds, is matched first.
            polled_routers=[api_ranking.router],
            routers=[  # one per package, in the order they were always matched
                org_api.router,
                certification_api.router,
                grading_api.router,
                records_api.router,
                liability_api.router,
                funds_api.router,
                ledger_api.router,
                lending_api.router,
                collection_api.router,
                exit_api.router,
                responsibility_api.router,
            ],
            extra_lifespan=lifespan,
            readiness_checks=[consumer_running],
        ),
    )


app = create_app()

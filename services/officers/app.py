"""The officers service: certification, grading, pay and loan liability of loan officers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.officers import (
    api,
    api_collection,
    api_exit,
    api_funds,
    api_grading,
    api_ledger,
    api_lending,
    api_liability,
    api_liability_ranking,
    api_people,
    api_records,
    api_responsibility,
    api_runs,
    consumer,
    grading_jobs,
)
from services.officers.config import Settings
from shared.app import ServiceSpec, build_app
from shared.consumer import consumer_running


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Officers start/stop: the grading job runner and the loan ledger consumer."""
    async with grading_jobs.lifespan(app), consumer.run_consumer(app):
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the officers app; tests pass their own settings."""
    return build_app(
        settings or Settings(),
        ServiceSpec(
            name="officers",
            title="Officers service",
            description="Loan officers: organisation, certification, grading, pay, liability.",
            routers=[
                api.router,
                api_people.router,
                api_grading.router,
                api_runs.router,
                api_records.router,
                api_liability.router,
                api_liability_ranking.router,
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

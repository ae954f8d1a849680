"""The warnings service: loan-risk early warnings from loan and repayment events."""

from __future__ import annotations

from fastapi import FastAPI

from services.warnings import api
from services.warnings.config import Settings
from services.warnings.consumer import consumer_running, run_consumer
from services.warnings.service import ingest_handler
from shared.app import ServiceSpec, build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the warnings app; tests pass their own settings."""
    settings = settings or Settings()
    return build_app(
        settings,
        ServiceSpec(
            name="warnings",
            title="Warnings service",
            description="Yellow / orange / red loan-risk warnings with reporting deadlines.",
            routers=[api.router],
            embedded_handler=ingest_handler(settings.consumer_group),
            extra_lifespan=run_consumer,
            readiness_checks=(consumer_running,),
        ),
    )


app = create_app()

"""The officers service: certification, grading, pay and loan liability of loan officers."""

from __future__ import annotations

from fastapi import FastAPI

from services.officers import api, api_grading, api_people, api_records, api_runs, grading_jobs
from services.officers.config import Settings
from shared.app import ServiceSpec, build_app


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
            ],
            extra_lifespan=grading_jobs.lifespan,
        ),
    )


app = create_app()

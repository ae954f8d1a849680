"""The officers service: certification, grading, pay and loan liability of loan officers."""

from __future__ import annotations

from fastapi import FastAPI

from services.officers import api
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
            routers=[api.router],
        ),
    )


app = create_app()

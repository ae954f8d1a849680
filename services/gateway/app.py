"""The gateway: the one entry point in front of scoring, officers and warnings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.gateway import api
from services.gateway.config import Settings
from services.gateway.proxy import make_client
from shared.app import ServiceSpec, build_app


@asynccontextmanager
async def http_client(app: FastAPI) -> AsyncIterator[None]:
    """One pooled client for the app's lifetime (G1)."""
    settings: Settings = app.state.settings
    async with make_client(
        connect_s=settings.connect_timeout_s,
        read_s=settings.read_timeout_s,
        max_connections=settings.max_connections,
    ) as client:
        app.state.http = client
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway app; tests pass their own settings."""
    settings = settings or Settings()
    return build_app(
        settings,
        ServiceSpec(
            name="gateway",
            title="Loan-risk gateway",
            description="Routing, identity, organisation scope and the ops dashboard.",
            routers=[api.router],
            uses_database=False,
            extra_lifespan=http_client,
        ),
    )


app = create_app()

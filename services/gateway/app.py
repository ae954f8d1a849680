"""The gateway: the one entry point in front of scoring, officers and warnings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.gateway import api, api_credentials, dashboard, ops
from services.gateway.config import Settings
from services.gateway.identity import Gatekeeper
from services.gateway.proxy import make_client
from shared.app import ServiceSpec, build_app

# Built-in routes of the common app that the gateway answers itself (G7).
REPLACED_BUILTINS = ("/readyz", "/v1/openapi.json")


@asynccontextmanager
async def gateway_state(app: FastAPI) -> AsyncIterator[None]:
    """One pooled client (G1) and the gatekeeper (G2, G5) for the app's lifetime."""
    settings: Settings = app.state.settings
    # The gatekeeper only reads (keys, the policy): on SQLite it never waits for a writer.
    app.state.gatekeeper = Gatekeeper(settings, app.state.read_sessionmaker)
    async with make_client(
        connect_s=settings.connect_timeout_s,
        read_s=settings.read_timeout_s,
        max_connections=settings.max_connections,
    ) as client:
        app.state.http = client
        yield


def _drop_builtins(router: Any, keep: set[Any]) -> None:
    """Remove the common app's /readyz and OpenAPI routes (in included routers too), keeping
    the gateway's own (G7). Runs before the first request, when routes are still mutable."""
    for route in list(router.routes):
        if getattr(route, "path", None) in REPLACED_BUILTINS and route.endpoint not in keep:
            router.routes.remove(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            _drop_builtins(inner, keep)
    mark_changed = getattr(router, "_mark_routes_changed", None)
    if callable(mark_changed):
        mark_changed()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway app; tests pass their own settings."""
    settings = settings or Settings()
    app = build_app(
        settings,
        ServiceSpec(
            name="gateway",
            title="Loan-risk gateway",
            description=(
                "The one entry point (G1-G8): routing to `/scoring`, `/officers`, `/warnings`, "
                "identity (API keys and JWTs), organisation scope, rate limits, and the ops "
                "dashboard at `/dashboard`. This document merges every service's under its "
                "prefix."
            ),
            routers=[ops.router, api_credentials.router, dashboard.router, api.router],
            extra_lifespan=gateway_state,
        ),
    )
    _drop_builtins(app.router, keep={ops.readyz, ops.openapi})
    # `/x` must not be redirected to `/x/`, which the proxy route would take for a service.
    app.router.redirect_slashes = False
    app.state.upstreams = settings.upstreams()
    return app


app = create_app()

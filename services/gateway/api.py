"""Gateway routes: the service prefixes and the event intake (G1)."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from services.gateway.config import Settings
from services.gateway.identity import authenticate
from services.gateway.proxy import forward
from shared.auth import sign_caller
from shared.errors import NotFound

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def get_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.http
    return client


ClientDep = Annotated[httpx.AsyncClient, Depends(get_client)]


def signed_caller(request: Request) -> str:
    """Authenticate the request (G2) and sign the caller for the services (G4)."""
    caller = authenticate(request)
    request.scope.setdefault("state", {})["access_extra"] = {
        "credential_id": caller.credential_id,
        "org": caller.org,
    }
    secret = request.app.state.settings.internal_secret.get_secret_value()
    return sign_caller(caller, secret=secret, now=time.time())


CallerHeaderDep = Annotated[str, Depends(signed_caller)]


@router.api_route("/v1/events", methods=["POST"], tags=["events"])
async def post_events(
    request: Request, client: ClientDep, caller_header: CallerHeaderDep
) -> Response:
    """Forward events to the warnings service's intake (W19), which publishes them to Kafka."""
    settings: Settings = request.app.state.settings
    return await forward(
        client,
        request,
        service="warnings",
        base_url=settings.warnings_url,
        path="/v1/events",
        caller_header=caller_header,
    )


@router.api_route("/{service}/{path:path}", methods=METHODS, tags=["proxy"])
async def proxy(
    request: Request,
    client: ClientDep,
    caller_header: CallerHeaderDep,
    service: str,
    path: str,
) -> Response:
    """Forward `/<service>/...` to that service with the prefix stripped (G1)."""
    settings: Settings = request.app.state.settings
    base_url = settings.upstreams().get(service)
    if base_url is None:
        raise NotFound(f"G1: no service named {service}")
    return await forward(
        client,
        request,
        service=service,
        base_url=base_url,
        path="/" + path,
        caller_header=caller_header,
    )

"""Gateway routes: the service prefixes and the event intake (G1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.gateway.deps import CallerHeaderDep, ClientDep
from services.gateway.proxy import forward
from shared.errors import NotFound

router = APIRouter()

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.post("/v1/events", tags=["events"])
async def post_events(
    request: Request, client: ClientDep, caller_header: CallerHeaderDep
) -> Response:
    """Forward events to the warnings service's intake (W19), which publishes them to Kafka."""
    return await forward(
        client,
        request,
        service="warnings",
        base_url=request.app.state.upstreams["warnings"],
        path="/v1/events",
        caller_header=caller_header,
    )


@router.api_route(
    "/{service}/{path:path}", methods=METHODS, tags=["proxy"], include_in_schema=False
)
async def proxy(
    request: Request,
    client: ClientDep,
    caller_header: CallerHeaderDep,
    service: str,
    path: str,
) -> Response:
    """Forward `/<service>/...` to that service with the prefix stripped (G1)."""
    base_url: str | None = request.app.state.upstreams.get(service)
    if base_url is None:
        raise NotFound(f"G1: no service named {service}")
    request.scope["state"].setdefault("access_extra", {})["service"] = service
    return await forward(
        client,
        request,
        service=service,
        base_url=base_url,
        path="/" + path,
        caller_header=caller_header,
    )

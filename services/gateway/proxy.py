"""The reverse proxy (G1): one pooled client, streamed bodies, hop-by-hop headers dropped."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import Request
from starlette.responses import Response, StreamingResponse

from services.gateway.transport import FastTransport
from shared.auth import CALLER_HEADER
from shared.errors import NotFound, ServiceError
from shared.observability import current_request_id

log = logging.getLogger("gateway.proxy")

# RFC 9110 section 7.6.1 connection-specific headers, plus those the client must not forward.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)


class UpstreamUnavailable(ServiceError):
    status = 502
    type = "bad-gateway"
    title = "Bad gateway"


class UpstreamTimeout(ServiceError):
    status = 504
    type = "gateway-timeout"
    title = "Gateway timeout"


def make_client(*, connect_s: float, read_s: float, max_connections: int) -> httpx.AsyncClient:
    """The one shared client: pooled keep-alive connections and explicit timeouts."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(read_s, connect=connect_s, pool=connect_s),
        transport=FastTransport(max_connections=max_connections),
        follow_redirects=False,
    )


# Upstream answers up to this size are read whole and sent back in one message; larger ones
# (batch results, CSV exports) stream through as they arrive.
WHOLE_BODY_BYTES = 256 * 1024

# Never forwarded from the client: the gateway sets them itself (a client must not be able to
# present its own "verified" identity or its credential to the services).
REPLACED = frozenset({"x-request-id", CALLER_HEADER, "authorization", "x-api-key", "cookie"})


def _forward_headers(request: Request, caller_header: str) -> list[tuple[str, str]]:
    # Content-Length passes through: httpx then streams the body with it instead of chunking.
    headers = [
        (k, v)
        for k, v in request.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() not in REPLACED
    ]
    rid = current_request_id()
    if rid:
        headers.append(("x-request-id", rid))
    headers.append((CALLER_HEADER, caller_header))
    return headers


def upstream_url(request: Request, base_url: str, path: str) -> httpx.URL:
    """The service's URL for `path`, forwarding the client's own percent-encoding: the path
    the router decoded may hold control characters, `?` or `#` that no URL can carry as they
    are (found by fuzzing: an id with %0D through the gateway was a 500)."""
    raw = request.scope.get("raw_path")
    decoded = request.scope["path"]
    if isinstance(raw, bytes) and decoded.endswith(path):
        raw_text = raw.decode("latin-1").split("?", 1)[0]
        # The raw path ends with `path` as sent; drop the prefix the router took (`/<service>`).
        prefix_segments = decoded[: len(decoded) - len(path)].count("/")
        parts = raw_text.split("/")
        path = "/" + "/".join(parts[prefix_segments + 1 :]) if prefix_segments else raw_text
    try:
        return httpx.URL(base_url + path, query=request.scope["query_string"])
    except httpx.InvalidURL:
        raise NotFound(f"G1: no such path: {request.url.path!r}"[:300]) from None


async def forward(
    client: httpx.AsyncClient,
    request: Request,
    *,
    service: str,
    base_url: str,
    path: str,
    caller_header: str,
) -> Response:
    """Send the request on to `base_url + path` with the signed caller; stream the answer back."""
    url = upstream_url(request, base_url, path)
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    upstream_request = client.build_request(
        request.method,
        url,
        headers=_forward_headers(request, caller_header),
        content=request.stream() if has_body else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TimeoutException as exc:
        log.warning("upstream %s timed out: %s", service, exc)
        raise UpstreamTimeout(f"G1: the {service} service did not answer in time") from None
    except httpx.HTTPError as exc:
        log.warning("upstream %s unreachable: %s", service, exc)
        raise UpstreamUnavailable(f"G1: the {service} service is unreachable") from None
    headers = {
        k: v
        for k, v in upstream.headers.items()
        if k.lower() not in HOP_BY_HOP and k.lower() != "x-request-id"
    }
    size = upstream.headers.get("content-length", "")
    if size.isdigit() and int(size) <= WHOLE_BODY_BYTES:
        # A small answer (most of them) goes back whole: one ASGI message, where streaming
        # costs a task group watching for the client leaving plus a message per chunk.
        try:
            body = b"".join([chunk async for chunk in upstream.aiter_raw()])  # as sent
        except httpx.HTTPError as exc:
            log.warning("upstream %s broke off its answer: %s", service, exc)
            raise UpstreamUnavailable(f"G1: the {service} service broke off its answer") from None
        finally:
            await upstream.aclose()
        return Response(body, status_code=upstream.status_code, headers=headers)
    return StreamingResponse(_relay(upstream), status_code=upstream.status_code, headers=headers)


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream body as it arrives; the upstream connection is released however it ends
    (read whole, or the client went away)."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()

"""Request ids, JSON log lines and Prometheus metrics, the same on every service."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.bodies import (
    BodyTooLarge,
    is_json,
    json_errors,
    read_body,
    replay,
    url_errors,
)

REQUEST_ID_HEADER = "x-request-id"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# A client-chosen id is kept only if it is short and plain, so it cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

access_log = logging.getLogger("access")


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return _request_id.get()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def configure_logging(level: str, service: str) -> None:
    """JSON lines on stderr, each with the service name and the current request id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(_RequestIdFilter())
    handler.set_name("loan-risk-json")
    root = logging.getLogger()
    # Replace our own handler if an earlier app installed it; leave others (e.g. pytest's).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "loan-risk-json"]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class Metrics:
    """A per-app registry, so several apps in one process (tests) don't collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.events = Counter(
            "events_total",
            "Events handled, by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestContextMiddleware:
    """Keeps or creates X-Request-ID, echoes it, limits body size, times and logs each call."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # Exact request paths with their own limit (a bulk route), else max_body_bytes.
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER)
        rid = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(rid)
        status: dict[str, int] = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = 1
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        limit = self.body_limits.get(scope["path"], self.max_body_bytes)
        try:
            await self._checked(scope, receive, send_with_id, limit)
        except BodyTooLarge:
            if "started" not in status:
                await _send_problem(send_with_id, 413, "Payload too large", _too_large(limit))
        except Exception:
            # Last line of defence: log with the request id and answer a problem document.
            logging.getLogger("shared.errors").exception("unhandled error on %s", scope["path"])
            if "started" not in status:
                await _send_problem(
                    send_with_id,
                    500,
                    "Internal error",
                    f"Unexpected error; quote request id {rid}.",
                )
        finally:
            self._record(scope, status["code"], time.perf_counter() - started)
            _request_id.reset(token)

    async def _checked(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """The app, behind the size limit and the URL and JSON checks (a 413 or 422 first)."""
        declared = _header(scope, "content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _send_problem(send, 413, "Payload too large", _too_large(limit))
            return
        refused = url_errors(scope)
        if refused:
            await _send_problem(send, 422, "Invalid input", refused[0]["detail"], errors=refused)
            return
        if scope["path"] in self.body_limits:
            # A bulk route streams its own (large) body and parses it itself.
            await self.app(scope, _limited(receive, limit), send)
            return
        body, ended = await read_body(receive, limit)
        invalid = json_errors(body) if body and is_json(scope) else []
        if invalid:
            await _send_problem(send, 422, "Invalid input", invalid[0]["detail"], errors=invalid)
            return
        await self.app(scope, replay(body, receive, ended), send)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        """The request's metrics and access log line (none for health and metrics)."""
        route = _route_of(scope)
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        if route not in ("/healthz", "/metrics"):
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 3),
                    **scope.get("state", {}).get("access_extra", {}),
                },
            )


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"request body exceeds {limit} bytes")
        return message

    return wrapped


def _too_large(limit: int) -> str:
    return f"The request body exceeds the limit of {limit} bytes."


async def _send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
) -> None:
    document: dict[str, object] = {
        "type": "https://loan-risk.example/problems/" + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    rid = current_request_id()
    if rid:
        document["request_id"] = rid
    if errors:
        document["errors"] = errors
    body = orjson.dumps(document)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None

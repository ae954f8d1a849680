"""The app factory every service builds on: lifespan, errors, request context, health, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import errors, openapi
from shared.config import BaseServiceSettings
from shared.db import (
    fill_read_pool,
    make_engine,
    make_read_engine,
    make_read_sessionmaker,
    make_sessionmaker,
    ping,
)
from shared.etag import RevalidateMiddleware, Revalidator
from shared.observability import Metrics, RequestContextMiddleware, configure_logging
from shared.transport import EmbeddedSink, EventSink, Handler, KafkaSink, make_producer

log = logging.getLogger("shared.app")

# Routes that need no caller and answer no problem documents of their own.
OPEN_PATHS = ("/healthz", "/readyz", "/metrics")

ReadinessCheck = Callable[[FastAPI], Awaitable[str | None]]
"""Returns None when ready, else a short reason."""

ExtraLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@dataclass
class ServiceSpec:
    """What a service adds to the common app: its routers, handlers and checks."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    # The routers of the reads dashboards poll (every 3 s, each): matched before the others,
    # health included, since route matching tries each route in turn (issue 13: 51 routes
    # tried before the officers' ranking cost a 304 a fifth of its time).
    polled_routers: Sequence[APIRouter] = ()
    embedded_handler: Handler | None = None
    uses_database: bool = True
    extra_lifespan: ExtraLifespan | None = None
    readiness_checks: Sequence[ReadinessCheck] = field(default_factory=tuple)
    # Request paths with their own body size limit (a bulk route), instead of max_body_bytes.
    body_limits: Mapping[str, int] = field(default_factory=dict)


def _lifespan(settings: BaseServiceSettings, spec: ServiceSpec) -> ExtraLifespan:
    """The app's lifespan: its database engines and its event sink, then the service's own."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, spec.name)
        engines = _open_engines(app, settings) if spec.uses_database else ()
        if engines:
            await fill_read_pool(engines[1])
        producer = await _open_sink(app, settings, spec)
        try:
            if spec.extra_lifespan is not None:
                async with spec.extra_lifespan(app):
                    log.info("started", extra={"kafka": bool(producer)})
                    yield
            else:
                log.info("started", extra={"kafka": bool(producer)})
                yield
        finally:
            if producer is not None:
                await producer.stop()
            if engines:
                engine, read_engine = engines
                if read_engine.sync_engine is not engine.sync_engine:
                    await read_engine.dispose()
                await engine.dispose()

    return lifespan


def _open_engines(app: FastAPI, settings: BaseServiceSettings) -> tuple[AsyncEngine, AsyncEngine]:
    """The writer engine and the read engine (and their sessions) on `app.state`."""
    engine = make_engine(settings.resolved_database_url())
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    read_engine = make_read_engine(engine)
    app.state.read_engine = read_engine
    app.state.read_sessionmaker = make_read_sessionmaker(read_engine)
    return engine, read_engine


async def _open_sink(app: FastAPI, settings: BaseServiceSettings, spec: ServiceSpec) -> Any:
    """The event sink on `app.state`: Kafka where configured (its started producer is
    returned, to stop), else the embedded in-process handler (None)."""
    if not settings.kafka_bootstrap_servers:
        app.state.producer = None
        app.state.sink = EmbeddedSink(spec.embedded_handler)
        return None
    producer = make_producer(
        settings.kafka_bootstrap_servers, settings.kafka_client_id or spec.name
    )
    await producer.start()
    app.state.producer = producer
    app.state.sink = KafkaSink(
        producer, settings.kafka_topic_prefix, timeout_s=settings.kafka_publish_timeout_s
    )
    return producer


def build_app(settings: BaseServiceSettings, spec: ServiceSpec) -> FastAPI:
    """Assemble a service app; state (engine, sessions, sink) is built in the lifespan."""
    lifespan = _lifespan(settings, spec)
    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    errors.install(app)
    openapi.install(app, open_paths=OPEN_PATHS)
    # Inside the request context (request id, metrics, access log): a repeated conditional
    # GET of a polled read is answered 304 before routing (shared/etag.py).
    app.state.revalidator = Revalidator()
    app.add_middleware(
        RevalidateMiddleware,
        revalidator=app.state.revalidator,
        secret=settings.internal_secret.get_secret_value(),
    )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=app.state.metrics,
        max_body_bytes=settings.max_body_bytes,
        body_limits=spec.body_limits,
    )
    for router in spec.polled_routers:
        app.include_router(router)
    app.include_router(_health_router(spec))
    for router in spec.routers:
        app.include_router(router)
    return app


def _health_router(spec: ServiceSpec) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "service": spec.name}

    @router.get(
        "/readyz",
        responses={503: {"description": "Not ready: the reasons under `problems`"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """The database and the broker answer (503 with the reasons otherwise)."""
        app: FastAPI = request.app
        problems: dict[str, str] = {}
        if spec.uses_database:
            try:
                await ping(app.state.engine)
            except Exception as exc:  # readiness reports, it never raises
                problems["database"] = type(exc).__name__
        sink: EventSink = app.state.sink
        if not await sink.ready():
            problems["kafka"] = "broker not reachable"
        for check in spec.readiness_checks:
            reason = await check(app)
            if reason:
                problems[check.__name__] = reason
        body: dict[str, Any] = {"status": "ready" if not problems else "not ready"}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=200 if not problems else 503)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"description": "Prometheus text", "content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics(request: Request) -> Response:
        """Prometheus text format."""
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def get_sink(request: Request) -> EventSink:
    """The app's event sink (Kafka or embedded)."""
    sink: EventSink = request.app.state.sink
    return sink


def get_settings(request: Request) -> BaseServiceSettings:
    settings: BaseServiceSettings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """Writer sessions (SQLite: BEGIN IMMEDIATE)."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


def get_read_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """Read-only sessions (SQLite: a deferred transaction that never waits for a writer)."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.read_sessionmaker
    return maker


SinkDep = Annotated[EventSink, Depends(get_sink)]

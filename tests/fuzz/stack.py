"""The apps the fuzzer drives: each service alone, and the gateway in front of the three.

Schemathesis runs an ASGI app's lifespan itself (one event loop thread for every app), so the
gateway stack is one ASGI app whose lifespan starts the three services and the gateway, mounts
the gateway's pooled client on the services (as tests/integration/gateway does) and issues an
admin key with a rate limit of its own, high enough that the fuzzer never meets G5.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from services.gateway.app import create_app as create_gateway
from services.gateway.config import Settings as GatewaySettings
from services.gateway.ops import merge
from services.officers.app import create_app as create_officers
from services.officers.config import Settings as OfficersSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.config import Settings as ScoringSettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from shared.migrate import upgrade
from tests.support.databases import fresh_database

SERVICES = ("scoring", "officers", "warnings")
BOOTSTRAP_KEY = "fuzz-bootstrap-admin-key"
# FUZZ_BACKEND=postgresql runs the same fuzz on the test PostgreSQL server (TEST_POSTGRES_URL).
BACKEND = os.environ.get("FUZZ_BACKEND", "sqlite")


def database(service: str, directory: Path) -> str:
    """A migrated database for `service` on the fuzz backend."""
    if BACKEND == "postgresql":
        return asyncio.run(fresh_database(service, "postgresql", directory))
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{directory / (service + '.db')}"
    upgrade(service, url)
    return url


def service_app(name: str, url: str) -> FastAPI:
    """One service app on its own database (embedded mode, no broker)."""
    if name == "scoring":
        return create_scoring(ScoringSettings(database_url=url))
    if name == "officers":
        return create_officers(OfficersSettings(database_url=url))
    return create_warnings(WarningsSettings(database_url=url))


# Until `attach_databases` runs (a session fixture), an app points at no database at all.
UNSET = "sqlite+aiosqlite:////nonexistent/fuzz-database-not-attached.db"


def attach(app: FastAPI, service: str, directory: Path) -> None:
    """Give an app (not started yet) a freshly migrated database."""
    app.state.settings.database_url = database(service, directory / service)


class GatewayStack:
    """An ASGI app: the gateway, with the three services behind it started in its lifespan."""

    def __init__(self) -> None:
        self.services = {n: service_app(n, UNSET) for n in SERVICES}
        self.gateway = create_gateway(
            GatewaySettings(
                database_url=UNSET,
                bootstrap_admin_key=BOOTSTRAP_KEY,
                **{f"{n}_url": f"http://{n}.internal" for n in SERVICES},
            )
        )
        self.admin_key = ""
        self._stack = AsyncExitStack()

    def attach(self, directory: Path) -> None:
        """Migrated databases for the gateway and the services behind it."""
        for name, app in self.services.items():
            attach(app, name, directory)
        attach(self.gateway, "gateway", directory)

    def merged_openapi(self) -> dict[str, Any]:
        """The gateway's merged document, built by its own code from the apps' documents."""
        return merge(self.gateway.openapi(), {n: a.openapi() for n, a in self.services.items()})

    async def _start(self) -> None:
        stack = self._stack
        for app in self.services.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(self.gateway.router.lifespan_context(self.gateway))
        await self.gateway.state.http.aclose()
        self.gateway.state.http = httpx.AsyncClient(
            mounts={
                f"http://{n}.internal": httpx.ASGITransport(app=app)
                for n, app in self.services.items()
            }
        )
        stack.push_async_callback(self.gateway.state.http.aclose)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.gateway), base_url="http://gw"
        ) as client:
            issued = await client.post(
                "/v1/credentials",
                json={
                    "name": "fuzzer",
                    "roles": ["admin"],
                    "org": "HO",
                    "rate_limit": {"rate_per_s": 100_000, "burst": 1_000_000},
                },
                headers={"Authorization": f"Bearer {BOOTSTRAP_KEY}"},
            )
            issued.raise_for_status()
            self.admin_key = issued.json()["key"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.gateway(scope, receive, send)
            return
        await receive()  # lifespan.startup
        try:
            await self._start()
        except Exception as exc:
            await self._stack.aclose()
            await send({"type": "lifespan.startup.failed", "message": repr(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await self._stack.aclose()
        await send({"type": "lifespan.shutdown.complete"})


def problem_shape(body: Any, status: int) -> list[str]:
    """What a 4xx body lacks to be an RFC 9457 problem document of ours (empty: nothing)."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    missing = [f"no `{k}`" for k in ("type", "title", "status", "detail") if k not in body]
    if body.get("status") != status:
        missing.append(f"`status` is {body.get('status')!r}, the response is {status}")
    for key in ("type", "title", "detail"):
        if key in body and not (isinstance(body[key], str) and body[key]):
            missing.append(f"`{key}` is not a non-empty string")
    return missing

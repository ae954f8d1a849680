"""The gateway in front of the three real services, all in-process, on SQLite and PostgreSQL.

The gateway's pooled client is mounted on the services' ASGI apps (`http://<service>.internal`),
so every call goes through the gateway's real identity, rate-limit, signing and proxy code and
through each service's real caller verification and scoping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.app import create_app as create_gateway
from services.gateway.config import Settings as GatewaySettings
from services.officers.app import create_app as create_officers
from services.officers.config import Settings as OfficersSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.config import Settings as ScoringSettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from tests.support.databases import fresh_database

ADMIN_KEY = "gateway-bootstrap-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
HS_SECRET = "a-test-hs256-secret-of-at-least-32-characters"
SERVICES = ("scoring", "officers", "warnings")


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@dataclass
class Stack:
    """The gateway app, the services behind it, and a client talking to the gateway."""

    gateway: FastAPI
    services: dict[str, FastAPI]
    client: httpx.AsyncClient
    keys: dict[str, str] = field(default_factory=dict)

    async def credential(
        self, *roles: str, org: str = "HO", name: str = "test", **extra: Any
    ) -> dict[str, Any]:
        """A new API key through the gateway's admin API (as the bootstrap admin)."""
        body = {"name": name, "roles": list(roles), "org": org, **extra}
        response = await self.client.post("/v1/credentials", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        issued: dict[str, Any] = response.json()
        return issued


@pytest.fixture
async def gateway_db(backend: str, tmp_path: Path) -> str:
    return await fresh_database("gateway", backend, tmp_path)


@pytest.fixture
async def gateway_sqlite(tmp_path: Path) -> str:
    """A migrated SQLite database for a gateway alone."""
    return await fresh_database("gateway", "sqlite", tmp_path)


@asynccontextmanager
async def gateway_stack(
    urls: dict[str, str], *, down: tuple[str, ...] = (), **settings: Any
) -> AsyncIterator[Stack]:
    """Start the services (except those `down`) and the gateway in front of them."""
    services = {
        "scoring": create_scoring(ScoringSettings(database_url=urls["scoring"])),
        "officers": create_officers(OfficersSettings(database_url=urls["officers"])),
        "warnings": create_warnings(WarningsSettings(database_url=urls["warnings"])),
    }
    upstream = {
        f"{name}_url": "http://127.0.0.1:1" if name in down else f"http://{name}.internal"
        for name in SERVICES
    }
    options: dict[str, Any] = {
        "database_url": urls["gateway"],
        "bootstrap_admin_key": ADMIN_KEY,
        "jwt_hs256_secret": HS_SECRET,
        **upstream,
        **settings,
    }
    gateway = create_gateway(GatewaySettings(**options))
    async with AsyncExitStack() as stack:
        for name, app in services.items():
            if name not in down:
                await stack.enter_async_context(app.router.lifespan_context(app))
        await stack.enter_async_context(gateway.router.lifespan_context(gateway))
        await gateway.state.http.aclose()
        gateway.state.http = httpx.AsyncClient(
            mounts={
                f"http://{name}.internal": httpx.ASGITransport(app=app)
                for name, app in services.items()
                if name not in down
            }
        )
        stack.push_async_callback(gateway.state.http.aclose)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw")
        )
        yield Stack(gateway=gateway, services=services, client=client)


@pytest.fixture
def urls(gateway_db: str, scoring_db: str, officers_db: str, warnings_db: str) -> dict[str, str]:
    return {
        "gateway": gateway_db,
        "scoring": scoring_db,
        "officers": officers_db,
        "warnings": warnings_db,
    }


@pytest.fixture
async def stack(urls: dict[str, str]) -> AsyncIterator[Stack]:
    async with gateway_stack(urls) as running:
        yield running

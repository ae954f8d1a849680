"""The gateway's proxy (G1) in front of a real warnings app."""

from __future__ import annotations

import time

import httpx

from services.gateway.app import create_app as create_gateway
from services.gateway.config import Settings as GatewaySettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from shared.auth import CALLER_HEADER, verify_caller
from shared.config import DEV_INTERNAL_SECRET
from tests.support.apps import serve

KEY = "gateway-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_g1_forwards_path_query_and_request_id_and_drops_hop_by_hop(
    warnings_db: str, gateway_sqlite: str
) -> None:
    upstream = create_warnings(WarningsSettings(database_url=warnings_db))
    seen: dict[str, str] = {}

    @upstream.middleware("http")
    async def record_headers(request, call_next):  # type: ignore[no-untyped-def]
        seen.update(request.headers)
        return await call_next(request)

    gateway = create_gateway(
        GatewaySettings(
            warnings_url="http://warnings.internal",
            bootstrap_admin_key=KEY,
            database_url=gateway_sqlite,
        )
    )
    async with serve(upstream), serve(gateway) as client:
        # Point the gateway's pooled client at the in-process warnings app.
        await gateway.state.http.aclose()
        gateway.state.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream))
        response = await client.get(
            "/warnings/v1/events/nope",
            params={"x": "1"},
            headers={
                **AUTH,
                "X-Request-ID": "rid-g1",
                "Connection": "keep-alive",
                "TE": "trailers",
            },
        )
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "rid-g1"
    assert response.json()["detail"] == "event nope has not been applied"
    assert seen["x-request-id"] == "rid-g1"
    assert "te" not in seen
    assert "authorization" not in seen  # the credential never reaches the services
    # The client's forged identity is replaced by the one the gateway signed (G4).
    forwarded = verify_caller(seen[CALLER_HEADER], secret=DEV_INTERNAL_SECRET, now=time.time())
    assert (forwarded.subject, forwarded.org) == ("bootstrap-admin", "HO")


async def test_g2_no_or_unknown_credential_is_401(gateway_sqlite: str) -> None:
    gateway = create_gateway(GatewaySettings(bootstrap_admin_key=KEY, database_url=gateway_sqlite))
    async with serve(gateway, who=None) as client:
        missing = await client.get("/warnings/v1/events/x")
        wrong = await client.get("/warnings/v1/events/x", headers={"X-API-Key": "guess"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_g1_unknown_prefix_is_a_404_problem(gateway_sqlite: str) -> None:
    settings = GatewaySettings(bootstrap_admin_key=KEY, database_url=gateway_sqlite)
    async with serve(create_gateway(settings)) as client:
        response = await client.get("/payroll/v1/anything", headers=AUTH)
    assert response.status_code == 404
    assert "payroll" in response.json()["detail"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_g1_unreachable_service_is_a_502_naming_it(gateway_sqlite: str) -> None:
    settings = GatewaySettings(
        officers_url="http://127.0.0.1:1", bootstrap_admin_key=KEY, database_url=gateway_sqlite
    )
    async with serve(create_gateway(settings)) as client:
        response = await client.get("/officers/v1/officers", headers=AUTH)
    assert response.status_code == 502
    assert "officers" in response.json()["detail"]

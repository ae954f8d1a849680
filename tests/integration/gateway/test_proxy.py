"""The gateway's proxy (G1) in front of a real warnings app."""

from __future__ import annotations

import httpx

from services.gateway.app import create_app as create_gateway
from services.gateway.config import Settings as GatewaySettings
from services.warnings.app import create_app as create_warnings
from services.warnings.config import Settings as WarningsSettings
from tests.support.apps import serve


async def test_g1_forwards_path_query_and_request_id_and_drops_hop_by_hop(warnings_db: str) -> None:
    upstream = create_warnings(WarningsSettings(database_url=warnings_db))
    seen: dict[str, str] = {}

    @upstream.middleware("http")
    async def record_headers(request, call_next):  # type: ignore[no-untyped-def]
        seen.update(request.headers)
        return await call_next(request)

    gateway = create_gateway(GatewaySettings(warnings_url="http://warnings.internal"))
    async with serve(upstream), serve(gateway) as client:
        # Point the gateway's pooled client at the in-process warnings app.
        await gateway.state.http.aclose()
        gateway.state.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream))
        response = await client.get(
            "/warnings/v1/events/nope",
            params={"x": "1"},
            headers={"X-Request-ID": "rid-g1", "Connection": "keep-alive", "TE": "trailers"},
        )
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "rid-g1"
    assert response.json()["detail"] == "event nope has not been applied"
    assert seen["x-request-id"] == "rid-g1"
    assert "te" not in seen


async def test_g1_unknown_prefix_is_a_404_problem() -> None:
    async with serve(create_gateway(GatewaySettings())) as client:
        response = await client.get("/payroll/v1/anything")
    assert response.status_code == 404
    assert "payroll" in response.json()["detail"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_g1_unreachable_service_is_a_502_naming_it() -> None:
    async with serve(create_gateway(GatewaySettings(officers_url="http://127.0.0.1:1"))) as client:
        response = await client.get("/officers/v1/officers")
    assert response.status_code == 502
    assert "officers" in response.json()["detail"]

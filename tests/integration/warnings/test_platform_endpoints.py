"""Health, readiness, metrics and request ids on a real app (every service shares them)."""

from __future__ import annotations

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.support.apps import serve


async def test_health_ready_and_metrics(warnings_db: str) -> None:
    async with serve(create_app(Settings(database_url=warnings_db))) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "warnings"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        await client.get("/v1/events/some-id")
        metrics = (await client.get("/metrics")).text
        assert 'http_requests_total{method="GET",route="/v1/events/{event_id}",status="404"}' in (
            metrics
        )


async def test_request_id_is_kept_when_safe_and_created_otherwise(warnings_db: str) -> None:
    async with serve(create_app(Settings(database_url=warnings_db))) as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "branch-42.abc"})
        assert kept.headers["x-request-id"] == "branch-42.abc"
        forged = await client.get("/healthz", headers={"X-Request-ID": "a\nfake log line"})
        assert forged.headers["x-request-id"] != "a\nfake log line"
        assert len(forged.headers["x-request-id"]) == 32
        problem = (await client.get("/v1/events/x", headers={"X-Request-ID": "rid-7"})).json()
        assert problem["request_id"] == "rid-7"


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    async with serve(create_app(settings)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "database" in ready.json()["problems"]


async def test_writes_answer_503_when_the_database_is_unreachable() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    event = {
        "event_id": "e-1",
        "type": "loan.matured",
        "occurred_at": "2026-11-02T09:30:00+08:00",
        "loan_id": "L-1",
        "org": "HO",
    }
    async with serve(create_app(settings)) as client:
        response = await client.post("/v1/events", json=event)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"

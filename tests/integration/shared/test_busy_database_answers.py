"""A busy database is a 503 naming the cause, never a 500 or "not reachable": an exhausted
connection pool, and a transaction the database rolled back for a concurrent one (deadlock
40P01, serialization failure 40001), seen on the real servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import errors
from shared.db import make_engine


def probe_app(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/probe")
    async def probe(request: Request) -> dict[str, int]:
        del request
        async with engine.connect() as conn:
            return {"one": int((await conn.execute(text("SELECT 1"))).scalar_one())}

    return app


@pytest.fixture
async def tiny_pool(warnings_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(warnings_db, pool_size=1, max_overflow=0, pool_timeout=0.2)
    yield engine
    await engine.dispose()


async def test_an_exhausted_pool_is_a_503_saying_connections_are_busy(
    tiny_pool: AsyncEngine,
) -> None:
    transport = httpx.ASGITransport(app=probe_app(tiny_pool), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/probe")).status_code == 200
        async with tiny_pool.connect() as held:
            await held.execute(text("SELECT 1"))
            response = await client.get("/probe")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "connections are busy" in response.json()["detail"]
    assert "not reachable" not in response.json()["detail"]


async def real_deadlock(url: str) -> BaseException:
    """Two transactions locking two rows in opposite orders: PostgreSQL aborts one (40P01)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS dl (id int PRIMARY KEY, v int)"))
            await conn.execute(text("INSERT INTO dl VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING"))
        both = asyncio.Barrier(2)

        async def lock(first: int, second: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE dl SET v = v + 1 WHERE id = :i"), {"i": first})
                await both.wait()
                await conn.execute(text("UPDATE dl SET v = v + 1 WHERE id = :i"), {"i": second})

        results = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 1, results
        return failures[0]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_deadlock_is_a_503_to_retry_not_a_500(warnings_db: str) -> None:
    exc = await real_deadlock(warnings_db)
    assert errors.transaction_conflict(exc)
    app = FastAPI()
    errors.install(app)

    @app.get("/deadlock")
    async def deadlock() -> None:
        raise exc

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/deadlock")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "deadlock or serialization failure" in response.json()["detail"]

"""Embedded SQLite (issue 13, item 5): a read session is a deferred WAL transaction that never
waits for the writers' `BEGIN IMMEDIATE` and cannot write; writers still go one at a time; the
session dependency picks the kind by the request's method."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import QueuePool

from shared import errors
from shared.db import (
    ReadOnlySessionError,
    SessionDep,
    WriterSessionDep,
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'rw.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await conn.execute(text("INSERT INTO t (v) VALUES ('before')"))
    yield engine
    await engine.dispose()


async def values(session: AsyncSession) -> list[str]:
    result = await session.execute(text("SELECT v FROM t ORDER BY id"))
    return [str(v) for v in result.scalars()]


async def test_every_connection_is_wal_with_a_busy_timeout(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() == 5000


async def test_a_read_session_does_not_wait_while_a_writer_holds_the_write_lock(
    engine: AsyncEngine,
) -> None:
    writer_holds, reader_done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with make_sessionmaker(engine).begin() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('uncommitted')"))
            writer_holds.set()
            # Held until the reader has finished: a reader that waited for the write lock
            # would fail with "database is locked" after busy_timeout instead.
            await reader_done.wait()

    async def reader() -> list[str]:
        await writer_holds.wait()
        try:
            async with make_read_sessionmaker(engine)() as session:
                return await values(session)
        finally:
            reader_done.set()

    _, seen = await asyncio.gather(writer(), reader())
    assert seen == ["before"]  # its snapshot: the writer's row is not committed yet
    async with make_read_sessionmaker(engine)() as session:
        assert await values(session) == ["before", "uncommitted"]


async def test_writers_still_take_the_write_lock_one_at_a_time(engine: AsyncEngine) -> None:
    maker = make_sessionmaker(engine)
    first_holds, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with maker.begin() as session:
            await session.execute(text("INSERT INTO t (v) VALUES ('first')"))
            first_holds.set()
            await release.wait()

    async def second() -> list[str]:
        await first_holds.wait()
        async with maker.begin() as session:  # BEGIN IMMEDIATE waits for `first`
            seen = await values(session)
            await session.execute(text("INSERT INTO t (v) VALUES ('second')"))
            return seen

    first_task = asyncio.create_task(first())
    second_task = asyncio.create_task(second())
    await first_holds.wait()
    await asyncio.sleep(0.3)
    assert not second_task.done()  # still waiting for the write lock
    release.set()
    await first_task
    # Begun before `first` committed, yet it sees the row: it started only after the commit.
    assert await second_task == ["before", "first"]


async def test_a_write_in_a_read_session_fails_clearly_and_the_connection_writes_again(
    engine: AsyncEngine,
) -> None:
    async with make_read_sessionmaker(engine)() as session:
        with pytest.raises(ReadOnlySessionError, match="read-only session tried to write"):
            await session.execute(text("INSERT INTO t (v) VALUES ('sneaky')"))
    # The same pooled connection serves a writer next: query_only is switched off again.
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('written')"))
    async with make_read_sessionmaker(engine)() as session:
        assert await values(session) == ["before", "written"]


async def test_the_pool_lets_many_readers_hold_connections_at_once(engine: AsyncEngine) -> None:
    assert isinstance(engine.sync_engine.pool, QueuePool)
    assert engine.sync_engine.pool.size() >= 10
    maker = make_read_sessionmaker(engine)
    all_in = asyncio.Barrier(12)

    async def reader() -> list[str]:
        async with maker() as session:
            seen = await values(session)  # inside its transaction, holding its connection
            await all_in.wait()
            return seen

    assert await asyncio.gather(*(reader() for _ in range(12))) == [["before"]] * 12


def probe_app(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_read_sessionmaker(engine)

    @app.get("/rows")
    async def rows(session: SessionDep) -> list[str]:
        return await values(session)

    @app.get("/writes-by-mistake")
    async def writes_by_mistake(session: SessionDep) -> None:
        await session.execute(text("INSERT INTO t (v) VALUES ('get')"))

    @app.get("/writes-on-purpose")
    async def writes_on_purpose(session: WriterSessionDep) -> None:
        await session.execute(text("INSERT INTO t (v) VALUES ('stamp')"))

    @app.post("/rows")
    async def add(session: SessionDep) -> None:
        await session.execute(text("INSERT INTO t (v) VALUES ('post')"))

    return app


async def test_get_session_reads_on_get_and_writes_on_post(engine: AsyncEngine) -> None:
    transport = httpx.ASGITransport(app=probe_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/rows")).status_code == 200
        assert (await client.get("/writes-on-purpose")).status_code == 200
        refused = await client.get("/writes-by-mistake")
        assert refused.status_code == 500  # a bug in the route, not a busy database (503)
        assert (await client.get("/rows")).json() == ["before", "post", "stamp"]

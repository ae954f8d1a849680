"""Issue 13: PostgreSQL read sessions (GET) autocommit on a read-only pool: no BEGIN / COMMIT
round trips, and a write from a read is refused by the server, never committed on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import (
    READ_POOL_SIZE,
    fill_read_pool,
    make_engine,
    make_read_engine,
    make_read_sessionmaker,
)
from tests.support.databases import fresh_database


async def test_issue13_a_write_in_a_postgresql_read_session_is_refused(tmp_path: Path) -> None:
    engine = make_engine(await fresh_database("warnings", "postgresql", tmp_path))
    read_engine = make_read_engine(engine)
    try:
        async with make_read_sessionmaker(read_engine)() as session:
            assert await session.scalar(text("SELECT count(*) FROM policy")) == 0
            with pytest.raises(DBAPIError) as refused:
                await session.execute(
                    text(
                        "INSERT INTO policy (name, document, version, updated_at, updated_by) "
                        "VALUES ('levels', '{}', 1, now(), 't')"
                    )
                )
            assert "read-only" in str(refused.value)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM policy")) == 0
    finally:
        await read_engine.dispose()
        await engine.dispose()


async def test_issue13_the_read_pool_is_filled_at_start_up_and_kept(tmp_path: Path) -> None:
    """`fill_read_pool` opens every connection of the read pool at once and leaves them open
    in the pool: the first burst of polls finds them ready (none opened inside a request)."""
    engine = make_engine(await fresh_database("warnings", "postgresql", tmp_path))
    read_engine = make_read_engine(engine)
    pool = read_engine.sync_engine.pool
    try:
        assert pool.checkedin() == 0
        assert await fill_read_pool(read_engine) == READ_POOL_SIZE
        assert pool.checkedin() == READ_POOL_SIZE
        async with read_engine.connect() as conn:  # one of them, not a new one
            assert await conn.scalar(text("SELECT 1")) == 1
            assert pool.checkedout() == 1
        assert pool.checkedin() == READ_POOL_SIZE
    finally:
        await read_engine.dispose()
        await engine.dispose()


async def test_issue13_filling_the_read_pool_is_best_effort(tmp_path: Path) -> None:
    """A server not reachable at start-up is left to the first requests: no connection, no
    error; an embedded SQLite database has no read pool to fill."""
    unreachable = make_read_engine(make_engine("postgresql+asyncpg://x:y@127.0.0.1:1/none"))
    sqlite = make_engine(await fresh_database("warnings", "sqlite", tmp_path))
    try:
        assert await fill_read_pool(unreachable) == 0
        assert await fill_read_pool(make_read_engine(sqlite)) == 0
    finally:
        await unreachable.dispose()
        await sqlite.dispose()

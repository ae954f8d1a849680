"""Issue 13: PostgreSQL read sessions (GET) autocommit on a read-only pool: no BEGIN / COMMIT
round trips, and a write from a read is refused by the server, never committed on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine, make_read_engine, make_read_sessionmaker
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

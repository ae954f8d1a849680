"""ETags for polled reads (issue 13): a validator computed from cheap kept state, checked
before any page is built, so a poller's unchanged answer is a 304 that costs no page build.

A polled route takes `PolledReadDep` instead of a session: `validator(statement, params)`
runs the validator's one statement on a pooled read connection (Core, no ORM session: on
PostgreSQL the read-only autocommit pool, so one round trip and nothing else), and only a
changed answer opens the read-only session that builds it (`session()`). The caller is still
verified and authorised by the route's own dependencies before either (no database)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import request_session


def make_etag(*parts: Any) -> str:
    """A strong, quoted validator for the given parts (their text, joined)."""
    key = "|".join(str(p) for p in parts)
    return '"' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 13.1.2: `If-None-Match` names the tag (or `*`); weak comparison."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(if_none_match: str | None, tag: str) -> Response | None:
    """The 304 to answer when the client already has `tag`, else None."""
    if matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return None


@dataclass(frozen=True, slots=True)
class PolledRead:
    """A polled GET's database access, opened only as far as the request needs it."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def validator(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any]:
        """The one row of the validator's statement, read on a pooled connection of the read
        engine (one statement, one snapshot; no session, no transaction round trips)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(statement, dict(params))).one()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The read-only session that builds a changed answer (as `SessionDep` gives)."""
        async with request_session(self.sessionmaker) as session:
            yield session


async def get_polled_read(request: Request) -> PolledRead:
    """The app's read engine and read-only sessions (writers, in an app that built none)."""
    state = request.app.state
    if hasattr(state, "read_sessionmaker") and hasattr(state, "read_engine"):
        return PolledRead(state.read_engine, state.read_sessionmaker)
    return PolledRead(state.engine, state.sessionmaker)


# async: FastAPI runs a plain `def` dependency in a worker thread (a tenth of a 304's cost).
PolledReadDep = Annotated[PolledRead, Depends(get_polled_read)]

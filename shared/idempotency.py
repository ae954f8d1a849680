"""`Idempotency-Key` for retried writes: the first response is stored and replayed (overview).

Reusable by any service:

1. Mix the table into the service's Base and add it to a migration::

       class IdempotencyKey(IdempotencyKeyMixin, Base):
           pass

2. In a route, run the work through `run_once` inside the request's session::

       outcome = await run_once(
           session, IdempotencyKey.__table__,
           scope=f"POST /v1/ratings|{caller.credential_id}",
           key=idempotency_key,            # the header value, or None
           request_hash=hash_json(body),   # what "the same request" means
           work=lambda: create_rating(...),  # returns (status, JSON body)
       )
       return replay_response(outcome)

Semantics. No key: the work just runs. A new key: the key is claimed (a row inserted with
status 0), the work runs, and its status and JSON body are written to the row, all in the
caller's transaction, so the rating and its stored response commit or roll back together.
A work that raises stores nothing: a retry runs it again (and fails again the same way). A
known key with the same request hash: the stored status and body come back (`replayed`), the
work does not run. A known key with another request hash: 409.

Concurrent duplicates are resolved by the primary key (scope, key): on PostgreSQL the second
claim waits on the first transaction's uncommitted row, then finds it committed and replays
it (or claims the key itself if the first rolled back); on SQLite writers are serialised by
`BEGIN IMMEDIATE`, so the second request sees the committed row. `scope` should name the route
and the client (e.g. the credential), so two clients' keys never collide or leak responses.
Rows are kept; `purge_before` deletes old ones (a housekeeping job decides the retention).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import Response

from shared.db import UtcDateTime
from shared.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
IN_PROGRESS = 0
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as header values allow

Work = Callable[[], Awaitable[tuple[int, Any]]]


class IdempotencyKeyMixin:
    """Mix into a service's Base: one row per (scope, key) with the stored first response."""

    __tablename__ = "idempotency_key"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


@dataclass(frozen=True)
class Outcome:
    """The response to send: fresh from the work, or replayed from the first request."""

    status: int
    body: Any
    replayed: bool


def dumps(value: object, *, sort_keys: bool = False) -> bytes:
    """Compact JSON: orjson, or the standard library for what orjson refuses (integers
    beyond 64 bits, which JSON allows)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
        return text.encode()


def hash_json(value: object) -> str:
    """SHA-256 of a JSON value in canonical form (sorted keys), so re-serialised retries match."""
    return hashlib.sha256(dumps(value, sort_keys=True)).hexdigest()


def check_key(key: str) -> str:
    """422 unless the key is 1-255 visible ASCII characters."""
    if not _KEY.match(key):
        raise InvalidInput(
            f"{HEADER} must be 1-255 visible ASCII characters",
            pointer=f"#header/{HEADER}",
        )
    return key


async def run_once(
    session: AsyncSession,
    table: Table,
    *,
    scope: str,
    key: str | None,
    request_hash: str,
    work: Work,
) -> Outcome:
    """Run `work` once per (scope, key): replay its stored response for a same-body retry,
    409 for a different body; the stored response commits with the work (overview)."""
    if key is None:
        status, body = await work()
        return Outcome(status, body, replayed=False)
    check_key(key)
    if not await _claim(session, table, scope, key, request_hash):
        return await _replay(session, table, scope, key, request_hash)
    status, body = await work()
    await session.execute(
        update(table)
        .where(table.c.scope == scope, table.c.key == key)
        .values(status=status, response=body)
    )
    return Outcome(status, body, replayed=False)


async def _claim(session: AsyncSession, table: Table, scope: str, key: str, digest: str) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = {"scope": scope, "key": key, "request_hash": digest, "status": IN_PROGRESS}
    stmt = insert(table).values(row).on_conflict_do_nothing().returning(table.c.key)
    return (await session.execute(stmt)).first() is not None


async def _replay(
    session: AsyncSession, table: Table, scope: str, key: str, digest: str
) -> Outcome:
    row = (
        await session.execute(
            select(table.c.request_hash, table.c.status, table.c.response).where(
                table.c.scope == scope, table.c.key == key
            )
        )
    ).one()
    if row.request_hash != digest:
        raise Conflict(
            f"{HEADER} {key!r} was already used with a different request body; "
            "use a new key for a new request"
        )
    if row.status == IN_PROGRESS:  # only visible if a claim were committed without its work
        raise Conflict(f"the request with {HEADER} {key!r} is still in progress; retry later")
    return Outcome(row.status, row.response, replayed=True)


def replay_response(outcome: Outcome) -> Response:
    """The JSON response for an outcome; a replay carries `Idempotency-Replayed: true`."""
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return Response(
        dumps(outcome.body),
        status_code=outcome.status,
        headers=headers,
        media_type="application/json",
    )


async def purge_before(session: AsyncSession, table: Table, cutoff: datetime) -> int:
    """Delete keys created before `cutoff`; returns how many (retention is the caller's)."""
    result = await session.execute(delete(table).where(table.c.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)

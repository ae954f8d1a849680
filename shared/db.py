"""Declarative base, engine factory and the per-request session dependency."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    MetaData,
    TypeDecorator,
    bindparam,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection, Dialect, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger("shared.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware timestamps in and out on every database (SQLite keeps no zone: store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None or value.tzinfo is UTC:
            return value  # asyncpg already gives UTC: by far the most frequent case
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_metadata() -> MetaData:
    """A MetaData with the project's constraint naming convention (one per service)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


# A JSON document column: JSONB on PostgreSQL, JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class ServiceBase(DeclarativeBase):
    """Marker base; each service declares `class Base(ServiceBase)` with its own metadata."""

    __abstract__ = True


# Execution option marking a read-only engine (see `make_read_sessionmaker`).
READ_ONLY = "read_only"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlySessionError(RuntimeError):
    """A read-only session (a GET/HEAD/OPTIONS request's) tried to write: a bug in the route.
    Give the route a writer session with `WriterSessionDep`, or move the write."""


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    # The driver's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL (asyncio)").
    dbapi_connection.isolation_level = None
    # WAL lets readers go on while the one writer commits; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    record.info["query_only"] = False


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that reads and then writes
    # fails at once (SQLITE_BUSY_SNAPSHOT, busy_timeout does not help) if another writer
    # committed in between. Reads take none: in WAL mode a deferred transaction reads its
    # snapshot without waiting for the writer, and `query_only` makes a write in it fail
    # instead of upgrading to a write lock behind the writer's back.
    read_only = bool(conn.get_execution_options().get(READ_ONLY))
    info = conn.connection.info  # lives as long as the pooled DBAPI connection
    if info.get("query_only", False) != read_only:
        conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        info["query_only"] = read_only
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_read_only_violation(context: ExceptionContext) -> BaseException | None:
    conn = context.connection
    if (
        conn is not None
        and conn.get_execution_options().get(READ_ONLY)
        and "readonly database" in str(context.original_exception)
    ):
        return ReadOnlySessionError(
            f"a read-only session tried to write ({context.statement}); "
            "give the route WriterSessionDep or move the write"
        )
    return None


def _json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        # orjson stops at 64-bit integers; the standard library writes any integer exactly.
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""
    kwargs.setdefault("json_serializer", _json_dumps)  # JSON columns: orjson is much faster
    kwargs.setdefault("json_deserializer", json.loads)  # exact for integers of any size
    if url.startswith("sqlite"):
        if ":memory:" not in url and "mode=memory" not in url:
            # A file database gets a queue pool (aiosqlite: a thread per connection): enough
            # connections that concurrent readers run at once instead of queueing for one,
            # and kept open rather than reconnected (and re-PRAGMA'd) under a burst.
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 10)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "handle_error", _sqlite_read_only_violation)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping: it cost two round trips (BEGIN; ROLLBACK) on every checkout, more than a
    # polled read's own query. A connection found dead fails its request (a 503 to retry)
    # and SQLAlchemy then invalidates the whole pool, so the next requests reconnect.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_timeout", 5)
    kwargs.setdefault("connect_args", {"timeout": 5, "command_timeout": 30})
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Writer sessions that keep loaded objects usable after commit (SQLite: BEGIN IMMEDIATE)."""
    return async_sessionmaker(engine, expire_on_commit=False)


READ_POOL_SIZE = 20


def make_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine read-only sessions use. SQLite: the same pool, each transaction deferred
    with `query_only` (never waits for a writer; a write fails with `ReadOnlySessionError`).
    PostgreSQL: a pool of its own whose connections autocommit (no BEGIN / COMMIT round
    trips around a read; each statement reads its own snapshot, as under READ COMMITTED
    anyway) and are read-only on the server (`default_transaction_read_only`), so a write
    from a read is refused (SQLSTATE 25006), never committed on its own."""
    if engine.get_execution_options().get(READ_ONLY):
        return engine  # already one
    if engine.dialect.name != "postgresql":
        return engine.execution_options(**{READ_ONLY: True})
    return make_engine(
        engine.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        # The same 20 connections at most as a writer pool, but all kept: under dashboards'
        # bursts an overflow connection was opened, its statements prepared again, and closed
        # on return, over and over (bench/scale.py's load phase).
        pool_size=READ_POOL_SIZE,
        max_overflow=0,
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            "server_settings": {"default_transaction_read_only": "on"},
        },
    ).execution_options(**{READ_ONLY: True})


async def fill_read_pool(engine: AsyncEngine) -> int:
    """Open the PostgreSQL read pool's connections at start-up, all at once, and keep them
    (issue 13): the first burst of dashboards' polls otherwise opened them one by one inside
    requests (connection set-up, the driver's type codecs), the slowest polls of a load's first
    seconds. Best effort: a server not reachable yet is left to the first requests (and the
    readiness check). Returns how many connections were opened."""
    if engine.dialect.name != "postgresql":
        return 0
    size = engine.sync_engine.pool.size()  # type: ignore[attr-defined]
    opened = await asyncio.gather(*(engine.connect() for _ in range(size)), return_exceptions=True)
    failed = [r for r in opened if isinstance(r, BaseException)]
    for conn in opened:
        if isinstance(conn, AsyncConnection):
            await conn.close()  # back to the pool, open
    if failed:
        log.warning("read pool not filled at start-up: %s", failed[0])
    return len(opened) - len(failed)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Read-only sessions on `make_read_engine(engine)` (pass the read engine to share it)."""
    return async_sessionmaker(make_read_engine(engine), expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database does not answer `SELECT 1` (a read: no write lock on SQLite)."""
    async with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        await conn.execute(text("SELECT 1"))


@asynccontextmanager
async def request_session(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of `maker` that commits when its block ends well and rolls back otherwise."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit on success, roll back on any error. A GET, HEAD or
    OPTIONS request gets a read-only session (`make_read_sessionmaker`), any other a writer."""
    state = request.app.state
    # An app that built no read sessionmaker (a test's own app) gets writers throughout.
    reads = request.method in SAFE_METHODS and hasattr(state, "read_sessionmaker")
    maker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if reads else state.sessionmaker
    )
    async with request_session(maker) as session:
        yield session


async def get_writer_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A writer session whatever the method: for a GET that must write."""
    async with request_session(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is
# answered as an error instead of after a 2xx already went out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
WriterSessionDep = Annotated[AsyncSession, Depends(get_writer_session, scope="function")]


def dialect_name(session: AsyncSession) -> str:
    """'sqlite' or 'postgresql' for the session's bind."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.dialect.name


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (PostgreSQL only), for the few
    bulk statements of a hot path: its rows go straight into plain dataclasses and COPY
    streams rows in, with none of SQLAlchemy's per-row result work (a fifth of the event
    applier's CPU, bench/warnings.py). Same transaction, same connection settings (the JSON
    codecs SQLAlchemy registered on connect: `jsonb` in and out as text / parsed values)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_xact_lock` from a lock name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_keys(session: AsyncSession, keys: Iterable[str]) -> None:
    """Hold transaction-scoped locks on these entity keys until the transaction ends,
    waiting for any other holder (PostgreSQL advisory locks, issue 14). Taken in one sorted
    sweep, so two transactions that lock up front never deadlock. SQLite needs nothing: its
    writers are one at a time (BEGIN IMMEDIATE)."""
    if dialect_name(session) != "postgresql":
        return
    ids = sorted({advisory_key(k) for k in keys})
    if ids:
        await session.execute(_LOCK_KEYS, {"keys": ids})


# unnest yields the (sorted) array in order: the locks are taken in that order.
_LOCK_KEYS = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(:keys) AS k").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger))
)

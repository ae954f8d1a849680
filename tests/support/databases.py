"""Fresh, migrated databases for tests: SQLite files or PostgreSQL databases from templates.

Migrating once per service into a template (a file for SQLite, `CREATE DATABASE ... TEMPLATE`
for PostgreSQL) and copying it per test keeps every test on its own clean database, fast.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.migrate import upgrade

_templates: dict[tuple[str, str], str] = {}
_lock = asyncio.Lock()


def postgres_base_url() -> str:
    """The test server's URL without a database (set by scripts/test.sh)."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "TEST_POSTGRES_URL is not set: run the suite with `make test`, which starts the "
            "test PostgreSQL server (scripts/postgres.sh)",
            pytrace=False,
        )
    return url.rstrip("/")


def _dsn(database: str) -> str:
    url = make_url(postgres_base_url()).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_dsn("postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fresh_database(service: str, backend: str, tmp_path: Path) -> str:
    """A new database with `service`'s migrations applied; returns its SQLAlchemy URL."""
    async with _lock:
        template = _templates.get((service, backend))
        if template is None:
            template = await _make_template(service, backend, tmp_path)
            _templates[(service, backend)] = template
    if backend == "sqlite":
        path = tmp_path / f"{service}-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    name = f"t_{service}_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{postgres_base_url()}/{name}"


async def _make_template(service: str, backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        directory = tmp_path.parent / "templates"
        directory.mkdir(exist_ok=True)
        path = directory / f"{service}.db"
        path.unlink(missing_ok=True)
        await asyncio.to_thread(upgrade, service, f"sqlite+aiosqlite:///{path}")
        return str(path)
    name = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, service, f"{postgres_base_url()}/{name}")
    return name


async def drop_test_databases() -> None:
    """Remove every database this run created (the server itself is thrown away too)."""
    if not os.environ.get("TEST_POSTGRES_URL"):
        return
    conn = await asyncpg.connect(_dsn("postgres"))
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' OR datname LIKE 'tmpl\\_%'"
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()

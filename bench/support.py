"""What the bench modules share besides the table: throwaway databases on the test PostgreSQL
server and a nearest-rank percentile."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url


async def postgres_database(base_url: str, name: str, *, drop: bool = False) -> str:
    """Create (or drop) a throwaway database on the test server; its SQLAlchemy URL."""
    dsn = make_url(base_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        if drop:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{base_url.rstrip('/')}/{name}"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q`th percentile (0-100) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

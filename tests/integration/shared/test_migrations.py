"""Every service's migrations run up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect

from shared.db import make_engine
from shared.migrate import MIGRATED_SERVICES, downgrade, upgrade
from tests.support.databases import fresh_database

EXPECTED = {
    "scoring": {"scoring_model", "rating", "idempotency_key", "outbox_event"},
    "officers": {"org_node", "officer"},
    "warnings": {"event_record", "processed_event"},
    "gateway": {"credential", "gateway_policy"},
}


async def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", MIGRATED_SERVICES)
async def test_migrations_up_down_up(service: str, backend: str, tmp_path: Path) -> None:
    url = await fresh_database(service, backend, tmp_path)  # already at head
    assert EXPECTED[service] <= await tables(url)
    assert f"alembic_version_{service}" in await tables(url)

    await asyncio.to_thread(downgrade, service, url, "base")
    assert not (EXPECTED[service] & await tables(url))
    await asyncio.to_thread(upgrade, service, url)
    assert EXPECTED[service] <= await tables(url)

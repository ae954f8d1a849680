"""Reading warnings back for comparisons, and the embedded reference run of a stream."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.support.apps import serve
from tests.support.databases import fresh_database

# Kafka orders a loan's events within a topic, not across topics: a classification (loan
# topic) may be applied before or after a repayment (repayment topic), so the balance a warning
# records, and the deadlines that follow from it, may differ from the direct application. What
# must not differ is which warnings exist, at which level, about what, and where.
FIELDS = ("kind", "level", "state", "loan_id", "borrower_id", "org")


async def warnings_of(client: httpx.AsyncClient) -> list[tuple[Any, ...]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/warnings", params=params)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return sorted(tuple(w[f] for f in FIELDS) for w in items)


async def applied_count(client: httpx.AsyncClient, event_id: str) -> bool:
    return (await client.get(f"/v1/events/{event_id}")).status_code == 200


async def wait_applied(client: httpx.AsyncClient, event_id: str, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if await applied_count(client, event_id):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{event_id} not applied within {timeout_s}s")


async def reference(events: list[dict[str, Any]], tmp_path: Path) -> list[tuple[Any, ...]]:
    """The warnings the same events give when applied at once (embedded mode)."""
    url = await fresh_database("warnings", "sqlite", tmp_path)
    async with serve(create_app(Settings(database_url=url, sweep_interval_s=0))) as client:
        for start in range(0, len(events), 200):
            response = await client.post("/v1/events", json=events[start : start + 200])
            assert response.status_code == 202, response.text
        return await warnings_of(client)

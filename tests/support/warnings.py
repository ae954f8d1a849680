"""Reading warnings back for comparisons, and the embedded reference run of a stream."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
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


LEVELS = ("yellow", "orange", "red")
OPEN_STATES = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")


def summary_by_brute_force(
    items: list[dict[str, Any]], org: str, now: datetime, soon: timedelta
) -> dict[str, Any]:
    """The summary document counted one warning at a time, from the API's own fields."""
    mine = [
        w
        for w in items
        if w["state"] in OPEN_STATES and (w["org"] == org or w["org"].startswith(org + "/"))
    ]
    overdue = due_soon = 0
    by_branch: dict[str, int] = {}
    for w in mine:
        late = w["branch_overdue"] or w["head_office_overdue"]
        for step in ("branch", "head_office"):
            deadline = w[f"{step}_deadline"]
            if deadline is None or w[f"{step}_reported_at"] is not None:
                continue
            at = datetime.fromisoformat(deadline)
            due_soon += now <= at <= now + soon
            late = late or at < now
        overdue += late
        branch = "/".join(w["org"].split("/")[:2])
        by_branch[branch] = by_branch.get(branch, 0) + 1
    return {
        "org": org,
        "open_by_level": {
            lvl: sum(w["level"] == lvl for w in mine) for lvl in ("yellow", "orange", "red")
        },
        "open_by_state": {s: sum(w["state"] == s for w in mine) for s in OPEN_STATES},
        "overdue": overdue,
        "due_soon": due_soon,
        "updates_missing": sum(bool(w["updates_missing"]) for w in mine),
        "by_branch": dict(sorted(by_branch.items())),
    }

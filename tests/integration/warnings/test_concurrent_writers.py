"""Concurrent writers (W4, W18): event batches, escalations, reports and manual warnings at
the same time never answer 500 and end as the same events applied one after the other."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.integration.warnings.conftest import START, Bank
from tests.support.apps import serve
from tests.support.databases import fresh_database
from tests.support.warnings import warnings_of

CONTENT = {"situation": "sales collapsed", "cause": "lost main customer", "measures": "collect"}
SINCE = ("2026-11-09", "2026-10-01", "2026-07-01", "2026-11-01", "2026-09-15")  # y, o, r, y, o


def setup(bank: Bank) -> list[dict[str, Any]]:
    """Three borrowers in one group (W1e) with a loan each, one of them already warned."""
    return [
        bank.disbursed("L1", "B1", "2000000", "2027-06-30", body={"group_id": "G1"}),
        bank.disbursed("L2", "B2", "700000", "2027-06-30", body={"group_id": "G1"}),
        bank.disbursed("L3", "B3", "500000", "2027-06-30", body={"group_id": "G1"}),
        bank.event("interest.arrears", {"amount": "1", "since": "2026-11-09"}, loan_id="L2"),
    ]


def burst(bank: Bank, size: int) -> list[dict[str, Any]]:
    """`size` single events about the same loan and the same borrower group."""
    events: list[dict[str, Any]] = []
    for i in range(size):
        match i % 5:
            case 0 | 1:
                body = {"amount": "1", "since": SINCE[i % len(SINCE)]}
                events.append(bank.event("interest.arrears", body, loan_id="L1"))
            case 2:
                body = {"amount": "1", "since": SINCE[i % 3]}
                events.append(bank.event("interest.arrears", body, loan_id="L2"))
            case 3:
                five = ("special_mention", "substandard", "loss")[i % 3]
                body = {"five_class": five, "predicted": True}
                events.append(bank.event("loan.classified", body, loan_id="L3"))
            case _:
                body = {"kind": "major_lawsuit"}
                events.append(bank.event("borrower.major_event", body, borrower_id=f"B{i % 3 + 1}"))
    return events


async def run_all(
    client: httpx.AsyncClient,
    events: list[dict[str, Any]],
    warning_id: str,
    *,
    concurrently: bool,
) -> list[httpx.Response]:
    """POST every event (twice for a few: a producer retry), report the warned loan to the
    branch and raise a warning by hand; all at once or one after the other."""
    manual = {"kind": "major_event", "level": "red", "org": "HO/GZ/LS03", "borrower_id": "B2"}
    calls: list[Callable[[], Awaitable[httpx.Response]]] = [
        *(lambda e=e: client.post("/v1/events", json=e) for e in events + events[:3]),
        lambda: client.post(
            f"/v1/warnings/{warning_id}/reports", json={"step": "branch", "content": CONTENT}
        ),
        lambda: client.post("/v1/warnings", json=manual),
    ]
    if concurrently:
        return list(await asyncio.gather(*(call() for call in calls)))
    return [await call() for call in calls]


async def arrears_on(bank: Bank, loan: str) -> dict[str, Any]:
    (warning,) = [w for w in await bank.warnings(limit=500) if w["loan_id"] == loan]
    return warning


async def history_actions(client: httpx.AsyncClient, loan: str) -> list[str]:
    items = (await client.get("/v1/warnings", params={"limit": 500})).json()["items"]
    (warning,) = [w for w in items if w["loan_id"] == loan and w["kind"] == "interest_arrears"]
    detail = (await client.get(f"/v1/warnings/{warning['id']}")).json()
    return [h["action"] for h in detail["history"]]


async def test_w4_w18_concurrent_writers_never_500_and_match_sequential(
    bank: Bank, backend: str, tmp_path: Path
) -> None:
    await bank.post(*setup(bank))
    warned = await arrears_on(bank, "L2")
    bank.at(START + timedelta(hours=1))
    events = burst(bank, 40)
    answers = await run_all(bank.client, events, warned["id"], concurrently=True)
    assert [(r.status_code, r.text) for r in answers if r.status_code >= 300] == []
    for event in events:
        assert (await bank.client.get(f"/v1/events/{event['event_id']}")).status_code == 200
    # Nothing doubled: one history entry per arrears signal on L1 (raised, escalated, recorded).
    on_l1 = [e for e in events if e["type"] == "interest.arrears" and e.get("loan_id") == "L1"]
    assert len(await history_actions(bank.client, "L1")) == len(on_l1)

    ref_path = tmp_path / "sequential"
    ref_path.mkdir()
    url = await fresh_database("warnings", backend, ref_path)
    app = create_app(Settings(database_url=url, sweep_interval_s=0))
    app.state.clock.freeze(START)
    async with serve(app) as client:
        ref = Bank(app, client, count(1))
        await ref.post(*setup(ref))
        ref_warned = await arrears_on(ref, "L2")
        ref.at(START + timedelta(hours=1))
        for response in await run_all(client, events, ref_warned["id"], concurrently=False):
            assert response.status_code < 300, response.text
        assert await warnings_of(bank.client) == await warnings_of(client)


@pytest.mark.parametrize("size", [30])
async def test_w18_the_same_open_warning_raised_at_once_is_raised_once(
    bank: Bank, size: int
) -> None:
    await bank.post(bank.disbursed("L9", "B9", "2000000", "2027-06-30"))
    events = [
        bank.event("interest.arrears", {"amount": "1", "since": SINCE[i % 3]}, loan_id="L9")
        for i in range(size)
    ]
    answers = await asyncio.gather(*(bank.client.post("/v1/events", json=e) for e in events))
    assert [(r.status_code, r.text) for r in answers if r.status_code != 202] == []
    warning = await arrears_on(bank, "L9")
    assert warning["level"] == "red"
    assert len(await history_actions(bank.client, "L9")) == size

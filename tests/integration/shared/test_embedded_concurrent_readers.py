"""Issue 13, item 5: in embedded mode (the four services as processes on SQLite, as `make run`)
32 concurrent readers through the gateway all get answers while a writer posts events. Reads are
deferred WAL transactions that never wait for the writers' `BEGIN IMMEDIATE`, so none of them
is a 503 "database is locked". No timing is asserted here: speed is measured in bench/."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.officers import seed
from tests.support.processes import embedded_stack

pytestmark = pytest.mark.e2e

ADMIN_KEY = "readers-admin-key"
SH = ZoneInfo("Asia/Shanghai")
READERS = 32
READ_FOR_S = 4.0
WRITE_BATCH = 100  # loans per posted batch
READS = (
    "/warnings/v1/summary",
    "/warnings/v1/warnings",
    "/warnings/v1/deadlines",
    "/officers/v1/officers",
)


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[str]:
    """The four services as processes on SQLite (`make run`'s setup); the gateway's URL."""
    async with embedded_stack(tmp_path, admin_key=ADMIN_KEY) as url:
        yield url


def loan_events(loan: str, *, days: int) -> list[dict[str, Any]]:
    """A disbursed loan `days` in interest arrears: a warning."""
    now = datetime.now(SH)
    base = {"loan_id": loan, "org": "HO/GZ/LS03", "occurred_at": now.isoformat()}
    since = (now - timedelta(days=days - 1)).date().isoformat()
    return [
        base
        | {
            "event_id": f"d-{loan}",
            "type": "loan.disbursed",
            "borrower_id": f"B-{loan}",
            "body": {"amount": "2000000", "maturity_date": "2030-06-30"},
        },
        base
        | {
            "event_id": f"a-{loan}",
            "type": "interest.arrears",
            "body": {"amount": "5200", "since": since},
        },
    ]


async def reader_key(gateway: str) -> str:
    """An admin key with a rate limit of its own high enough that G5 never answers 429 here."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=gateway, headers=admin, timeout=30) as client:
        issued = await client.post(
            "/v1/credentials",
            json={
                "name": "concurrent readers",
                "roles": ["admin"],
                "org": "HO",
                "rate_limit": {"rate_per_s": 100_000, "burst": 1_000_000},
            },
        )
        assert issued.status_code == 201, issued.text
        key: str = issued.json()["key"]
        return key


async def test_issue13_32_concurrent_readers_get_answers_while_a_writer_posts_events(
    embedded: str,
) -> None:
    key = await reader_key(embedded)
    auth = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=READERS + 1, max_keepalive_connections=READERS + 1)
    async with httpx.AsyncClient(
        base_url=embedded, headers=auth, timeout=30, limits=limits
    ) as client:
        async with httpx.AsyncClient(
            base_url=embedded + "/officers", headers=auth, timeout=30
        ) as officers:
            await seed(officers, {"OF-A": "HO/GZ/LS03", "OF-B": "HO/GZ/LS03"})
        for n in range(10):
            posted = await client.post("/v1/events", json=loan_events(f"L-{n}", days=40))
            assert posted.status_code == 202, posted.text

        reads: Counter[tuple[str, int]] = Counter()
        writes: Counter[int] = Counter()
        failures: list[str] = []
        until = time.monotonic() + READ_FOR_S

        async def reader(i: int) -> None:
            path = READS[i % len(READS)]
            while time.monotonic() < until:
                answer = await client.get(path)
                reads[(path, answer.status_code)] += 1
                if answer.status_code not in (200, 304) and len(failures) < 5:
                    failures.append(f"GET {path}: {answer.status_code} {answer.text[:300]}")

        async def writer() -> None:
            n = 0
            while time.monotonic() < until:
                # A batch of loans per post: each holds the write lock a while, as a real
                # producer's batch does (readers that took the lock too waited and got 503s).
                batch = [e for i in range(WRITE_BATCH) for e in loan_events(f"W-{n}-{i}", days=40)]
                answer = await client.post("/v1/events", json=batch)
                writes[answer.status_code] += 1
                if answer.status_code != 202 and len(failures) < 5:
                    failures.append(f"POST /v1/events: {answer.status_code} {answer.text[:300]}")
                n += 1

        await asyncio.gather(writer(), *(reader(i) for i in range(READERS)))

    assert not failures, (failures, reads, writes)
    assert {status for _, status in reads} <= {200, 304}, reads
    assert {path for path, _ in reads} == set(READS)
    assert set(writes) == {202}, writes

"""W18 / W19: the Kafka broker killed while events flow and restarted on the same ports and
data. The warnings and officers consumers resume by themselves (the services are never
restarted) and end with the same warnings and the same ledger as an uninterrupted run; a
producer posting while the broker is down gets a 503 problem document, and the same post
succeeds once the broker is back (applied once, however often it was tried)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.test_consumer_killed import produce_stream
from tests.support.auth import ADMIN, CallerAuth
from tests.support.faults import (
    AUTH,
    ledger_events,
    ledger_reference,
    ledger_state,
    not_running,
    wait_until,
    warnings_counts,
)
from tests.support.processes import ServiceProcess
from tests.support.streams import mixed_stream
from tests.support.warnings import reference, warnings_of

pytestmark = pytest.mark.faults


async def test_w18_w19_broker_killed_mid_stream_consumers_resume_nothing_lost_or_doubled(
    start_stack: Any, servers: Any, tag: str, tmp_path: Path
) -> None:
    events = mixed_stream(tag, 500)
    first, posted, last = (
        events[: len(events) * 6 // 10],
        events[len(events) * 6 // 10 : len(events) * 7 // 10],
        events[len(events) * 7 // 10 :],
    )
    expected_warnings = await reference(events, tmp_path)
    expected_ledger = await ledger_reference(events, tmp_path, tag)
    stack: dict[str, ServiceProcess] = await start_stack(
        "warnings", "officers", gateway=True, max_records=10
    )
    warnings_db = stack["warnings"].env["WARNINGS_DATABASE_URL"]
    officers_db = stack["officers"].env["OFFICERS_DATABASE_URL"]
    prefix = f"f{tag}."
    await produce_stream(servers.bootstrap, prefix, first)

    async def flowing() -> bool:
        return (await warnings_counts(warnings_db, tag))[0] >= len(first) // 4

    await wait_until(flowing, timeout_s=90, what="events flowing", every_s=0.02)
    await asyncio.to_thread(servers.kafka.kill)
    at_kill = (await warnings_counts(warnings_db, tag))[0]
    assert 0 < at_kill < len(events)

    gateway = stack["gateway"].url
    async with httpx.AsyncClient(base_url=gateway, headers=AUTH, timeout=40) as client:
        # W19: the broker is down: a clear 503 problem document, within the request timeout.
        down = await client.post("/v1/events", json=posted)
        assert down.status_code == 503, down.text
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["status"] == 503
        assert "W19" in down.json()["detail"]
        assert down.headers["retry-after"]
        not_ready = await client.get(stack["warnings"].url + "/readyz")
        assert not_ready.status_code == 503
        assert "kafka" in not_ready.json()["problems"]

        await asyncio.to_thread(servers.kafka.restart)

        # The producer retries the same batch until it is accepted.
        async def accepted() -> bool:
            response = await client.post("/v1/events", json=posted)
            assert response.status_code in (202, 503), response.text
            return response.status_code == 202

        await wait_until(accepted, timeout_s=90, what="the retried post to be accepted")
    await produce_stream(servers.bootstrap, prefix, last)

    async def warnings_done() -> bool:
        return (await warnings_counts(warnings_db, tag))[0] >= len(events)

    async def ledger_done() -> bool:
        state = await ledger_state(officers_db, tag)
        return bool(state["processed"] >= expected_ledger["processed"])

    await wait_until(warnings_done, timeout_s=120, what="warnings to apply the whole stream")
    await wait_until(ledger_done, timeout_s=120, what="the ledger to apply the whole stream")
    await asyncio.sleep(1)  # a straggling redelivery would land now, before the comparison

    assert await warnings_counts(warnings_db, tag) == (len(events), len(events))
    async with httpx.AsyncClient(
        base_url=stack["warnings"].url, timeout=30, auth=CallerAuth(ADMIN)
    ) as client:
        assert await warnings_of(client) == expected_warnings
    assert await ledger_state(officers_db, tag) == expected_ledger
    assert expected_ledger["processed"] == len(ledger_events(events))
    assert not_running(stack) == []  # resumed by themselves: never restarted

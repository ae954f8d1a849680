"""PostgreSQL killed under the four services while events flow, then restarted on the same
data. Meanwhile every service answers 503 problem documents (readiness, writes, reads), never a
500; afterwards they recover by themselves (no restart) and the consumers end with every event
applied once: a batch in flight was either committed whole or redelivered, nothing half-written,
nothing dead-lettered for want of a database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.scoring.api import MODEL_EXAMPLE
from tests.faults.test_consumer_killed import produce_stream
from tests.support.auth import ADMIN, CallerAuth
from tests.support.faults import (
    AUTH,
    ledger_reference,
    ledger_state,
    not_running,
    wait_until,
    warnings_counts,
)
from tests.support.kafka import read_all
from tests.support.processes import ServiceProcess
from tests.support.streams import mixed_stream
from tests.support.warnings import reference, warnings_of

pytestmark = pytest.mark.faults

LEDGER_EVENT = {
    "type": "repayment.received",
    "occurred_at": "2026-11-02T09:30:00+08:00",
    "org": "HO/GZ/LS03",
    "body": {"principal": "1"},
}


def calls(tag: str) -> dict[str, list[tuple[str, str, Any]]]:
    """Per service, a write and a read through the gateway (method, path, JSON body)."""
    ledger = [{**LEDGER_EVENT, "event_id": f"{tag}-http-1", "loan_id": f"{tag}-L0"}]
    credential = {"name": "outage probe", "roles": ["viewer"], "org": "HO", "id": f"k{tag}"}
    return {
        "scoring": [
            ("POST", "/scoring/v1/models", MODEL_EXAMPLE),
            ("GET", "/scoring/v1/models", None),
        ],
        "officers": [
            ("POST", "/officers/v1/ledger/events", ledger),
            ("GET", "/officers/v1/orgs", None),
        ],
        "warnings": [
            ("POST", "/warnings/v1/sweeps/run", None),
            ("GET", "/warnings/v1/warnings", None),
        ],
        "gateway": [
            ("POST", "/v1/credentials", credential),
            ("GET", "/v1/credentials", None),
        ],
    }


async def send(client: httpx.AsyncClient, method: str, path: str, body: Any) -> httpx.Response:
    return await client.request(method, path, json=body)


async def test_postgres_down_is_503_everywhere_and_everything_recovers_without_restart(
    start_stack: Any, servers: Any, tag: str, tmp_path: Path
) -> None:
    events = mixed_stream(tag, 300)
    half = len(events) // 2
    expected_warnings = await reference(events, tmp_path)
    expected_ledger = await ledger_reference(events, tmp_path, tag)
    stack: dict[str, ServiceProcess] = await start_stack(
        "scoring", "officers", "warnings", gateway=True, max_records=10
    )
    warnings_db = stack["warnings"].env["WARNINGS_DATABASE_URL"]
    officers_db = stack["officers"].env["OFFICERS_DATABASE_URL"]
    prefix = f"f{tag}."
    await produce_stream(servers.bootstrap, prefix, events[:half])

    async def flowing() -> bool:
        return (await warnings_counts(warnings_db, tag))[0] >= half // 4

    await wait_until(flowing, timeout_s=90, what="events flowing", every_s=0.02)
    await asyncio.to_thread(servers.postgres.kill)
    try:
        # Events keep coming while the database is away: the consumers must hold them.
        await produce_stream(servers.bootstrap, prefix, events[half:])
        async with httpx.AsyncClient(
            base_url=stack["gateway"].url, headers=AUTH, timeout=40
        ) as client:
            for name, process in stack.items():
                ready = await client.get(process.url + "/readyz")
                assert ready.status_code == 503, (name, ready.text)
                if name != "gateway":
                    assert "database" in ready.json()["problems"], (name, ready.text)
                for method, path, body in calls(tag)[name]:
                    response = await send(client, method, path, body)
                    assert response.status_code == 503, (name, method, path, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
                    assert response.json()["status"] == 503
    finally:
        await asyncio.to_thread(servers.postgres.restart)

    async with httpx.AsyncClient(base_url=stack["gateway"].url, headers=AUTH, timeout=40) as client:

        async def all_ready() -> bool:
            codes = [(await client.get(p.url + "/readyz")).status_code for p in stack.values()]
            return all(code == 200 for code in codes)

        await wait_until(all_ready, timeout_s=60, what="every service ready again")
        for name, requests in calls(tag).items():  # the same calls now succeed
            for method, path, body in requests:
                response = await send(client, method, path, body)
                assert response.status_code in (200, 201), (name, method, path, response.text)

    progress: dict[str, Any] = {}

    async def done() -> bool:
        progress["warnings"] = await warnings_counts(warnings_db, tag)
        progress["ledger"] = (await ledger_state(officers_db, tag))["processed"]
        return bool(
            progress["warnings"][0] >= len(events)
            and progress["ledger"] >= expected_ledger["processed"] + 1
        )

    wanted = (len(events), expected_ledger["processed"] + 1)
    await wait_until(done, timeout_s=120, what=lambda: f"every event {wanted}: {progress}")
    await asyncio.sleep(1)  # a straggling redelivery would land now, before the comparison
    assert await warnings_counts(warnings_db, tag) == (len(events), len(events))
    async with httpx.AsyncClient(
        base_url=stack["warnings"].url, timeout=30, auth=CallerAuth(ADMIN)
    ) as client:
        assert await warnings_of(client) == expected_warnings
    ledger = await ledger_state(officers_db, tag)
    # The probe repayment posted over HTTP after the outage took one yuan off loan 0.
    loan0 = expected_ledger["loans"][f"{tag}-L0"]
    balance = f"{float(loan0[0]) - 1:.2f}"
    assert ledger == {
        **expected_ledger,
        "loans": {**expected_ledger["loans"], f"{tag}-L0": (balance, *loan0[1:])},
        "processed": expected_ledger["processed"] + 1,
    }
    for dlq in ("warnings-dlq", "officers-dlq"):  # nothing dead-lettered for want of a database
        assert await read_all(servers.bootstrap, prefix + dlq, timeout_s=3) == []
    assert not_running(stack) == []  # recovered by themselves: never restarted

"""The loan ledger on the real broker (O17, O22; W18 exactly-once effect): the `officers`
consumer group builds the ledger from loan and repayment events, a redelivered stream changes
nothing, and a restarted consumer resumes from its committed offsets without loss."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from services.officers.app import create_app
from services.officers.config import Settings
from tests.integration.officers.test_ledger import event, story
from tests.support.apps import serve
from tests.support.kafka import produce


def topic(e: dict[str, Any]) -> str:
    return "loan-events" if e["type"].startswith("loan.") else "repayment-events"


async def send(bootstrap: str, prefix: str, events: list[dict[str, Any]]) -> None:
    by_topic: dict[str, list[tuple[str, Any]]] = {}
    for e in events:
        by_topic.setdefault(prefix + topic(e), []).append((e["loan_id"], e))
    for name, messages in by_topic.items():
        await produce(bootstrap, name, messages)


async def wait_applied(client: httpx.AsyncClient, event_id: str, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        r = await client.get(f"/v1/ledger/processed/{event_id}")
        if r.status_code == 200 and r.json()["applied"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{event_id} not applied within {timeout_s}s")


async def balances(client: httpx.AsyncClient, loan_ids: list[str]) -> dict[str, str]:
    return {x: (await client.get(f"/v1/loans/{x}")).json()["balance"] for x in loan_ids}


async def test_o17_ledger_from_kafka_redelivery_and_restart_do_not_double_count(
    officers_db: str, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    prefix = f"t{tag}."
    settings = Settings(
        database_url=officers_db,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=prefix,
        consumer_group=f"officers-{tag}",
        consumer_max_records=3,
    )
    loans = [f"K{tag}-{i}" for i in range(4)]
    first = [e for loan in loans for e in story(loan)]
    expected = dict.fromkeys(loans, "69999.50")
    async with serve(create_app(settings)) as client:
        await send(kafka_bootstrap, prefix, first)
        for e in first:
            await wait_applied(client, e["event_id"])
        assert await balances(client, loans) == expected
        # The whole stream again (a redelivery), then a marker behind it on every loan.
        await send(kafka_bootstrap, prefix, first)
        # One marker per loan on each topic, behind every redelivered copy of that loan.
        markers = [
            event("repayment.received", loan, {"principal": "0", "interest": "1"}) for loan in loans
        ] + [event("loan.classified", loan, {"five_class": "special_mention"}) for loan in loans]
        await send(kafka_bootstrap, prefix, markers)
        for m in markers:
            await wait_applied(client, m["event_id"])
        assert await balances(client, loans) == expected

    # Events sent while no consumer runs are picked up by the next one, once.
    later = [event("repayment.received", loan, {"principal": "9999.50"}) for loan in loans]
    await send(kafka_bootstrap, prefix, later)
    async with serve(create_app(settings)) as client:
        for e in later:
            await wait_applied(client, e["event_id"])
        assert await balances(client, loans) == dict.fromkeys(loans, "60000.00")
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text

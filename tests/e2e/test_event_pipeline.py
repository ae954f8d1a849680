"""gateway -> Kafka -> warnings consumer -> PostgreSQL, with real processes (W16-W19, G1)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.auth import ADMIN, CallerAuth
from tests.support.faults import warnings_counts
from tests.support.kafka import produce
from tests.support.processes import ServiceProcess
from tests.support.streams import key_of, mixed_stream, topic_of
from tests.support.warnings import reference, warnings_of

from .conftest import AUTH, backend_env

pytestmark = pytest.mark.e2e


def missed(event_id: str, loan_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "repayment.missed",
        "occurred_at": "2026-06-30T17:00:00+08:00",
        "loan_id": loan_id,
        "org": "HO/GZ/LS03",
        "body": {"amount_due": "8800.00", "due_date": "2026-06-30"},
    }


def wait_for(check: Any, timeout_s: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_event_posted_to_gateway_reaches_warnings_through_kafka_once(
    stack: dict[str, ServiceProcess], pg_urls: dict[str, str], tag: str
) -> None:
    gateway = stack["gateway"].url
    loan = f"L-{tag}"
    with httpx.Client(base_url=gateway, timeout=10, headers=AUTH) as client:
        for process in stack.values():
            assert client.get(process.url + "/readyz").status_code == 200

        first = client.post("/v1/events", json=missed(f"{tag}-1", loan))
        assert first.status_code == 202, first.text
        assert first.json()["mode"] == "kafka"
        assert first.headers["x-request-id"]

        applied = wait_for(
            lambda: client.get(f"/warnings/v1/events/{tag}-1").status_code == 200,
            what="the warnings consumer to apply the event",
        )
        assert applied
        record = client.get(f"/warnings/v1/events/{tag}-1").json()
        assert record["loan_id"] == loan
        assert record["payload"]["body"]["amount_due"] == "8800.00"

        # The same event again, then a sentinel on the same loan (same partition, so after it).
        assert client.post("/v1/events", json=missed(f"{tag}-1", loan)).status_code == 202
        assert client.post("/v1/events", json=[missed(f"{tag}-2", loan)]).status_code == 202
        wait_for(
            lambda: client.get(f"/warnings/v1/events/{tag}-2").status_code == 200,
            what="the sentinel event",
        )
    assert await warnings_counts(pg_urls["warnings"], tag) == (2, 2)


async def test_bad_event_through_the_gateway_is_a_422_and_never_published(
    stack: dict[str, ServiceProcess], tag: str
) -> None:
    with httpx.Client(base_url=stack["gateway"].url, timeout=10, headers=AUTH) as client:
        response = client.post("/v1/events", json={**missed(f"{tag}-x", "L-1"), "org": "Mars"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["pointer"] == "/org"


async def test_gateway_answers_502_naming_the_service_when_it_is_down(
    stack: dict[str, ServiceProcess],
) -> None:
    stack["scoring"].stop()
    with httpx.Client(base_url=stack["gateway"].url, timeout=10, headers=AUTH) as client:
        response = client.get("/scoring/healthz")
    assert response.status_code == 502
    assert "scoring" in response.json()["detail"]


async def test_warnings_killed_mid_stream_loses_nothing_and_doubles_nothing(
    pg_urls: dict[str, str], kafka_bootstrap: str, tmp_path: Path, tag: str
) -> None:
    total = 12_000
    messages = [
        (f"L-{tag}-{i % 500}", missed(f"{tag}-{i:05d}", f"L-{tag}-{i % 500}")) for i in range(total)
    ]
    env = backend_env("warnings", pg_urls["warnings"], kafka_bootstrap, f"warnings-{tag}")
    await produce(
        kafka_bootstrap, env["WARNINGS_KAFKA_TOPIC_PREFIX"] + "repayment-events", messages
    )
    env["WARNINGS_CONSUMER_MAX_RECORDS"] = "40"  # many small batches, so a kill lands mid-stream
    warnings = ServiceProcess("warnings", env, tmp_path / "warnings.log").start()
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            done, _ = await warnings_counts(pg_urls["warnings"], tag)
            if done >= 400:
                break
            await asyncio.sleep(0.02)
        warnings.kill()
        at_kill, _ = await warnings_counts(pg_urls["warnings"], tag)
        assert 0 < at_kill < total, f"the kill did not land mid-stream ({at_kill} of {total})"

        warnings.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline:
            done, _ = await warnings_counts(pg_urls["warnings"], tag)
            if done >= total:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # let any straggling redelivery land before counting
        assert await warnings_counts(pg_urls["warnings"], tag) == (total, total)
    finally:
        warnings.stop()


async def test_w18_killed_mid_stream_ends_with_the_same_warnings_as_an_uninterrupted_run(
    pg_urls: dict[str, str], kafka_bootstrap: str, tmp_path: Path, tag: str
) -> None:
    prefix = f"k{tag}."
    events = mixed_stream(tag, 1500)
    expected = await reference(events, tmp_path)
    by_topic: dict[str, list[tuple[str, Any]]] = {}
    for event in events:
        by_topic.setdefault(prefix + topic_of(event), []).append((key_of(event), event))
    for topic, messages in by_topic.items():
        await produce(kafka_bootstrap, topic, messages)

    env = backend_env("warnings", pg_urls["warnings"], kafka_bootstrap, f"warnings-{tag}")
    env |= {"WARNINGS_CONSUMER_MAX_RECORDS": "20", "WARNINGS_KAFKA_TOPIC_PREFIX": prefix}
    warnings = ServiceProcess("warnings", env, tmp_path / "warnings.log").start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done, _ = await warnings_counts(pg_urls["warnings"], tag)
            if done >= len(events) // 5:
                break
            await asyncio.sleep(0.02)
        warnings.kill()
        at_kill, _ = await warnings_counts(pg_urls["warnings"], tag)
        assert 0 < at_kill < len(events), f"the kill did not land mid-stream ({at_kill})"

        warnings.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline and (await warnings_counts(pg_urls["warnings"], tag))[0] < len(
            events
        ):
            await asyncio.sleep(0.2)
        assert await warnings_counts(pg_urls["warnings"], tag) == (len(events), len(events))
        async with httpx.AsyncClient(
            base_url=warnings.url, timeout=30, auth=CallerAuth(ADMIN)
        ) as client:
            assert await warnings_of(client) == expected
    finally:
        warnings.stop()

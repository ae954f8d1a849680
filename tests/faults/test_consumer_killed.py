"""W18 / O17: the officers ledger consumer killed with SIGKILL mid-batch and started again ends
with the same ledger as an uninterrupted run: nothing lost, nothing doubled.

Every consuming service has such a test: the warnings consumer's is in tests/e2e
(test_event_pipeline.py); the officers ledger is the only other consumer group (scoring and the
gateway consume nothing).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.support.faults import ledger_events, ledger_reference, ledger_state, wait_until
from tests.support.kafka import produce
from tests.support.processes import ServiceProcess
from tests.support.streams import key_of, mixed_stream, topic_of

pytestmark = pytest.mark.faults


async def produce_stream(bootstrap: str, prefix: str, events: list[dict[str, Any]]) -> None:
    by_topic: dict[str, list[tuple[str, Any]]] = {}
    for event in events:
        by_topic.setdefault(prefix + topic_of(event), []).append((key_of(event), event))
    await asyncio.gather(*(produce(bootstrap, t, m) for t, m in by_topic.items()))


async def test_o17_w18_officers_ledger_killed_mid_batch_equals_an_uninterrupted_run(
    start_stack: Any, servers: Any, tag: str, tmp_path: Path
) -> None:
    events = ledger_events(mixed_stream(tag, 400))
    expected = await ledger_reference(events, tmp_path, tag)
    assert expected["processed"] == len(events)
    await produce_stream(servers.bootstrap, f"f{tag}.", events)

    # Small batches, so the kill lands in the middle of the stream (and likely of a batch).
    stack: dict[str, ServiceProcess] = await start_stack("officers", max_records=10)
    officers = stack["officers"]
    url = officers.env["OFFICERS_DATABASE_URL"]

    async def progressed() -> bool:
        return bool((await ledger_state(url, tag))["processed"] >= len(events) // 5)

    await wait_until(progressed, timeout_s=90, what="a fifth of the stream", every_s=0.02)
    officers.kill()
    at_kill = (await ledger_state(url, tag))["processed"]
    assert 0 < at_kill < len(events), f"the kill did not land mid-stream ({at_kill})"

    await asyncio.to_thread(officers.start, timeout_s=90)

    async def finished() -> bool:
        return bool((await ledger_state(url, tag))["processed"] >= len(events))

    await wait_until(finished, timeout_s=120, what="the whole stream after the restart")
    await asyncio.sleep(1)  # a straggling redelivery would land now, before the comparison
    assert await ledger_state(url, tag) == expected

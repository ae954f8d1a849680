"""W18: a poison message on every consumed topic, for every consumer group, lands in that
group's dead-letter topic with its reason and its original bytes, and the stream goes on."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from tests.support.auth import ADMIN, CallerAuth
from tests.support.faults import header, ledger_state, not_running, wait_until, warnings_counts
from tests.support.kafka import produce, read_all
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.faults

# Which consumer group reads which topic (services/*/consumer.py).
CONSUMED = {
    "warnings": ("loan-events", "repayment-events", "risk-events"),
    "officers": ("loan-events", "repayment-events"),
}
DLQ = {"warnings": "warnings-dlq", "officers": "officers-dlq"}


def largest_garbage(key: bytes, seed: int) -> bytes:
    """Random bytes as large as the producer and the broker's default limits let through:
    its dead letter (the same bytes plus the reason headers) is larger than that limit."""
    size = 1_048_576 - DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"", []) - 16
    return random.Random(seed).randbytes(size)


def fingerprint(raw: bytes) -> tuple[int, str]:
    """Length and digest: the dead letter must carry the original bytes, all of them."""
    return len(raw), hashlib.sha256(raw).hexdigest()[:16]


def good(tag: str, topic: str) -> dict[str, Any]:
    """A valid event for `topic`, sent after the poison on the same key."""
    base = {"occurred_at": "2026-11-02T09:30:00+08:00", "org": "HO/GZ/LS03"}
    if topic == "loan-events":
        body = {"amount": "500000", "maturity_date": "2027-11-02"}
        extra = {"type": "loan.disbursed", "borrower_id": f"{tag}-B", "body": body}
    elif topic == "repayment-events":
        extra = {"type": "repayment.received", "body": {"principal": "100"}}
    else:
        extra = {"type": "lending.violation", "body": {"kind": "rule_breaking"}}
    return {**base, **extra, "event_id": f"{tag}-good-{topic}", "loan_id": f"{tag}-L"}


def poison(tag: str, topic: str, seed: int) -> list[tuple[str, bytes]]:
    """(kind, raw bytes): malformed JSON, a wrong schema, an unknown type, oversize garbage."""
    event = good(tag, topic)
    wrong_schema = {**event, "event_id": f"{tag}-bad-{topic}", "org": 42, "body": {"x": []}}
    unknown = {**event, "event_id": f"{tag}-unk-{topic}", "type": "loan.teleported"}
    return [
        ("malformed", b'{"event_id": "' + tag.encode() + b'", "type": "loan.disb'),
        ("schema", json.dumps(wrong_schema).encode()),
        ("unknown", json.dumps(unknown).encode()),
        ("garbage", largest_garbage(f"{tag}-L".encode(), seed)),
    ]


async def test_w18_poison_on_every_topic_is_dead_lettered_with_its_bytes_and_stream_goes_on(
    start_stack: Any, servers: Any, tag: str
) -> None:
    stack: dict[str, ServiceProcess] = await start_stack("warnings", "officers", max_records=20)
    prefix, key = f"f{tag}.", f"{tag}-L"
    sent: dict[str, list[tuple[str, bytes]]] = {}
    for seed, topic in enumerate(CONSUMED["warnings"]):
        sent[topic] = poison(tag, topic, seed)
        # The poison first, then a good event on the same key (same partition, behind it).
        messages: list[tuple[str, bytes | dict[str, Any]]] = [(key, raw) for _, raw in sent[topic]]
        await produce(servers.bootstrap, prefix + topic, [*messages, (key, good(tag, topic))])

    warnings_db = stack["warnings"].env["WARNINGS_DATABASE_URL"]
    officers_db = stack["officers"].env["OFFICERS_DATABASE_URL"]
    await wait_until(
        lambda: _at_least(warnings_counts(warnings_db, f"{tag}-good"), (3, 3)),
        timeout_s=90,
        what="the good events behind the poison (warnings)",
    )
    await wait_until(
        lambda: _processed(officers_db, tag, 2),
        timeout_s=90,
        what="the good events behind the poison (officers ledger)",
    )

    for group, topics in CONSUMED.items():
        letters = await read_all(servers.bootstrap, prefix + DLQ[group], timeout_s=20)
        got = Counter((header(r, "source_topic"), fingerprint(r.value or b"")) for r in letters)
        expected = Counter((prefix + t, fingerprint(raw)) for t in topics for _, raw in sent[t])
        assert got == expected, f"{group}: {len(letters)} dead letters, wanted {len(expected)}"
        for record in letters:
            assert header(record, "reason").startswith("W18: invalid event")
            assert record.key == key.encode()
            int(header(record, "source_offset"))
    # The good events were applied once each, and the services never stopped.
    assert await warnings_counts(warnings_db, f"{tag}-good") == (3, 3)
    ledger = await ledger_state(officers_db, tag)
    assert ledger["processed"] == 2
    assert ledger["loans"][key][0] == "499900.00"
    async with httpx.AsyncClient(base_url=stack["warnings"].url, auth=CallerAuth(ADMIN)) as c:
        assert (await c.get(f"/v1/events/{tag}-good-risk-events")).status_code == 200
    assert not_running(stack) == []


async def _at_least(counts: Any, want: tuple[int, int]) -> bool:
    got = await counts
    return bool(got >= want)


async def _processed(url: str, tag: str, n: int) -> bool:
    return bool((await ledger_state(url, tag))["processed"] >= n)

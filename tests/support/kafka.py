"""Direct access to the test broker: produce raw messages, read a topic to its end, see who
is in a consumer group."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient


async def produce(
    bootstrap: str, topic: str, messages: Sequence[tuple[str, bytes | dict[str, Any]]]
) -> None:
    """Send (key, value) pairs; dict values are JSON-encoded, bytes go as they are."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        futures = []
        for key, value in messages:
            raw = value if isinstance(value, bytes) else json.dumps(value).encode()
            futures.append(await producer.send(topic, raw, key=key.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_all(
    bootstrap: str, topic: str, timeout_s: float = 5
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message on `topic` from the beginning, read with a throwaway group."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                records.extend(part)
            if not batch and records:
                break
    finally:
        await consumer.stop()
    return records


async def stable_members(bootstrap: str, group: str) -> int:
    """How many members the consumer group has once it is stable (0 while it rebalances, or
    before anybody joined): every member then holds its share of the partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    (found,) = described.to_object()["groups"]
    return len(found["members"]) if found["state"] == "Stable" else 0

"""The shared batch consumer on the real broker: dedupe, dead letters, resume (W18)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from services.warnings.models import EventRecord
from services.warnings.service import PROCESSED_TABLE, event_handler
from shared.clock import Clock
from shared.consumer import BatchConsumer, ConsumerConfig
from shared.db import make_engine, make_sessionmaker
from shared.events import as_dict, parse_event
from shared.kafka_admin import ensure_topics
from shared.transport import KafkaSink, make_producer
from tests.support.kafka import produce, read_all


def event(event_id: str, loan_id: str = "L-1") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "repayment.missed",
        "occurred_at": "2026-05-01T10:00:00+08:00",
        "loan_id": loan_id,
        "org": "HO/GZ/LS03",
        "body": {"amount_due": "1500.00", "due_date": "2026-04-30"},
    }


async def recorded_ids(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list(
                await session.scalars(select(EventRecord.event_id).order_by(EventRecord.event_id))
            )
    finally:
        await engine.dispose()


async def wait_recorded(url: str, expected: int, timeout_s: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if len(await recorded_ids(url)) >= expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"consumer did not apply {expected} events in {timeout_s}s")


async def test_w18_duplicates_dropped_poison_dead_lettered_stream_goes_on(
    warnings_db: str, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    topic, dlq, group = f"t-{tag}", f"dlq-{tag}", f"g-{tag}"
    await ensure_topics(kafka_bootstrap, [topic, dlq], partitions=3, replication=1)
    not_json = b"\x00\xffnot json at all"
    wrong_schema = {**event(f"{tag}-bad"), "org": "nowhere"}
    await produce(
        kafka_bootstrap,
        topic,
        [
            ("L-1", event(f"{tag}-1")),
            ("L-1", not_json),
            ("L-1", event(f"{tag}-2")),
            ("L-1", wrong_schema),
            ("L-1", event(f"{tag}-1")),  # redelivered by a retrying producer
        ],
    )
    engine = make_engine(warnings_db)
    producer = make_producer(kafka_bootstrap, "test")
    await producer.start()
    config = ConsumerConfig(
        bootstrap=kafka_bootstrap, group_id=group, topics=(topic,), dlq_topic=dlq, max_records=2
    )
    consumer = BatchConsumer(
        config,
        sessionmaker=make_sessionmaker(engine),
        processed_table=PROCESSED_TABLE,
        handler=event_handler(ZoneInfo("Asia/Shanghai"), Clock()),
        producer=producer,
    )
    try:
        await consumer.start()
        await wait_recorded(warnings_db, 2)
        dead = await read_all(kafka_bootstrap, dlq)
        await consumer.stop()

        assert await recorded_ids(warnings_db) == [f"{tag}-1", f"{tag}-2"]
        assert sorted(r.value for r in dead) == sorted([not_json, _json(wrong_schema)])
        for record in dead:
            headers = dict(record.headers)
            assert headers["reason"].startswith(b"W18: invalid event")
            assert headers["source_topic"] == topic.encode()

        # Redelivery of everything after a restart of the group changes nothing.
        await produce(
            kafka_bootstrap, topic, [("L-1", event(f"{tag}-2")), ("L-2", event(f"{tag}-3", "L-2"))]
        )
        again = BatchConsumer(
            config,
            sessionmaker=make_sessionmaker(engine),
            processed_table=PROCESSED_TABLE,
            handler=event_handler(ZoneInfo("Asia/Shanghai"), Clock()),
            producer=producer,
        )
        await again.start()
        await wait_recorded(warnings_db, 3)
        await again.stop()
        assert await recorded_ids(warnings_db) == [f"{tag}-1", f"{tag}-2", f"{tag}-3"]
        async with make_sessionmaker(engine)() as session:
            claimed = await session.scalar(
                select(func.count())
                .select_from(PROCESSED_TABLE)
                .where(PROCESSED_TABLE.c.consumer == group)
            )
        assert claimed == 3
    finally:
        await producer.stop()
        await engine.dispose()


async def test_w19_kafka_sink_publishes_keyed_by_loan_on_the_events_topic(
    kafka_bootstrap: str,
) -> None:
    tag = uuid.uuid4().hex[:8]
    await ensure_topics(kafka_bootstrap, ["repayment-events"], partitions=3, replication=1)
    producer = make_producer(kafka_bootstrap, "test")
    await producer.start()
    try:
        sink = KafkaSink(producer)
        assert await sink.ready()
        sent = parse_event(_json(event(f"{tag}-pub", loan_id=f"L-{tag}")))
        await sink.submit(None, [sent])  # type: ignore[arg-type]
    finally:
        await producer.stop()
    records = [
        r
        for r in await read_all(kafka_bootstrap, "repayment-events")
        if r.key == f"L-{tag}".encode()
    ]
    assert len(records) == 1
    assert as_dict(parse_event(records[0].value or b"")) == as_dict(sent)


def _json(value: dict[str, Any]) -> bytes:
    import json

    return json.dumps(value).encode()

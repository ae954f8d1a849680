"""rating.completed through the transactional outbox, relayed to the real broker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from sqlalchemy import func, insert, select

from services.scoring.app import create_app
from services.scoring.models import OutboxEvent
from shared.db import make_engine, make_sessionmaker
from shared.kafka_admin import ensure_topics
from shared.outbox import OutboxRelay
from shared.transport import make_producer
from tests.integration.scoring.conftest import (
    DEFAULT_DOC,
    Scoring,
    inputs,
    rejected_inputs,
    settings_for,
)
from tests.support.apps import serve
from tests.support.kafka import read_all

TABLE: Any = OutboxEvent.__table__


async def unsent(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
            )
            or 0
        )


async def test_outbox_embedded_mode_writes_no_rows(scoring: Scoring) -> None:
    await scoring.rate("E-1")
    assert scoring.app.state.outbox.wanted is False
    async with scoring.app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


async def test_rating_completed_is_published_for_every_stored_rating(
    scoring_db: str, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    app = create_app(
        settings_for(scoring_db, kafka_bootstrap_servers=kafka_bootstrap, outbox_poll_s=0.1)
    )
    async with serve(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        model_id = (await client.post("/v1/models", json=DEFAULT_DOC)).json()["id"]
        one = f"E-{tag}"
        posted = []
        for leaf_inputs in (inputs(), rejected_inputs(), inputs(value=0.7)):
            response = await client.post(
                "/v1/ratings",
                json={"model_id": model_id, "enterprise_id": one, "org": "HO/GZ",
                      "inputs": leaf_inputs},
            )  # fmt: skip
            assert response.status_code == 201
            posted.append(response.json())
        batch = await client.post(
            "/v1/ratings/batch",
            json={
                "model_id": model_id,
                "items": [
                    {"enterprise_id": f"B{k}-{tag}", "org": "HO/SZ", "inputs": inputs()}
                    for k in range(5)
                ],
            },
        )
        assert batch.status_code == 201
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while await unsent(app) and loop.time() < deadline:
            await asyncio.sleep(0.1)
        assert await unsent(app) == 0

    records = [r for r in await read_all(kafka_bootstrap, "rating-events") if tag.encode() in r.key]
    events = [orjson.loads(r.value) for r in records]
    assert len(events) == 8
    mine = [e for e in events if e["borrower_id"] == one]
    assert [e["body"]["rating_id"] for e in mine] == [p["id"] for p in posted]  # in order
    for event, rating in zip(mine, posted, strict=True):
        assert event["type"] == "rating.completed"
        assert event["org"] == "HO/GZ"
        assert event["body"] == {
            "rating_id": rating["id"],
            "enterprise_id": one,
            "model_id": model_id,
            "score": rating["score"],
            "grade": rating["grade"],
            "risk_level": rating["risk_level"],
            "vetoed": rating["veto"]["vetoed"],
        }
    assert mine[1]["body"]["vetoed"] is True
    by_batch = {e["body"]["rating_id"] for e in events if e["borrower_id"] != one}
    assert by_batch == {item["id"] for item in batch.json()["items"]}
    assert all(r.key.decode() == e["borrower_id"] for r, e in zip(records, events, strict=True))


async def test_outbox_relay_publishes_in_id_order_and_marks_rows_sent(
    scoring_db: str, kafka_bootstrap: str
) -> None:
    topic = f"outbox-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=1, replication=1)
    engine = make_engine(scoring_db)
    maker = make_sessionmaker(engine)
    producer = make_producer(kafka_bootstrap, "outbox-test")
    await producer.start()
    try:
        async with maker() as session, session.begin():
            rows = [
                {"topic": topic, "key": f"k{n % 7}", "payload": orjson.dumps({"n": n})}
                for n in range(1_200)
            ]
            await session.execute(insert(TABLE), rows)
        relay = OutboxRelay(TABLE, maker, producer, chunk=500)
        sent = [await relay.relay_once() for _ in range(4)]
        assert sent == [500, 500, 200, 0]
        async with maker() as session:
            marked = await session.scalar(
                select(func.count()).select_from(TABLE).where(TABLE.c.sent_at.is_not(None))
            )
            assert marked == 1_200
    finally:
        await producer.stop()
        await engine.dispose()
    records = await read_all(kafka_bootstrap, topic)
    assert [orjson.loads(r.value)["n"] for r in records] == list(range(1_200))
    assert records[8].key == b"k1"

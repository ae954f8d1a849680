"""The warnings consumer on the real broker (W16-W18): a mixed stream through Kafka ends in
exactly the warnings the same stream gives when applied directly; redelivery changes nothing;
malformed messages go to the dead-letter topic and the stream goes on."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson

from services.warnings.app import create_app
from services.warnings.config import Settings
from tests.support.apps import serve
from tests.support.kafka import produce, read_all
from tests.support.streams import key_of, mixed_stream, topic_of
from tests.support.warnings import reference, wait_applied, warnings_of


async def test_w18_mixed_stream_via_kafka_equals_direct_application_and_redelivery_is_harmless(
    warnings_db: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    prefix = f"t{tag}."
    events = mixed_stream(tag, 60)
    expected = await reference(events, tmp_path)
    assert len(expected) > 20  # the stream really raises warnings of many kinds
    assert {w[0] for w in expected} >= {
        "interest_arrears",
        "classification",
        "major_event",
        "group_contagion",
    }

    settings = Settings(
        database_url=warnings_db,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=prefix,
        consumer_group=f"g-{tag}",
        consumer_max_records=25,
        sweep_interval_s=0,
    )
    async with serve(create_app(settings)) as client:
        by_topic: dict[str, list[tuple[str, Any]]] = {}
        for event in events:
            by_topic.setdefault(prefix + topic_of(event), []).append((key_of(event), event))
        poison = [("x", b"{not json"), ("x", b'{"event_id": "p", "type": "loan.disbursed"}')]
        by_topic[prefix + "loan-events"][10:10] = poison
        for topic, messages in by_topic.items():
            await produce(kafka_bootstrap, topic, messages)
        for event in events:
            await wait_applied(client, event["event_id"])
        assert await warnings_of(client) == expected

        # The whole stream again (a redelivery): nothing changes.
        for topic, messages in by_topic.items():
            await produce(kafka_bootstrap, topic, [m for m in messages if m[0] != "x"])
        marker = {
            **events[0],
            "event_id": f"{tag}-marker",
            "type": "repayment.received",
            "body": {"principal": "0"},
        }
        await produce(kafka_bootstrap, prefix + "repayment-events", [(key_of(marker), marker)])
        await wait_applied(client, marker["event_id"])
        await asyncio.sleep(1)  # every partition has caught up with its own copy by now
        assert await warnings_of(client) == expected

        ids = {
            w["id"]
            for w in (await client.get("/v1/warnings", params={"limit": 500})).json()["items"]
        }

    # W16: every warning was announced on warning-events (raised), from the outbox.
    announced = [
        orjson.loads(r.value or b"")
        for r in await read_all(kafka_bootstrap, prefix + "warning-events")
    ]
    assert {e["body"]["warning_id"] for e in announced if e["type"] == "warning.raised"} == ids
    dead = await read_all(kafka_bootstrap, prefix + "warnings-dlq")
    assert sorted(r.value for r in dead) == sorted(p[1] for p in poison)
    assert all(dict(r.headers)["reason"].startswith(b"W18") for r in dead)


async def test_w16_api_only_replica_serves_what_a_consumer_replica_applies(
    warnings_db: str, kafka_bootstrap: str
) -> None:
    """Issue 14, deployment: the API and the consumer scale apart. A replica with
    `kafka_consume=false` never joins the consumer group (the consuming replica owns every
    partition), is ready without a consumer, and answers reads of what the consumer applied."""
    tag = uuid.uuid4().hex[:8]
    prefix = f"t{tag}."
    events = mixed_stream(tag, 12)
    common: dict[str, Any] = {
        "database_url": warnings_db,
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_topic_prefix": prefix,
        "consumer_group": f"g-{tag}",
        "sweep_interval_s": 0,
    }
    api_only = create_app(Settings(**common, kafka_consume=False))
    consuming = create_app(Settings(**common))
    async with serve(consuming), serve(api_only) as api:
        assert api_only.state.consumer is None
        ready = await api.get("/readyz")
        assert ready.status_code == 200, ready.text
        for event in events:
            await produce(kafka_bootstrap, prefix + topic_of(event), [(key_of(event), event)])
        for event in events:
            await wait_applied(api, event["event_id"])
        assert await warnings_of(api)  # the stream raised warnings, read through the API replica
        partitions = consuming.state.settings.kafka_partitions
        owned = consuming.state.consumer.consumer.assignment()
        assert len(owned) == 3 * partitions  # loan, repayment and risk events: all of them

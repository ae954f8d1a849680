"""Topic creation at start-up, so a fresh cluster works without manual steps (W16)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger("shared.kafka_admin")


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int,
    replication: int,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create the topics that do not exist yet (with `configs[topic]`, if any); existing ones
    are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [
                    NewTopic(
                        t,
                        num_partitions=partitions,
                        replication_factor=replication,
                        topic_configs=dict((configs or {}).get(t, {})),
                    )
                    for t in missing
                ]
            )
        except TopicAlreadyExistsError:
            pass  # another replica created it first
        log.info("created topics", extra={"topics": missing})
    finally:
        await admin.close()

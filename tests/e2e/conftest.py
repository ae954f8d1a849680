"""The four services as processes on the test PostgreSQL and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_database
from tests.support.processes import ServiceProcess

ADMIN_KEY = "e2e-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def pg_urls(tmp_path: Path) -> dict[str, str]:
    """A fresh migrated PostgreSQL database per service."""
    return {
        s: await fresh_database(s, "postgresql", tmp_path)
        for s in ("scoring", "officers", "warnings")
    }


def backend_env(service: str, url: str, kafka: str, group: str) -> dict[str, str]:
    prefix = service.upper()
    env = {f"{prefix}_DATABASE_URL": url, f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": kafka}
    if service == "warnings":
        env["WARNINGS_CONSUMER_GROUP"] = group
        # Topics of its own, so a test never reads what earlier tests left on the broker.
        env["WARNINGS_KAFKA_TOPIC_PREFIX"] = group + "."
    return env


@pytest.fixture
async def stack(
    pg_urls: dict[str, str], kafka_bootstrap: str, tmp_path: Path, tag: str
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """scoring, officers, warnings and the gateway in front of them, all real processes."""
    backends = {
        name: ServiceProcess(
            name,
            backend_env(name, url, kafka_bootstrap, f"warnings-{tag}"),
            tmp_path / f"{name}.log",
        )
        for name, url in pg_urls.items()
    }
    gateway_db = await fresh_database("gateway", "postgresql", tmp_path)
    gateway = ServiceProcess(
        "gateway",
        {
            **{f"GATEWAY_{n.upper()}_URL": p.url for n, p in backends.items()},
            "GATEWAY_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
            "GATEWAY_DATABASE_URL": gateway_db,
        },
        tmp_path / "gateway.log",
    )
    processes = {**backends, "gateway": gateway}
    try:
        for process in processes.values():
            process.start()
        yield processes
    finally:
        for process in processes.values():
            process.stop()

"""Fault tests: the services as processes on a PRIVATE PostgreSQL and Kafka (free ports, own
state directories), which the tests crash and restart; the shared test servers are never
touched. Both servers are started once for the directory and stopped at the end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.faults import (
    Databases,
    PrivateServer,
    gateway_env,
    private_kafka,
    private_postgres,
    service_env,
)
from tests.support.processes import ServiceProcess


@dataclass
class Servers:
    postgres: PrivateServer
    kafka: PrivateServer
    bootstrap: str
    databases: Databases


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """A private PostgreSQL and a private Kafka, started side by side, stopped at the end."""
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(private_postgres), pool.submit(private_kafka)]
    started = [job.result() for job in jobs if job.exception() is None]
    if len(started) < len(jobs):
        for server, _ in started:
            server.stop()
        for job in jobs:
            job.result()  # raises the start failure
    (pg, pg_url), (kafka, bootstrap) = started
    try:
        yield Servers(pg, kafka, bootstrap, Databases(pg_url))
    finally:
        kafka.stop()
        pg.stop()


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:10]


StartStack = Callable[..., Awaitable[dict[str, ServiceProcess]]]


@pytest.fixture
async def start_stack(servers: Servers, tmp_path: Path, tag: str) -> AsyncIterator[StartStack]:
    """Start some of scoring, officers, warnings (real processes on fresh databases) and,
    with `gateway=True`, the gateway in front of them; all stopped at the end of the test."""
    running: list[ServiceProcess] = []

    async def start(
        *names: str, gateway: bool = False, max_records: int = 50
    ) -> dict[str, ServiceProcess]:
        processes: dict[str, ServiceProcess] = {}
        for name in names:
            url = await servers.databases.fresh(name)
            env = service_env(
                name, url=url, kafka=servers.bootstrap, tag=tag, max_records=max_records
            )
            processes[name] = ServiceProcess(name, env, tmp_path / f"{name}.log")
        if gateway:
            url = await servers.databases.fresh("gateway")
            upstreams = {n: p.url for n, p in processes.items()}
            processes["gateway"] = ServiceProcess(
                "gateway", gateway_env(url, upstreams), tmp_path / "gateway.log"
            )
        running.extend(processes.values())
        backends = [p for n, p in processes.items() if n != "gateway"]
        await asyncio.gather(*(asyncio.to_thread(p.start, timeout_s=90) for p in backends))
        if gateway:
            # The gateway is ready when all three services are; with fewer, up is enough.
            whole = {"scoring", "officers", "warnings"} <= processes.keys()
            await asyncio.to_thread(processes["gateway"].start, wait_ready=whole, timeout_s=90)
        return processes

    try:
        yield start
    finally:
        for process in running:
            process.stop()

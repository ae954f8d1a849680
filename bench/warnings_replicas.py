"""Issue 14 parts of bench/warnings.py: replicas of the warnings consumer in one group, the
minimal exactly-once sink they are measured against, and a delaying proxy in front of
PostgreSQL (network latency without privileges or system changes).

Every run reads the same stream from the same topics with a consumer group and a database of
its own. Throughput is taken over the steady part of a run: from 10 % of the events committed
(and SETTLE_S after the last replica answered /readyz: the group's rebalance as each member
joins stops consumption for up to a heartbeat interval) to 90 %, as counted in
`processed_event` (or by the sink) every POLL_S.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer

from tests.support.processes import ServiceProcess

POLL_S = 0.1
SETTLE_S = 4.0  # > aiokafka's heartbeat interval (3 s): every member has rejoined by then


@dataclass(frozen=True)
class Window:
    """Committed events per second between two counts, and the seconds the whole run took."""

    eps: float
    whole_s: float


async def steady(
    count: Callable[[], Awaitable[int]],
    total: int,
    *,
    alive: Callable[[], None] = lambda: None,
    settled: Callable[[], bool] = lambda: True,
    timeout_s: float = 1800,
) -> Window:
    """Poll `count()` until `total`; the rate from 10 % (once `settled()`) to 90 % of `total`
    (the whole run if it ends before it settled)."""
    t0 = time.perf_counter()
    lo, hi = total // 10, total * 9 // 10
    at_lo = at_hi = None
    while True:
        done = await count()
        now = time.perf_counter()
        if at_lo is None and done >= lo and settled() and done < hi:
            at_lo = (now, done)
        if at_hi is None and done >= hi:
            at_hi = (now, done)
        if done >= total:
            at_lo, at_hi = (at_lo, at_hi) if at_lo and at_hi else ((t0, 0), (now, done))
            rate = (at_hi[1] - at_lo[1]) / max(at_hi[0] - at_lo[0], POLL_S)
            return Window(rate, now - t0)
        if now - t0 > timeout_s:
            raise SystemExit(f"only {done} of {total} committed after {timeout_s}s")
        alive()
        await asyncio.sleep(POLL_S)


async def replicas(
    n: int,
    *,
    env: dict[str, str],
    db: asyncpg.Connection,
    total: int,
    log_dir: Path,
    name: str,
) -> tuple[Window, list[ServiceProcess]]:
    """Start `n` warnings processes in one group (same database); the window until `total`
    events are committed. The processes are returned running (the caller stops them)."""
    procs = [ServiceProcess("warnings", env, log_dir / f"{name}-{i}.log") for i in range(n)]
    started = [asyncio.to_thread(p.start, timeout_s=120) for p in procs]
    ready_at: list[float] = []
    try:
        count = asyncio.ensure_future(
            steady(
                lambda: db.fetchval("SELECT count(*) FROM processed_event"),
                total,
                alive=lambda: _alive(procs),
                settled=lambda: bool(ready_at) and time.perf_counter() > ready_at[0] + SETTLE_S,
            )
        )
        await asyncio.gather(*started)
        ready_at.append(time.perf_counter())
        return await count, procs
    except BaseException:
        for p in procs:
            p.stop()
        raise


def _alive(procs: list[ServiceProcess]) -> None:
    for p in procs:
        if p.proc is not None and p.proc.poll() is not None:
            raise SystemExit(f"a warnings replica exited:\n{p.log_tail()}")


SINK_SCHEMA = """
CREATE TABLE sink_processed (event_id text PRIMARY KEY);
CREATE TABLE sink_event (event_id text PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL);
"""
SINK_CLAIM = """
INSERT INTO sink_processed SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING event_id
"""
SINK_ROWS = "INSERT INTO sink_event SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])"


async def minimal_sink(
    bootstrap: str, topics: list[str], group: str, dsn: str, total: int, max_records: int
) -> Window:
    """The anchor of the replicas: the database work any exactly-once consumer must do.
    `getmany`, read each event's id (orjson), in one transaction claim the ids and insert
    one row per new event, commit, then commit the offsets."""
    db = await asyncpg.connect(dsn)
    await db.execute(SINK_SCHEMA)
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    done = 0

    async def count() -> int:
        return done

    async def consume() -> None:
        nonlocal done
        while done < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=max_records)
            records = [r for part in batch.values() for r in part]
            if not records:
                continue
            values = [r.value or b"" for r in records]
            events = [orjson.loads(v) for v in values]
            ids = [e["event_id"] for e in events]
            async with db.transaction():
                fresh = {row[0] for row in await db.fetch(SINK_CLAIM, ids)}
                keep = [i for i, e in enumerate(ids) if e in fresh]
                await db.execute(
                    SINK_ROWS,
                    [ids[i] for i in keep],
                    [events[i]["type"] for i in keep],
                    [values[i].decode() for i in keep],
                )
            offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items() if recs}
            await consumer.commit(offsets)
            done += len(fresh)

    task = asyncio.ensure_future(consume())
    try:
        window = await steady(count, total, alive=lambda: _raise_if_failed(task))
        await task
        return window
    finally:
        task.cancel()
        await consumer.stop()
        await db.close()


def _raise_if_failed(task: asyncio.Future[None]) -> None:
    if task.done() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


class DelayProxy:
    """A TCP proxy that holds every chunk `delay_s` in each direction (a round trip gains
    2 x delay_s), in order: the database as if across a network, for the processes behind it."""

    def __init__(self, host: str, port: int, delay_s: float) -> None:
        self.host, self.port, self.delay_s = host, port, delay_s
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((time.perf_counter() + self.delay_s, chunk))
        finally:
            queue.put_nowait((0.0, b""))
            await sender

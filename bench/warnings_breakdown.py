"""Where a warnings replica's time goes (issue 14): the applier in-process, without Kafka.

The same stream is applied through the consumer's own path (`apply_once` with the service's
batch handler, one transaction per batch of the consumer's default size) on a fresh database,
with the garbage collector set as the consumer sets it, and each batch's wall time is split:

- parse: `parse_event` of each record's bytes (pydantic, what the consumer does per record);
- applier: the rest of this process's CPU (the rules, the batch's state, building statements,
  the driver encoding parameters and decoding rows, the garbage collector);
- database: wall time this process spent waiting for PostgreSQL (wall minus CPU: the server's
  work and the round trips; on this machine the server shares the two cores).

What is left between this in-process rate and the pipeline's is Kafka: fetching and decoding
records, the offset commits, the outbox relay.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from services.warnings.config import Settings
from services.warnings.service import PROCESSED_TABLE, event_handler
from shared.clock import Clock
from shared.consumer import GC_THRESHOLD
from shared.db import make_engine, make_sessionmaker
from shared.events import parse_event
from shared.inbox import apply_once

SH = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Breakdown:
    events: int
    batches: int
    wall_s: float
    parse_s: float
    applier_s: float
    database_s: float

    @property
    def eps(self) -> float:
        return self.events / self.wall_s

    def per_event_us(self, seconds: float) -> float:
        return seconds / self.events * 1e6


async def breakdown(url: str, events: Sequence[dict[str, Any]]) -> Breakdown:
    """Apply `events` (in stream order) to the warnings database at `url`, timed by part."""
    raw = [orjson.dumps(e) for e in events]
    size = Settings.model_fields["consumer_max_records"].default
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    handler = event_handler(SH, Clock(), None)
    parse_s = 0.0
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        for start in range(0, len(raw), size):
            t0 = time.process_time()
            batch = [parse_event(r) for r in raw[start : start + size]]
            parse_s += time.process_time() - t0
            async with maker() as session, session.begin():
                await apply_once(session, PROCESSED_TABLE, "warnings", batch, handler)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
        await engine.dispose()
    return Breakdown(
        events=len(raw),
        batches=-(-len(raw) // size),
        wall_s=wall,
        parse_s=parse_s,
        applier_s=cpu - parse_s,
        database_s=max(wall - cpu, 0.0),
    )


def describe(b: Breakdown) -> str:
    us = b.per_event_us
    return (
        f"in-process applier: {b.eps:,.0f} events/s ({us(b.wall_s):.0f} us an event: parse "
        f"{us(b.parse_s):.0f}, applier {us(b.applier_s):.0f}, database {us(b.database_s):.0f}; "
        f"batches of {b.events // b.batches})"
    )


if __name__ == "__main__":  # pragma: no cover - a quick look: python -m bench.warnings_breakdown
    import os

    from bench.support import postgres_database
    from bench.warnings import fresh_database
    from tests.support.streams import bench_stream

    async def main() -> None:
        pg = os.environ["TEST_POSTGRES_URL"].rstrip("/")
        name = f"breakdown{int(time.time())}"
        url = await fresh_database(pg, name)
        try:
            print(describe(await breakdown(url, bench_stream(name, 10_000, 100_000))))
        finally:
            await postgres_database(pg, name, drop=True)

    asyncio.run(main())

"""Replicas of a consumer in one group (issue 14): their processes, the stream's phases on
Kafka, the warnings' end state read back for comparison, and the reference run."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from services.warnings.models import (
    EarlyWarning,
    EventRecord,
    GroupMember,
    Loan,
    ParkedEvent,
    WarningHistory,
)
from services.warnings.service import PROCESSED_TABLE
from shared.db import make_engine, make_sessionmaker
from shared.kafka_admin import ensure_topics
from tests.support.kafka import produce
from tests.support.processes import ServiceProcess
from tests.support.streams import key_of, topic_of

PARTITIONS = 6


async def create_topics(bootstrap: str, prefix: str, topics: tuple[str, ...]) -> None:
    """The consumed topics with 6 partitions, before anything is produced to them."""
    await ensure_topics(
        bootstrap, [prefix + t for t in topics], partitions=PARTITIONS, replication=1
    )


async def produce_events(bootstrap: str, prefix: str, events: list[dict[str, Any]]) -> None:
    """Each event to its topic, keyed by loan (or borrower) id, in list order per topic."""
    by_topic: dict[str, list[tuple[str, Any]]] = {}
    for event in events:
        by_topic.setdefault(prefix + topic_of(event), []).append((key_of(event), event))
    await asyncio.gather(*(produce(bootstrap, t, m) for t, m in by_topic.items()))


async def trickle(
    bootstrap: str, prefix: str, events: list[dict[str, Any]], *, chunks: int, every_s: float
) -> None:
    """The events in `chunks` slices, one every `every_s`: a stream still arriving."""
    size = -(-len(events) // chunks)
    for start in range(0, len(events), size):
        await produce_events(bootstrap, prefix, events[start : start + size])
        await asyncio.sleep(every_s)


class Claims:
    """Counts the processed-event claims of ids like a prefix on one kept connection (polled
    every few milliseconds while replicas run; any consuming service's `processed_event`)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.like = prefix + "%"
        self.conn: asyncpg.Connection | None = None

    async def __call__(self) -> int:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.dsn)
        sql = "SELECT count(*) FROM processed_event WHERE event_id LIKE $1"
        return int(await self.conn.fetchval(sql, self.like))

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def distinct(events: list[dict[str, Any]]) -> int:
    return len({e["event_id"] for e in events})


async def applied_by(base_url: str) -> int:
    """Events this process's consumer applied (its /metrics), redeliveries not counted."""
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(base_url + "/metrics")).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("events_total{")
            and 'outcome="applied"' in line
            and 'source="kafka"' in line
        )
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


async def warnings_state(url: str, prefix: str) -> dict[str, Any]:
    """The warnings service's end state for ids like `prefix`, without what legitimately
    differs between runs (generated ids, processing timestamps, contagion's source id): each
    warning by (kind, subject) with its level, state, amount, deadlines and the ordered
    actions of its history; the loans, group members, parked events and event counts."""
    like = prefix + "%"
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            history: dict[str, list[tuple[str, str, str]]] = {}
            rows = await session.execute(
                select(WarningHistory.warning_id, WarningHistory.action, WarningHistory.level,
                       WarningHistory.state)
                .join(EarlyWarning, EarlyWarning.id == WarningHistory.warning_id)
                .where(EarlyWarning.subject.like(like))
                .order_by(WarningHistory.id)
            )  # fmt: skip
            for warning_id, action, level, state in rows:
                history.setdefault(warning_id, []).append((action, level, state))
            warnings: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
            for w in await session.scalars(
                select(EarlyWarning).where(EarlyWarning.subject.like(like))
            ):
                warnings.setdefault((w.kind, w.subject), []).append(
                    (
                        w.level, w.state, w.loan_id, w.borrower_id, w.org, _money(w.amount),
                        w.source, w.source_event_id, w.discovered_at, w.head_office_required,
                        w.branch_deadline, w.head_office_deadline,
                        tuple(history.get(w.id, [])),
                    )
                )  # fmt: skip
            loans = {
                x.loan_id: (_money(x.balance), x.status, x.five_class, x.tier, x.borrower_id)
                for x in await session.scalars(select(Loan).where(Loan.loan_id.like(like)))
            }
            groups = sorted(
                (m.group_id, m.borrower_id)
                for m in await session.scalars(
                    select(GroupMember).where(GroupMember.group_id.like(like))
                )
            )
            parked = sorted(
                (p.subject, p.event_id)
                for p in await session.scalars(
                    select(ParkedEvent).where(ParkedEvent.event_id.like(like))
                )
            )
            records = await session.scalar(
                select(func.count()).select_from(EventRecord).where(EventRecord.event_id.like(like))
            )
            claims = await session.scalar(
                select(func.count())
                .select_from(PROCESSED_TABLE)
                .where(PROCESSED_TABLE.c.event_id.like(like))
            )
        return {
            "warnings": {k: sorted(v, key=repr) for k, v in warnings.items()},
            "loans": loans,
            "groups": groups,
            "parked": parked,
            "records": int(records or 0),
            "processed": int(claims or 0),
        }
    finally:
        await engine.dispose()


async def warnings_reference(
    phases: list[list[dict[str, Any]]], tmp_path: Path, prefix: str
) -> dict[str, Any]:
    """The end state of one uninterrupted, in-order application of the phases (embedded
    mode: the same `handle_event` the consumer calls, W18)."""
    from services.warnings.app import create_app
    from services.warnings.config import Settings
    from tests.support.apps import serve
    from tests.support.databases import fresh_database

    url = await fresh_database("warnings", "sqlite", tmp_path)
    async with serve(create_app(Settings(database_url=url, sweep_interval_s=0))) as client:
        for events in phases:
            for start in range(0, len(events), 1000):
                response = await client.post("/v1/events", json=events[start : start + 1000])
                assert response.status_code == 202, response.text
    return await warnings_state(url, prefix)


def differences(got: dict[str, Any], expected: dict[str, Any], limit: int = 5) -> list[str]:
    """A readable account of where two end states differ (the first few of each part)."""
    out: list[str] = []
    for part in expected:
        want, have = expected[part], got.get(part)
        if want == have:
            continue
        if isinstance(want, dict) and isinstance(have, dict):
            keys = sorted(set(want) | set(have), key=repr)
            diff = [k for k in keys if want.get(k) != have.get(k)]
            out.append(f"{part}: {len(diff)} differ, e.g.")
            out += [f"  {k!r}: expected {want.get(k)!r}, got {have.get(k)!r}" for k in diff[:limit]]
        elif isinstance(want, list) and isinstance(have, list):
            out.append(
                f"{part}: missing {sorted(set(want) - set(have))[:limit]}, "
                f"extra {sorted(set(have) - set(want))[:limit]}"
            )
        else:
            out.append(f"{part}: expected {want!r}, got {have!r}")
    return out


ACTIVITY_SQL = """
SELECT client_port, pid, xact_start, state, wait_event_type, query FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
"""


@dataclass
class Overlap:
    """What `sample_transactions` saw: per sample, the replicas working in a batch at once."""

    samples: int = 0
    together: int = 0  # samples with two replicas or more working in a batch transaction
    working: dict[int, int] = field(default_factory=dict)  # samples per replica
    batches: dict[int, set[tuple[int, Any]]] = field(default_factory=dict)
    longest_s: float = 0.0  # the longest batch transaction seen


async def sample_transactions(
    url: str, processes: list[ServiceProcess], done: asyncio.Event
) -> Overlap:
    """Poll pg_stat_activity until `done`: which replica's backend (by its client port) is in
    a batch transaction (one that claimed event ids in `processed_event`) and working in it,
    i.e. not waiting for a lock another transaction holds. Two replicas working in the same
    sample had their batch transactions open at one moment, not queued behind each other."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    ports: dict[int, int] = {}
    batches: set[tuple[int, Any]] = set()  # (pid, xact_start) of transactions that claimed
    seen: dict[tuple[int, Any], tuple[Any, Any]] = {}
    out = Overlap()
    try:
        while not done.is_set():
            rows = await conn.fetch(ACTIVITY_SQL)
            now = await conn.fetchval("SELECT clock_timestamp()")
            if any(r["client_port"] not in ports for r in rows):
                ports = _ports_of(processes)
            working: set[int] = set()
            for r in rows:
                replica = ports.get(r["client_port"])
                if replica is None:
                    continue
                key = (r["pid"], r["xact_start"])
                if "processed_event" in (r["query"] or ""):
                    batches.add(key)
                seen[key] = (r["xact_start"], now)
                waiting = r["state"] == "active" and r["wait_event_type"] == "Lock"
                if key in batches and not waiting:
                    working.add(replica)
                    out.batches.setdefault(replica, set()).add(key)
            out.samples += 1
            out.together += len(working) >= 2
            for replica in working:
                out.working[replica] = out.working.get(replica, 0) + 1
            await asyncio.sleep(0.002)
    finally:
        await conn.close()
    spans = [(end - start).total_seconds() for key, (start, end) in seen.items() if key in batches]
    out.longest_s = max(spans, default=0.0)
    return out


def _ports_of(processes: list[ServiceProcess]) -> dict[int, int]:
    """Local TCP port -> index of the replica process that holds the connection."""
    ports: dict[int, int] = {}
    for index, process in enumerate(processes):
        if process.proc is None or process.proc.poll() is not None:
            continue
        try:
            for c in psutil.Process(process.proc.pid).net_connections(kind="tcp"):
                if c.laddr:
                    ports[c.laddr.port] = index
        except psutil.Error:
            continue
    return ports

"""Issue 14: replicas of a consumer in one group, on 6 partitions, one SIGKILLed mid-stream and
another joining mid-stream, end exactly as one uninterrupted in-order application of the same
stream: the same warnings with their levels, deadlines and histories (the same ledger for the
officers), every event applied once.

The stream (tests/support/streams.py `replica_stream`, over 20,000 events) has group contagion
across partitions, parked events and redeliveries, in three phases whose outcome does not
depend on the order partitions are read in (each phase is produced once the previous one is
applied), so the end state has one right answer to compare with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from shared.events import Topic
from tests.support.faults import (
    ledger_events,
    ledger_reference,
    ledger_state,
    service_env,
    wait_until,
)
from tests.support.kafka import stable_members
from tests.support.processes import ServiceProcess
from tests.support.replicas import (
    PARTITIONS,
    Claims,
    applied_by,
    create_topics,
    differences,
    distinct,
    produce_events,
    sample_transactions,
    trickle,
    warnings_reference,
    warnings_state,
)
from tests.support.streams import bench_stream, replica_stream

pytestmark = pytest.mark.faults
log = logging.getLogger(__name__)
T = TypeVar("T")

LOANS = 7_800  # 22,450 events, 21,800 distinct
# The ledger applies a disbursement at a time (flush, parked events, O20 flags: ~10 ms each),
# a repayment in memory: fewer loans with more repayments keep the test short.
LEDGER_LOANS, LEDGER_REPAYMENTS = 3_200, (4, 5, 6)
MAX_RECORDS = 100  # many batches per replica, so the kill lands mid-batch


def in_thread(work: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """The reference run on an event loop of its own, side by side with the replicas (it
    takes as long as they do): this loop stays free to time the kill and the join."""
    return asyncio.ensure_future(asyncio.to_thread(asyncio.run, work))


async def run_replicas(
    *,
    service: str,
    url: str,
    servers: Any,
    tag: str,
    tmp_path: Path,
    phases: list[list[dict[str, Any]]],
    replicas: int,
    applied: Any,
) -> None:
    """Phase 1 to `replicas` replicas; phase 2 as a backlog, one replica SIGKILLed a third of
    the way in; phase 3 trickled while a new replica joins. `applied()` counts claims."""
    prefix = f"f{tag}."
    consumed: tuple[str, ...] = (Topic.LOAN.value, Topic.REPAYMENT.value)
    consumed += (Topic.RISK.value,) if service == "warnings" else ()
    await create_topics(servers.bootstrap, prefix, consumed)
    env = service_env(service, url=url, kafka=servers.bootstrap, tag=tag, max_records=MAX_RECORDS)
    env[f"{service.upper()}_KAFKA_PARTITIONS"] = str(PARTITIONS)
    names = [f"{service}-{i}" for i in range(replicas + 1)]
    procs = [ServiceProcess(service, env, tmp_path / f"{n}.log") for n in names]
    running = procs[:replicas]
    try:
        await asyncio.gather(*(asyncio.to_thread(p.start, timeout_s=90) for p in running))
        ends = [sum(distinct(p) for p in phases[: k + 1]) for k in range(len(phases))]

        async def reached(n: int) -> Any:
            return (got := await applied()) >= n and got

        await produce_events(servers.bootstrap, prefix, phases[0])
        await wait_until(lambda: reached(ends[0]), timeout_s=60, what="phase 1", every_s=0.05)

        await produce_events(servers.bootstrap, prefix, phases[1])
        third = ends[0] + distinct(phases[1]) // 3
        await wait_until(lambda: reached(third), timeout_s=60, what="a third of phase 2",
                         every_s=0.01)  # fmt: skip
        running[0].kill()
        at_kill = await applied()
        assert at_kill < ends[1], f"the kill did not land mid-stream ({at_kill} of {ends[1]})"
        # The killed member's partitions move once its session times out (10 s).
        await wait_until(lambda: reached(ends[1]), timeout_s=90, what="phase 2 after the kill")

        joiner = procs[-1]
        stream = asyncio.create_task(
            trickle(servers.bootstrap, prefix, phases[2], chunks=20, every_s=0.5)
        )
        await asyncio.to_thread(joiner.start, timeout_s=90)
        at_join = await applied()
        assert at_join < ends[2], f"the join came after the stream ({at_join} of {ends[2]})"
        await stream
        await wait_until(lambda: reached(ends[2]), timeout_s=90, what="phase 3 after the join")
        assert await applied_by(joiner.url) > 0, "the replica that joined got no partition"
        await asyncio.sleep(1)  # a straggling redelivery would land now, before the comparison
        for p in procs[1:]:
            assert p.proc is not None
            assert p.proc.poll() is None, p.log_tail()
    finally:
        for p in procs:
            p.stop()


async def test_issue14_three_warnings_replicas_one_killed_one_joining_equal_one_consumer(
    servers: Any, tag: str, tmp_path: Path
) -> None:
    phases = replica_stream(tag, LOANS, partitions=PARTITIONS)
    total = sum(distinct(p) for p in phases)
    assert total >= 20_000
    url = await servers.databases.fresh("warnings")  # first: Alembic's context is global
    reference = in_thread(warnings_reference(phases, tmp_path, tag))
    claims = Claims(url, tag)
    try:
        await run_replicas(
            service="warnings", url=url, servers=servers, tag=tag, tmp_path=tmp_path,
            phases=phases, replicas=3, applied=claims,
        )  # fmt: skip
    finally:
        await claims.close()
        expected = await reference
    assert expected["processed"] == expected["records"] == total
    assert expected["parked"]
    assert any(kind == "group_contagion" for kind, _ in expected["warnings"])
    got = await warnings_state(url, tag)
    assert got["processed"] == got["records"] == total  # every event once, none twice
    assert got == expected, "\n".join(differences(got, expected))


async def test_issue14_two_ledger_replicas_one_killed_one_joining_equal_one_consumer(
    servers: Any, tag: str, tmp_path: Path
) -> None:
    stream = replica_stream(tag, LEDGER_LOANS, partitions=PARTITIONS, repayments=LEDGER_REPAYMENTS)
    phases = [ledger_events(p) for p in stream]
    total = sum(distinct(p) for p in phases)
    assert total >= 20_000
    url = await servers.databases.fresh("officers")  # first: Alembic's context is global
    reference = in_thread(ledger_reference([e for p in phases for e in p], tmp_path, tag))
    claims = Claims(url, tag)
    try:
        await run_replicas(
            service="officers", url=url, servers=servers, tag=tag, tmp_path=tmp_path,
            phases=phases, replicas=2, applied=claims,
        )  # fmt: skip
    finally:
        await claims.close()
        expected = await reference
    assert expected["processed"] == total
    assert expected["parked"]
    assert await ledger_state(url, tag) == expected


async def test_issue14_two_warnings_replicas_work_in_batch_transactions_at_the_same_time(
    servers: Any, tag: str, tmp_path: Path
) -> None:
    """The replicas' batches overlap in time: at some moment both replicas' backends are
    inside a batch transaction (one that claimed event ids) and neither is waiting for a lock
    (pg_stat_activity, polled every few ms), so they are not queued behind one writer. The
    stream is sent once both are in the group with their partitions (sent before, the first
    to join could apply most of it before the second got any)."""
    prefix = f"f{tag}."
    events = bench_stream(tag, 3_000, 24_000)
    await create_topics(
        servers.bootstrap, prefix, (Topic.LOAN.value, Topic.REPAYMENT.value, Topic.RISK.value)
    )
    url = await servers.databases.fresh("warnings")
    env = service_env("warnings", url=url, kafka=servers.bootstrap, tag=tag, max_records=500)
    env["WARNINGS_KAFKA_PARTITIONS"] = str(PARTITIONS)
    procs = [ServiceProcess("warnings", env, tmp_path / f"warnings-{i}.log") for i in range(2)]
    claims = Claims(url, tag)
    done = asyncio.Event()
    sampling = asyncio.create_task(sample_transactions(url, procs, done))
    try:
        await asyncio.gather(*(asyncio.to_thread(p.start, timeout_s=90) for p in procs))
        group = env["WARNINGS_CONSUMER_GROUP"]
        await wait_until(
            lambda: _both_in(servers.bootstrap, group), timeout_s=60, what="both in the group"
        )
        await produce_events(servers.bootstrap, prefix, events)
        await wait_until(
            lambda: _at_least(claims, len(events)), timeout_s=120, what="the whole stream"
        )
    finally:
        done.set()
        seen = await sampling
        await claims.close()
        for p in procs:
            p.stop()
    summary = (
        f"{seen.together} of {seen.samples} samples with both replicas working in a batch; "
        f"samples per replica {seen.working}; batches seen per replica "
        f"{ {r: len(b) for r, b in seen.batches.items()} }; longest batch {seen.longest_s:.2f} s"
    )
    log.warning("overlap: %s", summary)  # the figures, also when it passes
    assert set(seen.batches) == {0, 1}, summary
    assert seen.together >= 5, summary


async def _both_in(bootstrap: str, group: str) -> bool:
    return await stable_members(bootstrap, group) == 2


async def _at_least(claims: Claims, n: int) -> bool:
    return await claims() >= n

"""Issue 14 / W4, W18: warning writers lock the entities they touch, not the whole service.

Two transactions about different borrowers hold their locks at the same moment; two about
the same borrower queue; a batch that reaches a borrower it had not locked runs again with it
locked (`ConcurrentChange`), reading afresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.warnings.batch_state import borrower_key
from services.warnings.service import under_entity_locks
from shared.db import make_engine, make_sessionmaker
from shared.errors import ConcurrentChange
from tests.support.databases import fresh_database


@pytest.fixture
async def maker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(await fresh_database("warnings", "postgresql", tmp_path))
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def hold(
    maker: async_sessionmaker[AsyncSession],
    borrower: str,
    entered: asyncio.Event,
    release: asyncio.Event,
) -> None:
    async with maker() as session, session.begin():

        async def attempt(locked: frozenset[str] | None) -> None:
            assert locked is not None
            assert borrower_key(borrower) in locked
            entered.set()
            await release.wait()

        await under_entity_locks(session, {borrower_key(borrower)}, attempt)


async def test_issue14_writers_of_different_borrowers_hold_their_locks_at_once(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    a_in, b_in, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(hold(maker, "B-1", a_in, release))
    await asyncio.wait_for(a_in.wait(), 10)
    b = asyncio.create_task(hold(maker, "B-2", b_in, release))
    # B-2's writer gets in while B-1's still holds its lock: no global writer lock.
    await asyncio.wait_for(b_in.wait(), 10)
    release.set()
    await asyncio.gather(a, b)


async def test_issue14_writers_of_one_borrower_queue(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    a_in, b_in, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(hold(maker, "B-1", a_in, release))
    await asyncio.wait_for(a_in.wait(), 10)
    b_release = asyncio.Event()
    b = asyncio.create_task(hold(maker, "B-1", b_in, b_release))
    await asyncio.sleep(0.5)
    assert not b_in.is_set()  # waiting for the first writer of B-1
    release.set()
    await asyncio.wait_for(a, 10)
    await asyncio.wait_for(b_in.wait(), 10)  # in once the first committed
    b_release.set()
    await b


async def test_issue14_a_batch_reaching_an_unlocked_borrower_runs_again_with_it_locked(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[frozenset[str] | None] = []

    async def attempt(locked: frozenset[str] | None) -> str:
        seen.append(locked)
        assert locked is not None
        if borrower_key("B-9") not in locked:
            raise ConcurrentChange("reached B-9", keys=frozenset({borrower_key("B-9")}))
        return "done"

    async with maker() as session, session.begin():
        assert await under_entity_locks(session, {borrower_key("B-1")}, attempt) == "done"
    assert seen == [
        frozenset({borrower_key("B-1")}),
        frozenset({borrower_key("B-1"), borrower_key("B-9")}),
    ]

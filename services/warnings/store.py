"""Queries of the warnings service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings.models import (
    CheckTask,
    EarlyWarning,
    EventRecord,
    GroupMember,
    Loan,
    ParkedEvent,
    Policy,
    WarningReport,
)
from shared.events import Event, as_dict

CLOSED = ("resolved", "written_off")


def table(model: Any) -> Table:
    """The Core table of a mapped class (Core statements run as one executemany)."""
    return cast(Table, model.__table__)


async def add_event_records(session: AsyncSession, events: Sequence[Event]) -> None:
    """Insert one row per event (the caller has already dropped duplicates)."""
    if not events:
        return
    rows = [
        {
            "event_id": e.event_id,
            "type": e.type,
            "loan_id": e.loan_id,
            "borrower_id": e.borrower_id,
            "org": e.org,
            "occurred_at": e.occurred_at,
            "payload": as_dict(e),
        }
        for e in events
    ]
    # The table-level insert is one executemany; the ORM-level one runs row by row here.
    await session.execute(insert(table(EventRecord)), rows)


async def get_event_record(session: AsyncSession, event_id: str) -> EventRecord | None:
    return await session.get(EventRecord, event_id)


async def loans_by_id(session: AsyncSession, loan_ids: Collection[str]) -> list[Loan]:
    if not loan_ids:
        return []
    return list(await session.scalars(select(Loan).where(Loan.loan_id.in_(loan_ids))))


async def loans_of_borrowers(session: AsyncSession, borrowers: Collection[str]) -> list[Loan]:
    if not borrowers:
        return []
    return list(await session.scalars(select(Loan).where(Loan.borrower_id.in_(borrowers))))


async def open_warnings_for(session: AsyncSession, subjects: Collection[str]) -> list[EarlyWarning]:
    """Open warnings about any of the loans or borrowers in `subjects`."""
    if not subjects:
        return []
    stmt = select(EarlyWarning).where(
        EarlyWarning.subject.in_(subjects), EarlyWarning.state.not_in(CLOSED)
    )
    return list(await session.scalars(stmt))


async def group_members(
    session: AsyncSession, borrowers: Collection[str], group_ids: Collection[str]
) -> dict[str, set[str]]:
    """group id -> every member, for the groups of `borrowers` and the groups `group_ids`."""
    if not borrowers and not group_ids:
        return {}
    of_borrowers = select(GroupMember.group_id).where(GroupMember.borrower_id.in_(borrowers))
    rows = await session.execute(
        select(GroupMember.group_id, GroupMember.borrower_id).where(
            GroupMember.group_id.in_(of_borrowers) | GroupMember.group_id.in_(group_ids)
        )
    )
    groups: dict[str, set[str]] = {}
    for group_id, borrower_id in rows:
        groups.setdefault(group_id, set()).add(borrower_id)
    return groups


async def take_parked(session: AsyncSession, subjects: Collection[str]) -> list[ParkedEvent]:
    """Remove and return the events parked for these loans or borrowers, oldest first (W18)."""
    if not subjects:
        return []
    parked = list(
        await session.scalars(
            select(ParkedEvent).where(ParkedEvent.subject.in_(subjects)).order_by(ParkedEvent.seq)
        )
    )
    if parked:
        await session.execute(delete(ParkedEvent).where(ParkedEvent.subject.in_(subjects)))
    return parked


async def open_warnings_of_borrowers(
    session: AsyncSession, borrowers: Collection[str]
) -> list[EarlyWarning]:
    """Open warnings about these borrowers or any of their loans."""
    if not borrowers:
        return []
    stmt = select(EarlyWarning).where(
        EarlyWarning.borrower_id.in_(borrowers), EarlyWarning.state.not_in(CLOSED)
    )
    return list(await session.scalars(stmt))


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def add_group_members(session: AsyncSession, rows: list[dict[str, str]]) -> None:
    """W1e: record group links (links already known are left as they are)."""
    if rows:
        await session.execute(_insert(session)(GroupMember).values(rows).on_conflict_do_nothing())


async def close_check_tasks(
    session: AsyncSession, done: list[tuple[str, date, datetime, str]]
) -> None:
    """W14a: the officers' pre-maturity checks are done (loan, maturity, when, outcome)."""
    if not done:
        return
    task = table(CheckTask)
    stmt = (
        update(task)
        .where(
            task.c.loan_id == bindparam("l"),
            task.c.maturity_date == bindparam("m"),
            task.c.done_at.is_(None),
        )
        .values(done_at=bindparam("a"), outcome=bindparam("o"))
    )
    rows = [
        {"l": loan, "m": maturity, "a": at, "o": outcome} for loan, maturity, at, outcome in done
    ]
    await session.execute(stmt, rows)


async def get_policy(session: AsyncSession, name: str) -> Policy | None:
    return await session.get(Policy, name)


async def insert_rows(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (one executemany) of plain rows."""
    if rows:
        await session.execute(insert(table(model)), rows)


async def reports_of(session: AsyncSession, warning_id: str, *, step: str) -> list[WarningReport]:
    """The reports of one step of a warning, earliest first."""
    stmt = (
        select(WarningReport)
        .where(WarningReport.warning_id == warning_id, WarningReport.step == step)
        .order_by(WarningReport.reported_at)
    )
    return list(await session.scalars(stmt))

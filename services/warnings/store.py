"""Queries of the warnings service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
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
    await session.execute(insert(EventRecord), rows)


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


async def groups_of(session: AsyncSession, borrowers: Collection[str]) -> dict[str, set[str]]:
    """group id -> every member borrower, for the groups any of `borrowers` belongs to."""
    if not borrowers:
        return {}
    group_ids = select(GroupMember.group_id).where(GroupMember.borrower_id.in_(borrowers))
    rows = await session.execute(
        select(GroupMember.group_id, GroupMember.borrower_id).where(
            GroupMember.group_id.in_(group_ids)
        )
    )
    groups: dict[str, set[str]] = {}
    for group_id, borrower_id in rows:
        groups.setdefault(group_id, set()).add(borrower_id)
    return groups


async def take_parked(session: AsyncSession, loan_ids: Collection[str]) -> list[ParkedEvent]:
    """Remove and return the events parked for these loans, oldest first (W18)."""
    if not loan_ids:
        return []
    parked = list(
        await session.scalars(
            select(ParkedEvent).where(ParkedEvent.loan_id.in_(loan_ids)).order_by(ParkedEvent.seq)
        )
    )
    if parked:
        await session.execute(delete(ParkedEvent).where(ParkedEvent.loan_id.in_(loan_ids)))
    return parked


async def add_group_member(session: AsyncSession, group_id: str, borrower_id: str) -> None:
    """W1e: record a group link (a link already known is left as it is)."""
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_(GroupMember).values(group_id=group_id, borrower_id=borrower_id)
    await session.execute(stmt.on_conflict_do_nothing())


async def close_check_task(
    session: AsyncSession, loan_id: str, maturity: date, at: datetime, outcome: str
) -> None:
    """W14a: the officer's pre-maturity check is done."""
    await session.execute(
        update(CheckTask)
        .where(
            CheckTask.loan_id == loan_id,
            CheckTask.maturity_date == maturity,
            CheckTask.done_at.is_(None),
        )
        .values(done_at=at, outcome=outcome)
    )


async def get_policy(session: AsyncSession, name: str) -> Policy | None:
    return await session.get(Policy, name)


async def insert_rows(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (one executemany) of plain rows."""
    if rows:
        await session.execute(insert(model), rows)


async def reports_of(session: AsyncSession, warning_id: str, *, step: str) -> list[WarningReport]:
    """The reports of one step of a warning, earliest first."""
    stmt = (
        select(WarningReport)
        .where(WarningReport.warning_id == warning_id, WarningReport.step == step)
        .order_by(WarningReport.reported_at)
    )
    return list(await session.scalars(stmt))

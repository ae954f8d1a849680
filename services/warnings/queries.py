"""Read side of the warnings service: lists, detail, deadlines, summary (HTTP contract, W13)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings.models import (
    EarlyWarning,
    WarningHistory,
    WarningReport,
    WarningUpdate,
)
from shared.errors import InvalidInput

OPEN = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")


@dataclass(frozen=True)
class WarningFilter:
    """The filters of `GET /v1/warnings` (state "open" means every open state)."""

    org: str
    state: str | None = None
    level: str | None = None
    overdue: bool | None = None


def in_subtree(org: str) -> ColumnElement[bool]:
    """The warning's node is `org` or below it (G4)."""
    return or_(EarlyWarning.org == org, EarlyWarning.org.startswith(org + "/", autoescape=True))


def overdue_now(now: datetime) -> ColumnElement[bool]:
    """W13: a deadline was missed (marked) or has passed with the report still missing."""
    return or_(
        EarlyWarning.branch_overdue,
        EarlyWarning.head_office_overdue,
        and_(EarlyWarning.branch_reported_at.is_(None), EarlyWarning.branch_deadline < now),
        and_(
            EarlyWarning.head_office_reported_at.is_(None),
            EarlyWarning.head_office_deadline < now,
        ),
    )


def _conditions(f: WarningFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions = [in_subtree(f.org)]
    if f.state == "open":
        conditions.append(EarlyWarning.state.in_(OPEN))
    elif f.state is not None:
        conditions.append(EarlyWarning.state == f.state)
    if f.level is not None:
        conditions.append(EarlyWarning.level == f.level)
    if f.overdue is not None:
        is_overdue = overdue_now(now)
        conditions.append(is_overdue if f.overdue else ~is_overdue)
    return conditions


async def etag(session: AsyncSession, f: WarningFilter, now: datetime) -> str:
    """A validator that changes whenever any warning the filter covers changes (polling: 304)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.max(EarlyWarning.updated_at),
                func.coalesce(func.sum(EarlyWarning.revision), 0),
            ).where(*_conditions(f, now))
        )
    ).one()
    # Overdue-ness moves with time; the minute keeps the tag stable between polls.
    key = f"{f}|{row[0]}|{row[1]}|{row[2]}|{now.replace(second=0, microsecond=0).isoformat()}"
    return '"' + hashlib.sha1(key.encode()).hexdigest() + '"'


def encode_cursor(warning: EarlyWarning) -> str:
    raw = f"{warning.raised_at.isoformat()}|{warning.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, warning_id = raw.split("|", 1)
        return datetime.fromisoformat(at), warning_id
    except ValueError:
        raise InvalidInput("not a cursor this service issued", pointer="#query/cursor") from None


async def list_warnings(
    session: AsyncSession, f: WarningFilter, *, now: datetime, cursor: str | None, limit: int
) -> tuple[list[EarlyWarning], str | None]:
    """Newest first, a page at a time (keyset pagination on raised_at, id)."""
    stmt = select(EarlyWarning).where(*_conditions(f, now))
    if cursor:
        at, warning_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                EarlyWarning.raised_at < at,
                and_(EarlyWarning.raised_at == at, EarlyWarning.id < warning_id),
            )
        )
    stmt = stmt.order_by(EarlyWarning.raised_at.desc(), EarlyWarning.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(stmt))
    page = rows[:limit]
    return page, encode_cursor(page[-1]) if len(rows) > limit else None


async def detail(
    session: AsyncSession, warning_id: str
) -> tuple[list[WarningHistory], list[WarningReport], list[WarningUpdate]]:
    """A warning's history, reports and updates, oldest first."""
    history = await session.scalars(
        select(WarningHistory)
        .where(WarningHistory.warning_id == warning_id)
        .order_by(WarningHistory.id)
    )
    reports = await session.scalars(
        select(WarningReport)
        .where(WarningReport.warning_id == warning_id)
        .order_by(WarningReport.reported_at, WarningReport.id)
    )
    updates = await session.scalars(
        select(WarningUpdate)
        .where(WarningUpdate.warning_id == warning_id)
        .order_by(WarningUpdate.at, WarningUpdate.id)
    )
    return list(history), list(reports), list(updates)


@dataclass(frozen=True)
class PendingReport:
    warning: EarlyWarning
    step: str
    deadline: datetime


async def pending_reports(
    session: AsyncSession, *, org: str, due_before: datetime | None
) -> list[PendingReport]:
    """W13: reports still to make, with their deadlines, soonest (and overdue) first."""
    out: list[PendingReport] = []
    for step, deadline_col, reported_col in (
        ("branch", EarlyWarning.branch_deadline, EarlyWarning.branch_reported_at),
        ("head_office", EarlyWarning.head_office_deadline, EarlyWarning.head_office_reported_at),
    ):
        stmt = select(EarlyWarning).where(
            in_subtree(org),
            EarlyWarning.state.in_(OPEN),
            deadline_col.is_not(None),
            reported_col.is_(None),
            deadline_col <= due_before if due_before is not None else ~false(),
        )
        for warning in await session.scalars(stmt):
            deadline = getattr(warning, f"{step}_deadline")
            out.append(PendingReport(warning, step, deadline))
    out.sort(key=lambda p: (p.deadline, p.warning.id))
    return out


async def summary(
    session: AsyncSession, *, org: str, now: datetime, soon: timedelta
) -> dict[str, object]:
    """Dashboard tiles: open warnings by level and state, overdue, due soon, per branch."""
    base = [in_subtree(org), EarlyWarning.state.in_(OPEN)]
    by_level = await _counts(session, EarlyWarning.level, base)
    by_state = await _counts(session, EarlyWarning.state, base)
    overdue = await session.scalar(select(func.count()).where(*base, overdue_now(now)))
    due_soon = await _due_between(session, base, now, now + soon)
    missing = await session.scalar(select(func.count()).where(*base, EarlyWarning.updates_missing))
    orgs = await _counts(session, EarlyWarning.org, base)
    by_branch: dict[str, int] = {}
    for node, count in orgs.items():
        branch = "/".join(node.split("/")[:2])
        by_branch[branch] = by_branch.get(branch, 0) + count
    return {
        "org": org,
        "open_by_level": {lvl: int(by_level.get(lvl, 0)) for lvl in ("yellow", "orange", "red")},
        "open_by_state": {s: int(by_state.get(s, 0)) for s in OPEN},
        "overdue": int(overdue or 0),
        "due_soon": due_soon,
        "updates_missing": int(missing or 0),
        "by_branch": dict(sorted(by_branch.items())),
    }


async def _due_between(
    session: AsyncSession, base: list[ColumnElement[bool]], start: datetime, end: datetime
) -> int:
    """W13: reports still to make whose deadline falls in [start, end], counted per step in
    the database (constant cost however many warnings are open or overdue)."""
    total = 0
    for deadline_col, reported_col in (
        (EarlyWarning.branch_deadline, EarlyWarning.branch_reported_at),
        (EarlyWarning.head_office_deadline, EarlyWarning.head_office_reported_at),
    ):
        count = await session.scalar(
            select(func.count()).where(
                *base, reported_col.is_(None), deadline_col >= start, deadline_col <= end
            )
        )
        total += int(count or 0)
    return total


async def _counts(
    session: AsyncSession, column: Any, where: list[ColumnElement[bool]]
) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key): int(n) for key, n in rows}

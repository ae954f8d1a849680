"""Read side of the warnings service: lists, detail, deadlines, summary (HTTP contract, W13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    String,
    and_,
    bindparam,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import tiles, tiles_store
from services.warnings.models import (
    SUBTREE_BOUNDS,
    EarlyWarning,
    EscalationFeed,
    UnitKey,
    WarningHistory,
    WarningReport,
    WarningUpdate,
    in_subtree_range,
    is_open,
    subtree_bounds,
    unit_of,
)
from services.warnings.rules import WarningState
from services.warnings.schemas import DeadlineRead, EscalationRead, WarningRead
from shared import paging
from shared.db import UtcDateTime
from shared.errors import InvalidInput
from shared.etag import PolledRead, make_etag

BAD_CURSOR = "not a cursor this service issued"
OPEN = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")


@dataclass(frozen=True)
class WarningFilter:
    """The filters of `GET /v1/warnings` (state "open" means every open state)."""

    org: str
    state: str | None = None
    level: str | None = None
    overdue: bool | None = None


def only_open(state: str | None) -> bool:
    """The list's state filter admits open warnings only ("open", or one open state)."""
    return state == "open" or state in OPEN


def has_validator(f: WarningFilter) -> bool:
    """Whether the list has a cheap validator: not with `overdue` over closed warnings too,
    whose unreported deadlines still pass with time but are not counted by `etag` (it counts
    open warnings' pending deadlines, off their index); such a list answers no ETag."""
    return f.overdue is None or only_open(f.state)


def overdue_now(now: Any) -> ColumnElement[bool]:
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


async def etag(reads: PolledRead, kind: str, org: str, now: datetime, *parts: object) -> str:
    """A validator of a polled list of the subtree (issue 13): changes whenever a warning of
    the subtree changes or one of its pending deadlines passes; one statement of a few index
    reads on the read pool, no page, no session."""
    stmt, params, anchor = tiles_store.version_query(org, now)
    return make_etag(kind, org, *parts, anchor, *await reads.validator(stmt, params))


async def summary_etag(reads: PolledRead, org: str, now: datetime, soon: timedelta) -> str:
    """The summary's validator: the lists' one, with the deadlines come within the 'due soon'
    window since its anchor, so it changes exactly when the tiles could (not their content:
    a 304 costs one statement, not the summary). `soon` is this process's window; counted
    again with the kept one if they differ (another replica's settings rebuilt the tiles)."""
    while True:
        stmt, params, anchor = tiles_store.version_query(org, now, soon=soon)
        row = await reads.validator(stmt, params)
        kept = timedelta(seconds=row.soon_s)
        if kept == soon:
            return make_etag("summary", org, anchor, *row)
        soon = kept


_LISTED = [EarlyWarning.__table__.c[name] for name in WarningRead.model_fields]


@lru_cache(maxsize=64)
def _warnings_page(
    state: str | None, level: bool, overdue: bool | None, after: bool, by_unit: bool
) -> Any:
    """A page of `GET /v1/warnings` as one statement over bound parameters, built once per
    shape (which filters, a cursor, a sub-branch's or office's subtree): plain rows of the
    listed columns, newest first. The subtree is a range of the key the newest-first indexes
    carry, checked on their entries (a sub-branch's first open page: 33 buffers, not a visit
    to each of its warnings); below the branches also the sub-branch's own range of the unit
    index (`UnitKey`), so that a page of any state or of closed ones stays a few buffers."""
    conditions = [in_subtree_range(SUBTREE_BOUNDS)]
    if by_unit:
        conditions.append(UnitKey(EarlyWarning.org) == bindparam("unit", type_=String()))
    if state == "open":
        conditions.append(is_open())
    elif state is not None:
        # A literal (the shape is per state): the partial index of closed warnings then
        # applies to the prepared statement too (as `is_open`).
        conditions.append(EarlyWarning.state == literal_column(f"'{WarningState(state).value}'"))
    if level:
        conditions.append(EarlyWarning.level == bindparam("level"))
    if overdue is not None:
        is_overdue = overdue_now(bindparam("now", type_=UtcDateTime()))
        conditions.append(is_overdue if overdue else ~is_overdue)
    if after:
        moment, wid = bindparam("at", type_=UtcDateTime()), bindparam("wid", type_=String())
        conditions.append(
            or_(
                EarlyWarning.raised_at < moment,
                and_(EarlyWarning.raised_at == moment, EarlyWarning.id < wid),
            )
        )
    return (
        select(*_LISTED)
        .where(*conditions)
        .order_by(EarlyWarning.raised_at.desc(), EarlyWarning.id.desc())
        .limit(bindparam("n"))
    )


async def list_warnings(
    session: AsyncSession, f: WarningFilter, *, now: datetime, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Newest first, a page at a time (keyset pagination on raised_at, id): rows with the
    attributes of `WarningRead`."""
    unit = unit_of(f.org)
    params: dict[str, Any] = {
        **subtree_bounds(f.org),
        "unit": unit,
        "level": f.level,
        "now": now,
        "n": limit + 1,
    }
    if cursor:
        at, warning_id = paging.decode_cursor(cursor, 2)
        try:
            params["at"] = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            raise InvalidInput(BAD_CURSOR, pointer="#query/cursor") from None
        params["wid"] = str(warning_id)
    stmt = _warnings_page(f.state, f.level is not None, f.overdue, bool(cursor), unit is not None)
    rows = list((await session.execute(stmt, params)).all())  # unused parameters are ignored
    return paging.page_of(rows, limit, lambda w: (w.raised_at, w.id))


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


_STEPS = (
    ("branch", EarlyWarning.branch_deadline, EarlyWarning.branch_reported_at),
    ("head_office", EarlyWarning.head_office_deadline, EarlyWarning.head_office_reported_at),
)
_RANK = {step: rank for rank, (step, _, _) in enumerate(_STEPS)}


@lru_cache(maxsize=8)
def _pending_page(due_before: bool, after: bool, by_unit: bool) -> CompoundSelect[Any]:
    """The deadlines page as one statement over bound parameters, built once per shape (a
    bound `due_before`, a cursor, a sub-branch's or office's subtree): each step's first `n`
    pending deadlines of the subtree off its index (the subtree checked on the index
    entries, `SubtreeKey`; below the branches, within the sub-branch's own range of the
    unit index, `UnitKey`), the two merged by the caller. A row comes after the cursor
    (at, id, step) when (deadline, id, step) is greater."""
    pages = []
    for step, deadline_col, reported_col in _STEPS:
        where = [
            is_open(),
            reported_col.is_(None),
            deadline_col.is_not(None),
            in_subtree_range(SUBTREE_BOUNDS),
        ]
        if by_unit:
            where.append(UnitKey(EarlyWarning.org) == bindparam("unit", type_=String()))
        if due_before:
            where.append(deadline_col <= bindparam("due_before", type_=UtcDateTime()))
        if after:
            at = bindparam("at", type_=UtcDateTime())
            wid = bindparam("wid", type_=String())
            rank = literal(_RANK[step]) > bindparam("after_rank")
            where.append(
                or_(
                    deadline_col > at,
                    and_(
                        deadline_col == at,
                        or_(EarlyWarning.id > wid, and_(EarlyWarning.id == wid, rank)),
                    ),
                )
            )
        page = (
            select(
                literal_column(f"'{step}'", String()).label("step"),
                EarlyWarning.id,
                deadline_col.label("deadline"),
                EarlyWarning.level,
                EarlyWarning.kind,
                EarlyWarning.org,
                EarlyWarning.loan_id,
                EarlyWarning.borrower_id,
            )
            .where(*where)
            .order_by(deadline_col, EarlyWarning.id)
            .limit(bindparam("n"))
            .subquery(f"pending_{step}")
        )
        pages.append(select(page))
    return union_all(*pages)


async def pending_reports(
    session: AsyncSession,
    *,
    org: str,
    now: datetime,
    due_before: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[DeadlineRead], str | None]:
    """W13: reports still to make, soonest (and overdue) first, a page at a time: one keyset
    range per step off its pending-deadline index, in one statement, merged (issue 13)."""
    params: dict[str, object] = {**subtree_bounds(org), "n": limit + 1}
    if (unit := unit_of(org)) is not None:
        params["unit"] = unit
    if due_before is not None:
        params["due_before"] = due_before
    if cursor:
        at, warning_id, after_step = _deadline_cursor(cursor)
        params |= {"at": at, "wid": warning_id, "after_rank": _RANK[after_step]}
    stmt = _pending_page(due_before is not None, bool(cursor), unit is not None)
    found = [
        DeadlineRead(
            warning_id=r.id,
            step=r.step,
            deadline=r.deadline,
            overdue=r.deadline < now,
            level=r.level,
            kind=r.kind,
            org=r.org,
            loan_id=r.loan_id,
            borrower_id=r.borrower_id,
        )
        for r in (await session.execute(stmt, params)).all()
    ]
    found.sort(key=lambda p: (p.deadline, p.warning_id, _RANK[p.step]))
    return paging.page_of(found, limit, lambda p: (p.deadline, p.warning_id, p.step))


def _deadline_cursor(cursor: str) -> tuple[datetime, str, str]:
    at, warning_id, step = paging.decode_cursor(cursor, 3)
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None or step not in ("branch", "head_office"):
        raise InvalidInput(BAD_CURSOR, pointer="#query/cursor")
    return moment, str(warning_id), step


async def escalations(
    session: AsyncSession, *, org: str, cursor: str | None, limit: int
) -> tuple[list[EscalationRead], str | None]:
    """W4: the latest escalations of the subtree's open warnings, newest first: one range of
    the kept feed's primary key, whatever the size of the book (`escalation_feed`)."""
    stmt = (
        select(
            EscalationFeed.history_id,
            WarningHistory.warning_id,
            WarningHistory.at,
            WarningHistory.level,
            WarningHistory.detail,
            EarlyWarning.org,
            EarlyWarning.kind,
            EarlyWarning.loan_id,
            EarlyWarning.borrower_id,
        )
        .join(WarningHistory, WarningHistory.id == EscalationFeed.history_id)
        .join(EarlyWarning, EarlyWarning.id == EscalationFeed.warning_id)
        .where(EscalationFeed.node == org)
    )
    if cursor:
        (before,) = paging.decode_cursor(cursor, 1)
        if not isinstance(before, int):
            raise InvalidInput(BAD_CURSOR, pointer="#query/cursor")
        stmt = stmt.where(EscalationFeed.history_id < before)
    order = EscalationFeed.history_id.desc()
    rows = (await session.execute(stmt.order_by(order).limit(limit + 1))).all()
    items = [
        EscalationRead(
            warning_id=r[1],
            at=r[2],
            level=r[3],
            from_level=(r[4] or {}).get("from"),
            why=(r[4] or {}).get("detail"),
            org=r[5],
            kind=r[6],
            loan_id=r[7],
            borrower_id=r[8],
        )
        for r in rows
    ]
    after = paging.encode_cursor([rows[limit - 1][0]]) if len(rows) > limit else None
    return items[:limit], after  # the cursor: the last history entry's id


async def summary(session: AsyncSession, *, org: str, now: datetime) -> dict[str, object]:
    """Dashboard tiles: open warnings by level and state, overdue, due soon, per branch, from
    the kept counts (cost independent of the book, issue 13)."""
    per_node, _clock = await tiles_store.counts_now(session, org, now)
    return tiles.as_summary(org, per_node)

"""The periodic sweep (W14): check tasks 30 days ahead, overdue reports, missing updates.

`run` is one pass at a given moment (the clock is injected); the app runs it on a timer and
operators can run it by hand (`POST /v1/sweeps/run`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.warnings import policies, store, tiles_store
from services.warnings.deadlines import LoanMaturity, YearMonth, pre_maturity_check_tasks
from services.warnings.models import (
    CheckTask,
    EarlyWarning,
    Loan,
    WarningHistory,
    WarningUpdate,
    is_open,
)
from services.warnings.schemas import SweepResult
from services.warnings.tiles import TILE_COLUMNS

log = logging.getLogger("warnings.sweeps")
TILE_ROW = [getattr(EarlyWarning, name) for name in TILE_COLUMNS]


async def run(session: AsyncSession, *, now: datetime, tz: ZoneInfo) -> SweepResult:
    """One W14 pass: (a) check tasks, (b) overdue marking, (c) missing monthly updates."""
    rules = await policies.load(session)
    created = await _check_tasks(session, now, tz, rules.deadlines.days_before_maturity)
    marked = await _mark_overdue(session, now)
    missing = await _flag_missing_updates(session, now, tz)
    return SweepResult(check_tasks_created=created, overdue_marked=marked, updates_missing=missing)


async def _check_tasks(session: AsyncSession, now: datetime, tz: ZoneInfo, window: int) -> int:
    """W14a: a check task for every loan with a balance maturing within `window` days."""
    today = now.astimezone(tz).date()
    rows = await session.execute(
        select(Loan.loan_id, Loan.maturity_date, Loan.balance, Loan.org).where(
            Loan.status == "active",
            Loan.maturity_date.between(today, today + timedelta(days=window)),
        )
    )
    loans = {r.loan_id: r for r in rows}
    due = pre_maturity_check_tasks(
        (LoanMaturity(r.loan_id, r.maturity_date, r.balance) for r in loans.values()),
        today,
        within_days=window,
    )
    if not due:
        return 0
    values = [
        {
            "loan_id": d.loan_id,
            "maturity_date": d.maturity_date,
            "org": loans[d.loan_id].org,
            "created_at": now,
        }
        for d in due
    ]
    insert_ = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    stmt = insert_(CheckTask).values(values).on_conflict_do_nothing().returning(CheckTask.loan_id)
    return len((await session.execute(stmt)).all())


async def _mark_overdue(session: AsyncSession, now: datetime) -> int:
    """W13: mark every missed deadline; the mark stays even after a late report."""
    marked = 0
    for step in ("branch", "head_office"):
        deadline = getattr(EarlyWarning, f"{step}_deadline")
        reported = getattr(EarlyWarning, f"{step}_reported_at")
        flag = getattr(EarlyWarning, f"{step}_overdue")
        columns = [EarlyWarning.id, EarlyWarning.level, EarlyWarning.state, deadline]
        due = (is_open(), ~flag, reported.is_(None), deadline < now)
        # Row locks in id order (no global lock, issue 14): concurrent batches and lifecycle
        # actions change the rows meanwhile; the update re-checks under the locks.
        ids = list(
            await session.scalars(
                select(EarlyWarning.id).where(*due).order_by(EarlyWarning.id).with_for_update()
            )
        )
        if not ids:
            continue
        rows = (
            await session.execute(
                update(EarlyWarning)
                .where(EarlyWarning.id.in_(ids), *due)
                .values({flag: True, "updated_at": now, "revision": EarlyWarning.revision + 1})
                .returning(*columns, *TILE_ROW)
                .execution_options(synchronize_session=False)
            )
        ).all()
        for r in rows:
            after = tiles_store.tile_row(r[len(columns) :])  # RETURNING: the row as updated
            if step == "branch":
                before = replace(after, branch_overdue=False)
            else:
                before = replace(after, head_office_overdue=False)
            tiles_store.note(session, before, after)
        await store.insert_rows(
            session,
            WarningHistory,
            [
                {
                    "warning_id": r.id,
                    "at": now,
                    "actor": "sweep",
                    "action": f"{step}_report_overdue",
                    "level": r.level,
                    "state": r.state,
                    "detail": {"deadline": r[3].isoformat()},
                }
                for r in rows
            ],
        )
        marked += len(rows)
    return marked


async def _flag_missing_updates(session: AsyncSession, now: datetime, tz: ZoneInfo) -> int:
    """W11/W14c: open warnings raised before this month without this month's update."""
    month = YearMonth.of(now, tz)
    month_start = datetime.combine(now.astimezone(tz).date().replace(day=1), time(0), tzinfo=tz)
    label = f"{month.year:04d}-{month.month:02d}"
    has_update = exists().where(
        and_(WarningUpdate.warning_id == EarlyWarning.id, WarningUpdate.month == label)
    )
    due = and_(is_open(), EarlyWarning.raised_at < month_start.astimezone(UTC))
    for where, value in (
        (and_(due, ~has_update, ~EarlyWarning.updates_missing), True),
        (and_(EarlyWarning.updates_missing, ~(due & ~has_update)), False),
    ):
        changed = await session.execute(
            update(EarlyWarning)
            .where(where)
            .values(updates_missing=value, updated_at=now, revision=EarlyWarning.revision + 1)
            .returning(*TILE_ROW)
            .execution_options(synchronize_session=False)
        )
        for r in changed.all():
            after = tiles_store.tile_row(r)
            tiles_store.note(session, replace(after, updates_missing=not value), after)
    # Counted in the database (at 1M loans the flagged ids were 200,000 rows sent to Python).
    stmt = select(func.count()).select_from(EarlyWarning).where(EarlyWarning.updates_missing)
    return int((await session.execute(stmt)).scalar_one())


async def sweep(
    maker: async_sessionmaker[AsyncSession], *, now: datetime, tz: ZoneInfo
) -> SweepResult:
    """The tiles' clock moved to `now` (issue 13), then one W14 pass, each in its own
    transaction: moving the clock locks it, which writers read at commit, so it is not held
    while the pass locks warning rows those writers may hold (no lock cycle)."""
    async with maker() as session, session.begin():
        await tiles_store.advance(session, now)
    async with maker() as session, session.begin():
        return await run(session, now=now, tz=tz)


@asynccontextmanager
async def run_periodically(app: FastAPI) -> AsyncIterator[None]:
    """Run the sweep every `sweep_interval_s` seconds while the app runs (0: never)."""
    interval: float = app.state.settings.sweep_interval_s
    if interval <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                result = await sweep(
                    app.state.sessionmaker, now=app.state.clock.now(), tz=app.state.tz
                )
                log.info("sweep", extra=result.model_dump())
            except Exception:  # a failed pass is logged and retried at the next tick
                log.exception("sweep failed")

    task = asyncio.create_task(loop(), name="warnings-sweep")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

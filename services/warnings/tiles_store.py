"""Keeping the dashboard tiles (issue 13, see `tiles`): every write to a warning is noted,
the notes become one upsert of count differences per node when the transaction commits,
reads add the few warnings whose deadlines passed since the tiles' clock, the sweep moves
the clock.

The notes are taken by mechanism, so no write path can forget them: an ORM flush of an
`EarlyWarning` is noted by the `before_flush` listener below, and the bulk paths (the event
applier's inserts and escalations, the sweep's marks) call `note` with the rows they write.
The counts are written in `before_commit`, in the transaction of the change, after reading
the clock `FOR SHARE` (the sweep takes it `FOR UPDATE` to move it, so a write and a move
never interleave; writers do not block each other)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, event, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.warnings.models import EarlyWarning, TileClock, WarningTile
from services.warnings.tiles import (
    COUNTS,
    OPEN_STATES,
    TILE_COLUMNS,
    ZERO,
    TileRow,
    add,
    contribution,
    flip_ranges,
    moved,
    recount,
    sub,
)

SHARDS = 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOTES = "warnings.tiles.notes"
_COLUMNS = [getattr(EarlyWarning, name) for name in TILE_COLUMNS]


@dataclass(frozen=True)
class Clock:
    """The instant the kept counts are counted at, their 'due soon' window, the generation."""

    at: datetime
    soon: timedelta
    generation: int


def tile_row(values: Any) -> TileRow:
    """A `TileRow` from a result row (or any sequence) of the `TILE_COLUMNS`."""
    return TileRow(*values)


def note(session: AsyncSession | Session, before: TileRow | None, after: TileRow | None) -> None:
    """Record that a warning changed from `before` to `after` (None: did not exist) in this
    transaction; the node's counts and revision are written when it commits."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_NOTES, []).append((before, after))


def subtree(column: Any, org: str) -> ColumnElement[bool]:
    """The node `org` or below it (G4)."""
    return or_(column == org, column.startswith(org + "/", autoescape=True))


# -- the mechanism: notes from ORM flushes, counts written at commit ----------------------------


@event.listens_for(Session, "before_flush")
def _note_orm_changes(session: Session, flush_context: Any, instances: Any) -> None:  # noqa: ARG001
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, EarlyWarning):
            continue
        state = inspect(obj)
        after = TileRow(*(getattr(obj, name) for name in TILE_COLUMNS))
        if obj in session.new:
            note(session, None, after)
            continue
        if not session.is_modified(obj):
            continue
        values = []
        for name in TILE_COLUMNS:
            history = state.attrs[name].history
            values.append(history.deleted[0] if history.deleted else getattr(obj, name))
        note(session, TileRow(*values), after)


@event.listens_for(Session, "before_commit")
def _write_counts(session: Session) -> None:
    if not session.info.get(_NOTES) and not session.new and not session.dirty:
        return
    session.flush()  # the last ORM changes are noted by their flush
    notes = session.info.pop(_NOTES, None)
    if not notes:
        return
    clock = _clock(session, lock="share")
    per_node: dict[str, tuple[int, ...]] = {}
    for before, after in notes:
        if before is not None:
            gone = contribution(before, clock.at, clock.soon)
            per_node[before.org] = sub(per_node.get(before.org, ZERO), gone)
        if after is not None:
            came = contribution(after, clock.at, clock.soon)
            per_node[after.org] = add(per_node.get(after.org, ZERO), came)
    _upsert(session, per_node)


@event.listens_for(Session, "after_rollback")
def _forget_notes(session: Session) -> None:
    session.info.pop(_NOTES, None)


def _clock(session: Session, *, lock: str | None) -> Clock:
    stmt = select(TileClock).where(TileClock.id == 1)
    if lock is not None:
        stmt = stmt.with_for_update(read=lock == "share")
    row = session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
    return Clock(row.at, timedelta(seconds=row.soon_s), row.generation)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _upsert(session: Session, per_node: dict[str, tuple[int, ...]]) -> None:
    """Add the differences to the nodes' rows of one shard (in node order, so concurrent
    writers lock rows in one order and never deadlock); every row's revision grows by one."""
    if not per_node:
        return
    shard = random.randrange(SHARDS)
    values = [
        {"org": org, "shard": shard, **dict(zip(COUNTS, counts, strict=True)), "revision": 1}
        for org, counts in sorted(per_node.items())
    ]
    table = WarningTile.__table__
    stmt = _insert(session)(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org", "shard"],
        set_={name: table.c[name] + stmt.excluded[name] for name in (*COUNTS, "revision")},
    )
    session.execute(stmt)


# -- reads --------------------------------------------------------------------------------------


async def clock(session: AsyncSession) -> Clock:
    """The tiles' clock, as this transaction sees it (no lock)."""
    return await session.run_sync(lambda s: _clock(s, lock=None))


async def kept(session: AsyncSession, org: str) -> dict[str, tuple[int, ...]]:
    """The kept counts per node of the subtree (shards summed), as of the clock."""
    sums = [func.sum(getattr(WarningTile, name)) for name in COUNTS]
    stmt = select(WarningTile.org, *sums).where(subtree(WarningTile.org, org))
    rows = await session.execute(stmt.group_by(WarningTile.org))
    return {r[0]: tuple(int(n or 0) for n in r[1:]) for r in rows.all()}


def _pending_in(ranges: Iterable[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    steps = (
        (EarlyWarning.branch_deadline, EarlyWarning.branch_reported_at),
        (EarlyWarning.head_office_deadline, EarlyWarning.head_office_reported_at),
    )
    return or_(
        *(
            and_(reported.is_(None), deadline.between(lo, hi))
            for deadline, reported in steps
            for lo, hi in ranges
        )
    )


async def _moved_rows(
    session: AsyncSession, org: str | None, since: datetime, now: datetime, soon: timedelta
) -> list[TileRow]:
    """The open warnings whose contribution can differ between `since` and `now`."""
    where = [EarlyWarning.state.in_(OPEN_STATES), _pending_in(flip_ranges(since, now, soon))]
    if org is not None:
        where.append(subtree(EarlyWarning.org, org))
    rows = await session.execute(select(*_COLUMNS).where(*where))
    return [tile_row(r) for r in rows.all()]


async def counts_now(
    session: AsyncSession, org: str, now: datetime
) -> tuple[dict[str, tuple[int, ...]], Clock]:
    """The counts per node of the subtree at `now`: kept counts plus the warnings whose
    deadlines moved them since the clock (few: the sweep keeps the clock recent)."""
    at = await clock(session)
    per_node = await kept(session, org)
    if now != at.at:
        for row in await _moved_rows(session, org, at.at, now, at.soon):
            per_node[row.org] = add(per_node.get(row.org, ZERO), moved(row, at.at, now, at.soon))
    return per_node, at


async def version(session: AsyncSession, org: str, now: datetime) -> tuple[int, ...]:
    """A cheap validator of everything the subtree's warnings show at `now`: the revisions
    of its tile rows, the clock's generation and instant, and how many pending deadlines
    passed since the clock (an item's `overdue` changes with them)."""
    at = await clock(session)
    revisions = await session.execute(
        select(func.coalesce(func.sum(WarningTile.revision), 0), func.count()).where(
            subtree(WarningTile.org, org)
        )
    )
    total, rows = revisions.one()
    lo, hi = min(at.at, now), max(at.at, now)
    passed = await session.scalar(
        select(func.count()).where(
            EarlyWarning.state.in_(OPEN_STATES),
            subtree(EarlyWarning.org, org),
            _pending_in([(lo, hi)]),
        )
    )
    return (at.generation, int(at.at.timestamp()), int(total), int(rows), int(passed or 0))


# -- moving the clock, rebuilding ------------------------------------------------------------


async def advance(session: AsyncSession, now: datetime) -> int:
    """Move the tiles' clock to `now` (the sweep, W14; start-up): the kept counts take in the
    warnings whose deadlines moved them. Returns how many warnings moved."""

    def run(s: Session) -> int:
        at = _clock(s, lock="update")
        if at.at == now:
            return 0
        where = [EarlyWarning.state.in_(OPEN_STATES), _pending_in(flip_ranges(at.at, now, at.soon))]
        rows = [tile_row(r) for r in s.execute(select(*_COLUMNS).where(*where)).all()]
        per_node: dict[str, tuple[int, ...]] = {}
        for row in rows:
            per_node[row.org] = add(per_node.get(row.org, ZERO), moved(row, at.at, now, at.soon))
        _upsert(s, {org: c for org, c in per_node.items() if c != ZERO})
        s.execute(update(TileClock).where(TileClock.id == 1).values(at=now))
        return len(rows)

    return await session.run_sync(run)


async def rebuild(session: AsyncSession, now: datetime, soon: timedelta | None = None) -> None:
    """Count every open warning from scratch at `now` (a bulk load, a new 'due soon' window,
    a repair); the next generation of the tiles."""

    def run(s: Session) -> None:
        at = _clock(s, lock="update")
        window = soon if soon is not None else at.soon
        stmt = select(*_COLUMNS).where(EarlyWarning.state.in_(OPEN_STATES))
        counts = recount((tile_row(r) for r in s.execute(stmt).all()), now, window)
        s.execute(delete(WarningTile))
        if counts:
            s.execute(
                _insert(s)(WarningTile.__table__).values(
                    [
                        {"org": org, "shard": 0, **dict(zip(COUNTS, c, strict=True)), "revision": 1}
                        for org, c in sorted(counts.items())
                    ]
                )
            )
        s.execute(
            update(TileClock)
            .where(TileClock.id == 1)
            .values(at=now, soon_s=int(window.total_seconds()), generation=at.generation + 1)
        )

    await session.run_sync(run)


async def align(session: AsyncSession, now: datetime, soon: timedelta) -> None:
    """At start-up: rebuild if the settings' 'due soon' window differs from the kept one,
    else move the clock to now."""
    at = await clock(session)
    if at.soon != soon:
        await rebuild(session, now, soon)
    else:
        await advance(session, now)


async def recount_now(session: AsyncSession, org: str, now: datetime) -> dict[str, tuple[int, ...]]:
    """The counts per node of the subtree from scratch (tests compare `counts_now` to it)."""
    at = await clock(session)
    stmt = select(*_COLUMNS).where(
        EarlyWarning.state.in_(OPEN_STATES), subtree(EarlyWarning.org, org)
    )
    rows = (await session.execute(stmt)).all()
    return recount((tile_row(r) for r in rows), now, at.soon)


def without_zeros(per_node: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Nodes with any count (a kept row can be all zeros once its warnings closed)."""
    return {org: c for org, c in per_node.items() if c != ZERO}

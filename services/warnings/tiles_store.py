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
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.warnings.models import (
    SUBTREE_BOUNDS,
    EarlyWarning,
    TileClock,
    WarningTile,
    in_subtree_range,
    is_open,
    subtree_bounds,
)
from services.warnings.tiles import (
    COUNTS,
    TILE_COLUMNS,
    ZERO,
    TileRow,
    add,
    branch_of,
    contribution,
    flip_ranges,
    moved,
    recount,
    sub,
    validator_anchor,
)
from shared.db import UtcDateTime

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
    stmt = select(TileClock.at, TileClock.soon_s, TileClock.generation).where(TileClock.id == 1)
    if lock is not None:
        stmt = stmt.with_for_update(read=lock == "share")
    row = session.execute(stmt).one()
    return Clock(row[0], timedelta(seconds=row[1]), row[2])


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


_TILES = cast(Table, WarningTile.__table__)


def _upsert(session: Session, per_node: dict[str, tuple[int, ...]]) -> None:
    """Add the differences to the nodes' rows of one shard (in node order, so concurrent
    writers lock rows in one order and never deadlock); every row's revision grows by one."""
    if not per_node:
        return
    shard = random.randrange(SHARDS)
    nodes = sorted(per_node.items())
    if session.get_bind().dialect.name == "postgresql":
        # One statement over one array per column, built once: a VALUES row per node was
        # compiled again on every commit (over a third of a busy consumer's CPU).
        columns = {name: [counts[i] for _, counts in nodes] for i, name in enumerate(COUNTS)}
        orgs = [org for org, _ in nodes]
        branches = [branch_of(org) for org in orgs]
        session.execute(
            _UPSERT_ARRAYS, {"shard": shard, "org": orgs, "branch": branches, **columns}
        )
        return
    values = [
        {"org": org, "shard": shard, "branch": branch_of(org), "revision": 1}
        | dict(zip(COUNTS, counts, strict=True))
        for org, counts in nodes
    ]
    table = _TILES
    stmt = sqlite.insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org", "shard"],
        set_={name: table.c[name] + stmt.excluded[name] for name in (*COUNTS, "revision")},
    )
    session.execute(stmt)


def _upsert_arrays() -> Any:
    """PostgreSQL's `_upsert`: the rows from unnest (in the arrays' order: node order)."""
    table = _TILES
    arrays = [
        func.unnest(bindparam(name, type_=postgresql.ARRAY(table.c[name].type)))
        for name in ("org", "branch", *COUNTS)
    ]
    rows = select(bindparam("shard", type_=table.c.shard.type), literal(1), *arrays)
    stmt = postgresql.insert(table).from_select(
        ["shard", "revision", "org", "branch", *COUNTS], rows
    )
    return stmt.on_conflict_do_update(
        index_elements=["org", "shard"],
        set_={name: table.c[name] + stmt.excluded[name] for name in (*COUNTS, "revision")},
    )


_UPSERT_ARRAYS = _upsert_arrays()


# -- reads --------------------------------------------------------------------------------------


_CLOCK = (TileClock.at, TileClock.soon_s, TileClock.generation)
_TILE = WarningTile.__table__.alias("tile")


def _in_subtree(column: Any) -> ColumnElement[bool]:
    """The subtree (G4) over bound parameters (`subtree_bounds`), so statements are built
    once: a range of `SubtreeKey`, on an index of the tiles and inside the pending-deadline
    indexes' entries."""
    return in_subtree_range(SUBTREE_BOUNDS, column)


def _pending_in(ranges: Iterable[tuple[Any, Any]]) -> ColumnElement[bool]:
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


_RANGES: list[tuple[Any, Any]] = [
    (bindparam("lo1"), bindparam("hi1")),
    (bindparam("lo2"), bindparam("hi2")),
]
# Built once (statement construction costs more than the query): the kept counts per node
# of a subtree with the clock; the warnings moved since the clock; the subtree's version.
_KEPT = (
    select(*_CLOCK, _TILE.c.branch, *(func.sum(_TILE.c[name]) for name in COUNTS))
    .select_from(TileClock.__table__.outerjoin(_TILE, _in_subtree(_TILE.c.org)))
    .where(TileClock.id == 1)
    .group_by(*_CLOCK, _TILE.c.branch)
)
_MOVED = select(*_COLUMNS).where(is_open(), _pending_in(_RANGES))
_MOVED_IN = _MOVED.where(_in_subtree(EarlyWarning.org))
_REVISIONS = (
    select(func.coalesce(func.sum(WarningTile.revision), 0).label("total"), func.count().label("n"))
    .where(_in_subtree(WarningTile.org))
    .subquery()
)
_STEPS = (
    (EarlyWarning.branch_deadline, EarlyWarning.branch_reported_at),
    (EarlyWarning.head_office_deadline, EarlyWarning.head_office_reported_at),
)


def _crossed(reported: Any, lo: ColumnElement[bool], hi: ColumnElement[bool]) -> Any:
    """How many of the subtree's pending deadlines of one step lie in a range (its
    pending-deadline index, then the few rows' org)."""
    return (
        select(func.count())
        .where(is_open(), reported.is_(None), lo, hi, _in_subtree(EarlyWarning.org))
        .scalar_subquery()
    )


def _instant(name: str) -> Any:
    """A timestamp parameter as a one-row subquery: PostgreSQL then plans the range with an
    unknown bound, as the generic plan does, so the prepared statement keeps its generic plan
    instead of being planned again on every execution (a custom plan looks cheaper with the
    bounds known: planning cost more than the query)."""
    return select(bindparam(name, type_=UtcDateTime())).scalar_subquery()


# Deadlines crossed since the validator's anchor: [p_lo, p_hi) turned overdue (W13: a
# deadline before now), (s_lo, s_hi] came within the 'due soon' window (deadline <= now +
# soon); one count per step, each off that step's pending-deadline index.
_P_LO, _P_HI, _S_LO, _S_HI = (_instant(n) for n in ("p_lo", "p_hi", "s_lo", "s_hi"))
_PASSED = [_crossed(r, d >= _P_LO, d < _P_HI) for d, r in _STEPS]
_SOON = [_crossed(r, d > _S_LO, d <= _S_HI) for d, r in _STEPS]
_VERSION = (
    select(TileClock.generation, TileClock.soon_s, _REVISIONS.c.total, _REVISIONS.c.n, *_PASSED)
    .select_from(TileClock.__table__.join(_REVISIONS, true()))
    .where(TileClock.id == 1)
)
_SUMMARY_VERSION = _VERSION.add_columns(*_SOON)


async def clock(session: AsyncSession) -> Clock:
    """The tiles' clock, as this transaction sees it (no lock)."""
    row = (await session.execute(select(*_CLOCK).where(TileClock.id == 1))).one()
    return Clock(row[0], timedelta(seconds=row[1]), row[2])


async def kept(session: AsyncSession, org: str) -> tuple[dict[str, tuple[int, ...]], Clock]:
    """The kept counts of the subtree per branch (nodes and shards summed: the summary needs
    no finer) and the clock they are counted at, in one statement (one snapshot)."""
    rows = (await session.execute(_KEPT, subtree_bounds(org))).all()
    at = Clock(rows[0][0], timedelta(seconds=rows[0][1]), rows[0][2])
    per_node = {r[3]: tuple(int(n or 0) for n in r[4:]) for r in rows if r[3] is not None}
    return per_node, at


def _range_params(since: datetime, now: datetime, soon: timedelta) -> dict[str, datetime]:
    (lo1, hi1), (lo2, hi2) = flip_ranges(since, now, soon)
    return {"lo1": lo1, "hi1": hi1, "lo2": lo2, "hi2": hi2}


async def counts_now(
    session: AsyncSession, org: str, now: datetime
) -> tuple[dict[str, tuple[int, ...]], Clock]:
    """The counts of the subtree per branch at `now`: kept counts plus the warnings whose
    deadlines moved them since the clock (few: the sweep keeps the clock recent)."""
    per_node, at = await kept(session, org)
    if now != at.at:
        params = {**subtree_bounds(org), **_range_params(at.at, now, at.soon)}
        for r in (await session.execute(_MOVED_IN, params)).all():
            row = tile_row(r)
            branch = branch_of(row.org)
            per_node[branch] = add(per_node.get(branch, ZERO), moved(row, at.at, now, at.soon))
    return per_node, at


def version_query(
    org: str, now: datetime, *, soon: timedelta | None = None
) -> tuple[Select[Any], dict[str, Any], datetime]:
    """The validator of what the subtree's warnings show at `now`, as one statement, its
    parameters and the anchor it counts from (`tiles.validator_anchor`): the tiles'
    generation and 'due soon' window, the revisions of the subtree's tile rows (every write
    bumps its node's), and how many pending deadlines were crossed between the anchor and
    now - turned overdue, and with `soon` (the summary) come within the window - so that
    for one set of rows equal counts mean the same deadlines crossed (issue 13)."""
    anchor = validator_anchor(now)
    params: dict[str, Any] = {**subtree_bounds(org), "p_lo": anchor, "p_hi": now}
    if soon is None:
        return _VERSION, params, anchor
    return _SUMMARY_VERSION, {**params, "s_lo": anchor + soon, "s_hi": now + soon}, anchor


# -- moving the clock, rebuilding ------------------------------------------------------------


async def advance(session: AsyncSession, now: datetime) -> int:
    """Move the tiles' clock to `now` (the sweep, W14; start-up): the kept counts take in the
    warnings whose deadlines moved them. Returns how many warnings moved."""

    def run(s: Session) -> int:
        at = _clock(s, lock="update")
        if at.at == now:
            return 0
        moved_rows = s.execute(_MOVED, _range_params(at.at, now, at.soon)).all()
        rows = [tile_row(r) for r in moved_rows]
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
        stmt = select(*_COLUMNS).where(is_open())
        counts = recount((tile_row(r) for r in s.execute(stmt).all()), now, window)
        s.execute(delete(WarningTile))
        if counts:
            s.execute(
                _insert(s)(WarningTile.__table__).values(
                    [
                        {"org": org, "shard": 0, "branch": branch_of(org), "revision": 1}
                        | dict(zip(COUNTS, c, strict=True))
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
    """The counts of the subtree per branch from scratch (tests compare `counts_now` to it)."""
    at = await clock(session)
    stmt = select(*_COLUMNS).where(is_open(), _in_subtree(EarlyWarning.org))
    rows = (await session.execute(stmt, subtree_bounds(org))).all()
    per_branch: dict[str, tuple[int, ...]] = {}
    for node, counts in recount((tile_row(r) for r in rows), now, at.soon).items():
        per_branch[branch_of(node)] = add(per_branch.get(branch_of(node), ZERO), counts)
    return per_branch


def without_zeros(per_node: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """Nodes with any count (a kept row can be all zeros once its warnings closed)."""
    return {org: c for org, c in per_node.items() if c != ZERO}

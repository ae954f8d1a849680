"""The kept county ranking (issue 13): each officer's O22 responsible NPL balance on a kept
date, so the O23 ranking reads O(officers) rows instead of every ledger loan.

What is kept: `officer_npl` (the balance and count of counted loans per effective management
officer), on each `ledger_loan` its contribution (`npl_officer`, `npl_fen`) and the next day
its verdict can change with the date alone (`npl_next_change`), and `npl_state`: the date and
the two O22 parameters (`npl_overdue_days`, `disposal_grace_days`) they are counted with.

Who keeps it, by mechanism so no write path can forget: the `before_flush` listener below
notes every ledger loan inserted, deleted or changed in a column O22/O17 reads, and every
office head (O17 fallback) set or changed; when the transaction commits, the noted loans (and
the unassigned loans under a changed head) are recounted from their rows with the pure
`ledger.rules.npl_contribution` on the kept date, and the differences are added to the officers'
rows. A Core statement that writes those columns must call `note_loans` (none does today).
`align` moves the date to today: only the loans whose `npl_next_change` has come are
recounted; a new O22 parameter set (or a date before the kept one) is a full `rebuild`.

Locks (PostgreSQL): a writer takes the state row FOR SHARE before its first ledger write, a
head change and `align` FOR UPDATE, so the date never moves under a writer and a head change
never misses a loan being written; loans are locked and officers' rows upserted in id order,
so writers never deadlock. SQLite has one writer at a time (BEGIN IMMEDIATE).

The ranking's ETag is the state, the sum of the `npl_revision` shards (bumped by every change
of a kept balance and of anything else the ranking shows: officers, nodes, O5 assignments)
and the request (see `api_liability_ranking`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.officers.kernel import policies
from services.officers.kernel.vocabulary import NPL_CLASSES
from services.officers.ledger.rules import from_fen, npl_contribution
from services.officers.liability.policy import LiabilityPolicy
from services.officers.models.ledger import LedgerLoan, NplRevision, NplState, OfficerNpl
from services.officers.models.people import CollectionAssignment, Officer, OrgNode
from services.officers.models.responsibility import OrgHead

SHARDS = 8
CHUNK = 500
LOAN: Table = LedgerLoan.__table__  # type: ignore[assignment]
OFFICER_NPL: Table = OfficerNpl.__table__  # type: ignore[assignment]
STATE: Table = NplState.__table__  # type: ignore[assignment]
REVISION: Table = NplRevision.__table__  # type: ignore[assignment]
HEAD: Table = OrgHead.__table__  # type: ignore[assignment]
# The ledger columns O22 and the O17 fallback read: a change of any of them is recounted.
COUNTED = (
    "balance",
    "five_class",
    "overdue_since",
    "collateral",
    "in_disposal",
    "management_responsible",
    "org_id",
)
SHOWN = (Officer, OrgNode, CollectionAssignment)  # what else the ranking lists
_ROW = [LOAN.c[name] for name in ("loan_id", *COUNTED)]
_KEPT = [LOAN.c.npl_officer, LOAN.c.npl_fen, LOAN.c.npl_next_change]
_LOANS, _GONE, _NODES, _SHOWN, _LOCK = (
    "officers.npl.loans",
    "officers.npl.gone",
    "officers.npl.nodes",
    "officers.npl.shown",
    "officers.npl.lock",
)
_NOTES = (_LOANS, _GONE, _NODES, _SHOWN)


@dataclass(frozen=True)
class Kept:
    """The kept balances' date (None: not built), O22 parameters, generation and revision."""

    on: date | None
    npl_overdue_days: int
    disposal_grace_days: int
    generation: int
    revision: int

    def serves(self, on: date, policy: LiabilityPolicy) -> bool:
        """Whether the kept balances are O22 on `on` under `policy`."""
        return self.on == on and self.params == params_of(policy)

    @property
    def params(self) -> tuple[int, int]:
        return (self.npl_overdue_days, self.disposal_grace_days)


def params_of(policy: LiabilityPolicy) -> tuple[int, int]:
    """The only policy figures an O22 verdict depends on."""
    return (policy.npl_overdue_days, policy.disposal_grace_days)


def _policy(params: tuple[int, int]) -> LiabilityPolicy:
    return LiabilityPolicy(npl_overdue_days=params[0], disposal_grace_days=params[1])


def _sync(session: AsyncSession | Session) -> Session:
    return session.sync_session if isinstance(session, AsyncSession) else session


def note_loans(session: AsyncSession | Session, loan_ids: Iterable[str]) -> None:
    """Recount these loans when the transaction commits (for Core writes of `COUNTED`)."""
    sync = _sync(session)
    _lock(sync, "share")
    sync.info.setdefault(_LOANS, set()).update(loan_ids)


def note_shown(session: AsyncSession | Session) -> None:
    """Something the ranking lists changed outside the ORM (a Core write): a new ETag."""
    _sync(session).info[_SHOWN] = True


# -- the mechanism: notes from ORM flushes, recounted at commit ---------------------------------


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _lock(session: Session, mode: str) -> None:
    """Hold the state row FOR SHARE / FOR UPDATE until the transaction ends (PostgreSQL)."""
    held = session.info.get(_LOCK)
    if held == "update" or held == mode or not _postgres(session):
        return
    stmt = select(STATE.c.id).where(STATE.c.id == 1).with_for_update(read=mode == "share")
    session.connection().execute(stmt)
    session.info[_LOCK] = mode


def _changed(obj: LedgerLoan) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in COUNTED)


@event.listens_for(Session, "before_flush")
def _note_orm_changes(session: Session, flush_context: Any, instances: Any) -> None:  # noqa: ARG001
    for obj in session.new:
        if isinstance(obj, LedgerLoan):
            note_loans(session, [obj.loan_id])
        elif isinstance(obj, OrgHead):
            _note_head(session, obj.org_id)
        elif isinstance(obj, SHOWN):
            session.info[_SHOWN] = True
    for obj in session.dirty:
        if isinstance(obj, LedgerLoan):
            if _changed(obj):
                note_loans(session, [obj.loan_id])
        elif isinstance(obj, OrgHead):
            if session.is_modified(obj):
                _note_head(session, obj.org_id)
        elif isinstance(obj, SHOWN) and session.is_modified(obj):
            session.info[_SHOWN] = True
    for obj in session.deleted:
        if isinstance(obj, LedgerLoan):
            _lock(session, "share")
            stmt = select(*_KEPT[:2]).where(LOAN.c.loan_id == obj.loan_id)
            kept = session.connection().execute(stmt).first()
            if kept is not None and kept[0] is not None:
                session.info.setdefault(_GONE, []).append((kept[0], kept[1] or 0))
        elif isinstance(obj, OrgHead):
            _note_head(session, obj.org_id)
        elif isinstance(obj, SHOWN):
            session.info[_SHOWN] = True


def _note_head(session: Session, org_id: str) -> None:
    _lock(session, "update")
    session.info.setdefault(_NODES, set()).add(org_id)


@event.listens_for(Session, "before_commit")
def _write_kept(session: Session) -> None:
    if not any(k in session.info for k in _NOTES) and not (
        session.new or session.dirty or session.deleted
    ):
        return
    session.flush()  # the last ORM changes are noted by their flush
    loans: set[str] = session.info.pop(_LOANS, set())
    gone: list[tuple[str, int]] = session.info.pop(_GONE, [])
    nodes: set[str] = session.info.pop(_NODES, set())
    shown = bool(session.info.pop(_SHOWN, False))
    if not (loans or gone or nodes or shown):
        return
    conn = session.connection()
    kept = _state(conn)
    deltas: dict[str, list[int]] = {}
    if kept.on is not None:
        for officer_id, fen in gone:
            _add(deltas, officer_id, -fen, -1)
        loans |= _unassigned_under(conn, nodes)
        _recount(conn, loans, kept.on, _policy(kept.params), deltas)
    changed = _apply(conn, deltas)
    if changed or shown or nodes:
        _bump(conn)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (*_NOTES, _LOCK):
        session.info.pop(key, None)


# -- counting ---------------------------------------------------------------------------------


def _state(conn: Connection, *, lock: bool = False) -> Kept:
    if lock:
        conn.execute(select(STATE.c.id).where(STATE.c.id == 1).with_for_update())
    total = select(func.coalesce(func.sum(REVISION.c.revision), 0)).scalar_subquery()
    stmt = select(
        STATE.c.on_date,
        STATE.c.npl_overdue_days,
        STATE.c.disposal_grace_days,
        STATE.c.generation,
        total,
    ).where(STATE.c.id == 1)
    row = conn.execute(stmt).one()
    return Kept(row[0], int(row[1]), int(row[2]), int(row[3]), int(row[4]))


def _heads(conn: Connection) -> dict[str, str]:
    return {str(o): str(h) for o, h in conn.execute(select(HEAD.c.org_id, HEAD.c.officer_id))}


def _unassigned_under(conn: Connection, nodes: Iterable[str]) -> set[str]:
    """The loans without a management officer at or below the nodes (their head may be the
    O17 fallback officer)."""
    out: set[str] = set()
    for node in sorted(nodes):
        stmt = select(LOAN.c.loan_id).where(
            LOAN.c.management_responsible.is_(None),
            or_(LOAN.c.org_id == node, LOAN.c.org_id.startswith(f"{node}/", autoescape=True)),
        )
        out.update(str(x) for x in conn.execute(stmt).scalars())
    return out


def _add(deltas: dict[str, list[int]], officer_id: str, fen: int, loans: int) -> None:
    row = deltas.setdefault(officer_id, [0, 0])
    row[0] += fen
    row[1] += loans


def _contribution(row: Any, heads: dict[str, str], on: date, policy: LiabilityPolicy) -> Any:
    c = npl_contribution(
        loan_id=row.loan_id,
        org_id=row.org_id,
        balance=row.balance,
        five_class=row.five_class,
        overdue_since=row.overdue_since,
        collateral=row.collateral,
        in_disposal=bool(row.in_disposal),
        management_responsible=row.management_responsible,
        heads=heads,
        on=on,
        policy=policy,
    )
    return (c.officer_id, c.fen, c.next_change)


def _write_loans(conn: Connection, changes: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(changes), CHUNK * 10):
        conn.execute(
            update(LOAN)
            .where(LOAN.c.loan_id == bindparam("b_loan_id"))
            .values(
                npl_officer=bindparam("b_officer"),
                npl_fen=bindparam("b_fen"),
                npl_next_change=bindparam("b_next"),
            ),
            list(changes[start : start + CHUNK * 10]),
        )


def _recount(
    conn: Connection,
    loan_ids: Iterable[str],
    on: date,
    policy: LiabilityPolicy,
    deltas: dict[str, list[int]],
) -> None:
    """Recount the loans on `on` (locked, in id order) and add the differences to `deltas`."""
    ids = sorted(set(loan_ids))
    postgres = conn.dialect.name == "postgresql"
    heads: dict[str, str] | None = None
    changes: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        stmt = select(*_ROW, *_KEPT).where(LOAN.c.loan_id.in_(ids[start : start + CHUNK]))
        stmt = stmt.order_by(LOAN.c.loan_id)
        if postgres:
            stmt = stmt.with_for_update()
        for row in conn.execute(stmt).all():
            if heads is None and row.management_responsible is None:
                heads = _heads(conn)
            new = _contribution(row, heads or {}, on, policy)
            if new == (row.npl_officer, row.npl_fen, row.npl_next_change):
                continue
            if row.npl_officer is not None:
                _add(deltas, row.npl_officer, -(row.npl_fen or 0), -1)
            if new[0] is not None:
                _add(deltas, new[0], new[1], 1)
            changes.append({"b_loan_id": row.loan_id, "b_officer": new[0], "b_fen": new[1]})
            changes[-1]["b_next"] = new[2]
    _write_loans(conn, changes)


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _apply(conn: Connection, deltas: dict[str, list[int]]) -> bool:
    """Add the differences to the officers' rows, in officer order; whether any changed."""
    values = [
        {"officer_id": o, "npl_fen": fen, "loans": n, "revision": 1}
        for o, (fen, n) in sorted(deltas.items())
        if (fen, n) != (0, 0)
    ]
    for start in range(0, len(values), CHUNK):
        stmt = _insert(conn)(OFFICER_NPL).values(values[start : start + CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=["officer_id"],
            set_={
                "npl_fen": OFFICER_NPL.c.npl_fen + stmt.excluded.npl_fen,
                "loans": OFFICER_NPL.c.loans + stmt.excluded.loans,
                "revision": OFFICER_NPL.c.revision + 1,
            },
        )
        conn.execute(stmt)
    return bool(values)


def _bump(conn: Connection) -> None:
    shard = random.randrange(SHARDS)
    conn.execute(
        update(REVISION).where(REVISION.c.shard == shard).values(revision=REVISION.c.revision + 1)
    )


# -- moving the date, rebuilding --------------------------------------------------------------


def _roll(conn: Connection, on: date, params: tuple[int, int]) -> str:
    kept = _state(conn, lock=True)
    if kept.on == on and kept.params == params:
        return "current"
    if kept.on is None or kept.params != params or on < kept.on:
        _rebuild(conn, on, params, kept.generation)
        return "rebuilt"
    due = select(LOAN.c.loan_id).where(LOAN.c.npl_next_change <= on)
    deltas: dict[str, list[int]] = {}
    _recount(conn, [str(x) for x in conn.execute(due).scalars()], on, _policy(params), deltas)
    _apply(conn, deltas)
    conn.execute(update(STATE).where(STATE.c.id == 1).values(on_date=on))
    _bump(conn)
    return "rolled"


def _rebuild(conn: Connection, on: date, params: tuple[int, int], generation: int) -> None:
    """Count every loan from scratch on `on` (only loans of a bottom class or overdue can
    count or change with the date; every other loan keeps no contribution)."""
    conn.execute(
        update(LOAN)
        .where(
            or_(
                LOAN.c.npl_officer.is_not(None),
                LOAN.c.npl_fen.is_not(None),
                LOAN.c.npl_next_change.is_not(None),
            )
        )
        .values(npl_officer=None, npl_fen=None, npl_next_change=None)
    )
    heads = _heads(conn)
    policy = _policy(params)
    candidates = select(*_ROW).where(
        or_(
            LOAN.c.five_class.in_([c.value for c in NPL_CLASSES]), LOAN.c.overdue_since.is_not(None)
        )
    )
    deltas: dict[str, list[int]] = {}
    changes: list[dict[str, Any]] = []
    for row in conn.execute(candidates.order_by(LOAN.c.loan_id)).all():
        who, fen, nxt = _contribution(row, heads, on, policy)
        if who is not None:
            _add(deltas, who, fen, 1)
        if who is not None or nxt is not None:
            changes.append({"b_loan_id": row.loan_id, "b_officer": who, "b_fen": fen})
            changes[-1]["b_next"] = nxt
    _write_loans(conn, changes)
    conn.execute(delete(OFFICER_NPL))
    _apply(conn, deltas)
    conn.execute(
        update(STATE)
        .where(STATE.c.id == 1)
        .values(
            on_date=on,
            npl_overdue_days=params[0],
            disposal_grace_days=params[1],
            generation=generation + 1,
        )
    )
    _bump(conn)


def rebuild_on(conn: Connection, on: date, params: tuple[int, int]) -> None:
    """`rebuild` on a plain connection (the migration's backfill)."""
    _rebuild(conn, on, params, _state(conn, lock=True).generation)


async def align(session: AsyncSession, on: date) -> str:
    """Make the kept balances O22 on `on` under the policy of `on`'s year: roll the date
    forward (the loans whose verdict can have changed), or rebuild for new O22 parameters, a
    date before the kept one or a state never built. 'current', 'rolled' or 'rebuilt'."""
    params = params_of(await policies.liability_policy(session, on.year))
    return await session.run_sync(lambda s: _roll(s.connection(), on, params))


async def rebuild(session: AsyncSession, on: date) -> None:
    """Count the kept balances from scratch on `on` (a bulk load, a repair)."""
    params = params_of(await policies.liability_policy(session, on.year))

    await session.run_sync(lambda s: rebuild_on(s.connection(), on, params))


# -- reads ------------------------------------------------------------------------------------


async def state(session: AsyncSession) -> Kept:
    """The kept balances' date, parameters, generation and revision (no lock)."""
    return await session.run_sync(lambda s: _state(s.connection()))


async def balances(session: AsyncSession) -> dict[str, Decimal]:
    """Each officer's kept O22 responsible NPL balance (officers without one: none)."""
    rows = await session.execute(select(OFFICER_NPL.c.officer_id, OFFICER_NPL.c.npl_fen))
    return {str(o): from_fen(int(fen)) for o, fen in rows.all()}


async def kept_rows(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """Each officer's kept (fen, counted loans), without the empty rows (tests compare)."""
    stmt = select(OFFICER_NPL.c.officer_id, OFFICER_NPL.c.npl_fen, OFFICER_NPL.c.loans)
    rows = (await session.execute(stmt)).all()
    return {str(o): (int(f), int(n)) for o, f, n in rows if (f, n) != (0, 0)}

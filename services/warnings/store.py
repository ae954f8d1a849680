"""Queries of the warnings service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Numeric,
    String,
    Table,
    any_,
    bindparam,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Session

from services.warnings.models import (
    OPEN_STATES_SQL,
    CheckTask,
    EarlyWarning,
    EventRecord,
    GroupMember,
    Loan,
    ParkedEvent,
    Policy,
    WarningReport,
)
from services.warnings.tiles import TILE_COLUMNS, TileRow
from services.warnings.vocabulary import WarningKind
from shared.db import dialect_name, driver_connection
from shared.events import Event, as_dict

CLOSED = ("resolved", "written_off")


def table(model: Any) -> Table:
    """The Core table of a mapped class (Core statements run as one executemany)."""
    return cast(Table, model.__table__)


@asynccontextmanager
async def planned_per_call(session: AsyncSession) -> AsyncIterator[None]:
    """Inside: PostgreSQL plans each statement for the arrays it is given (`one_of`).

    A cached generic plan knows neither the length nor the values of a `= ANY($1)` array: it
    searches the array linearly for every row, and keeps a sequential scan chosen while the
    table was small. A custom plan sees a constant array (hashed, sized for the index choice).
    Only around the batch's reads: an executemany planned for every row would be slower.
    """
    postgres = dialect_name(session) == "postgresql"
    if postgres:
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield  # after an error the transaction rolls back, and the setting with it
    if postgres:
        await session.execute(text("SET LOCAL plan_cache_mode = DEFAULT"))


def one_of(
    session: AsyncSession,
    column: ColumnElement[str] | InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    values: Collection[str],
) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one statement and one bound
    array whatever the number of values, so it is compiled and prepared once, where an IN list
    is rendered again, and prepared again for every new length, on each call."""
    if dialect_name(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


# PostgreSQL: a whole batch as one statement over arrays (one round trip, one cached plan,
# no per-row parameter processing); elsewhere an executemany.
_UPDATE_LOANS = text(
    """
    UPDATE loan SET balance = u.balance, status = u.status, five_class = u.five_class,
        tier = u.tier, updated_at = u.updated_at
    FROM unnest(:ids, :balance, :status, :five_class, :tier, :updated_at)
        AS u(loan_id, balance, status, five_class, tier, updated_at)
    WHERE loan.loan_id = u.loan_id
    """
).bindparams(
    *(bindparam(name, type_=ARRAY(String)) for name in ("ids", "status", "five_class")),
    bindparam("balance", type_=ARRAY(Numeric(18, 2))),
    bindparam("tier", type_=ARRAY(Integer)),
    bindparam("updated_at", type_=ARRAY(DateTime(timezone=True))),
)


# The event record's columns as COPY sends them (`received_at` takes its default).
RECORD_COLUMNS = ("event_id", "type", "loan_id", "borrower_id", "org", "occurred_at", "payload")


async def add_event_records(session: AsyncSession, events: Sequence[Event]) -> None:
    """Insert one row per event (the caller has already dropped duplicates). PostgreSQL: one
    binary COPY (measured on batches of 1,000: 10.7 microseconds a row against 13.6 for an
    INSERT over arrays)."""
    if not events:
        return
    if dialect_name(session) == "postgresql":
        records = [
            (e.event_id, e.type, e.loan_id, e.borrower_id, e.org, e.occurred_at,
             e.model_dump_json(exclude_none=True))
            for e in events
        ]  # fmt: skip
        driver = await driver_connection(session)
        await driver.copy_records_to_table("event_record", columns=RECORD_COLUMNS, records=records)
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


@dataclass(slots=True)
class LoanRow:
    """A loan as plain data: the event applier's working copy, written back in bulk (no ORM
    object per loan: a batch touches thousands)."""

    loan_id: str
    borrower_id: str
    org: str
    amount: Decimal
    balance: Decimal
    currency: str
    maturity_date: date
    five_class: str
    tier: int | None
    status: str
    disbursed_at: datetime
    updated_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in LOAN_COLUMNS}


LOAN_COLUMNS = tuple(f.name for f in fields(LoanRow))
LOAN_CHANGES = ("balance", "status", "five_class", "tier", "updated_at")
# The applier's bulk reads on PostgreSQL, as the driver runs them (`fetch_rows`). Oldest loan
# first: a borrower-level warning takes the org of the borrower's first loan.
_LOANS_OF = f"""
    SELECT {", ".join(LOAN_COLUMNS)} FROM loan WHERE borrower_id = ANY($1::varchar[])
    ORDER BY disbursed_at, loan_id
"""
_BORROWERS_OF_LOANS = "SELECT loan_id, borrower_id FROM loan WHERE loan_id = ANY($1::varchar[])"
_GROUP_MEMBERS = """
    SELECT group_id, borrower_id FROM group_member
    WHERE group_id IN (SELECT group_id FROM group_member WHERE borrower_id = ANY($1::varchar[]))
       OR group_id = ANY($2::varchar[])
"""


async def fetch_rows(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """PostgreSQL: run one of the applier's bulk reads on the driver, in the session's
    transaction, after what `session.execute` would autoflush (asyncpg records: the columns
    as the driver decodes them, which for these tables are the Python values themselves)."""
    if session.sync_session.autoflush:
        await session.flush()
    driver = await driver_connection(session)
    return cast(list[Any], await driver.fetch(sql, *args))


@event.listens_for(Session, "after_rollback")
def _forget_borrowers(session: Session) -> None:
    session.info.pop("warnings.borrower_of", None)


async def borrowers_of_loans(session: AsyncSession, loan_ids: Collection[str]) -> dict[str, str]:
    """loan id -> borrower id, for the known loans among `loan_ids`. A loan's borrower never
    changes: what this transaction found is kept for it (the entity-lock pass and the batch's
    load ask for the same loans), a loan not found is asked again."""
    seen: dict[str, str] = session.info.setdefault("warnings.borrower_of", {})
    wanted = [x for x in loan_ids if x not in seen]
    if wanted and dialect_name(session) == "postgresql":
        seen.update(await fetch_rows(session, _BORROWERS_OF_LOANS, wanted))
    elif wanted:
        loan = table(Loan)
        rows = await session.execute(
            select(loan.c.loan_id, loan.c.borrower_id).where(loan.c.loan_id.in_(wanted))
        )
        # `all()`: one fetch for the whole result, not one cursor call per row.
        seen.update(rows.all())
    return {x: seen[x] for x in loan_ids if x in seen}


async def loan_rows_of_borrowers(
    session: AsyncSession, borrowers: Collection[str]
) -> list[LoanRow]:
    """Every loan of these borrowers, as plain rows."""
    if not borrowers:
        return []
    if dialect_name(session) == "postgresql":
        return [LoanRow(*row) for row in await fetch_rows(session, _LOANS_OF, list(borrowers))]
    loan = table(Loan)
    columns = [loan.c[name] for name in LOAN_COLUMNS]
    # Oldest first: a borrower-level warning takes the org of the borrower's first loan.
    stmt = (
        select(*columns)
        .where(loan.c.borrower_id.in_(borrowers))
        .order_by(loan.c.disbursed_at, loan.c.loan_id)
    )
    rows = await session.execute(stmt)
    return [LoanRow(*row) for row in rows.all()]  # `all()`: one fetch, not one call per row


@dataclass(slots=True, eq=False)
class WarningRow:
    """A warning as plain data: the event applier's working copy of an open warning, inserted
    and written back in bulk (no ORM object per warning: a batch loads thousands of the group
    contagion warnings it may escalate). Fields are the `early_warning` columns, in order."""

    id: str
    kind: str
    category: str
    level: str
    state: str
    subject: str
    loan_id: str | None
    borrower_id: str | None
    org: str
    amount: Decimal
    detail: str
    source: str
    source_event_id: str | None
    source_warning_id: str | None
    discovered_at: datetime
    raised_at: datetime
    head_office_required: bool
    branch_deadline: datetime | None
    head_office_deadline: datetime | None
    branch_reported_at: datetime | None
    head_office_reported_at: datetime | None
    branch_overdue: bool
    head_office_overdue: bool
    updates_missing: bool
    team: dict[str, Any] | None
    resolved_at: datetime | None
    resolution: str | None
    updated_at: datetime
    revision: int

    def touch(self, now: datetime) -> None:
        """Record that the warning changed at `now` (as `EarlyWarning.touch`)."""
        self.updated_at = now
        self.revision += 1

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in WARNING_COLUMNS}


WARNING_COLUMNS = tuple(f.name for f in fields(WarningRow))


def tile_row_of(warning: WarningRow) -> TileRow:
    """What the dashboard tiles need of a warning (issue 13)."""
    return TileRow(*(getattr(warning, name) for name in TILE_COLUMNS))


# What applying events changes on a warning it did not raise (W4 escalation).
WARNING_CHANGES = ("level", "updated_at", "revision")

_UPDATE_WARNINGS = text(
    """
    UPDATE early_warning SET level = u.level, updated_at = u.updated_at, revision = u.revision
    FROM unnest(:ids, :level, :updated_at, :revision) AS u(id, level, updated_at, revision)
    WHERE early_warning.id = u.id
    """
).bindparams(
    *(bindparam(name, type_=ARRAY(String)) for name in ("ids", "level")),
    bindparam("updated_at", type_=ARRAY(DateTime(timezone=True))),
    bindparam("revision", type_=ARRAY(Integer)),
)


async def insert_warnings(session: AsyncSession, warnings: Sequence[WarningRow]) -> None:
    """Insert new warnings, every column given, in bulk (no unit of work)."""
    await insert_rows(session, EarlyWarning, [w.as_row() for w in warnings])


async def update_warnings(session: AsyncSession, warnings: Collection[WarningRow]) -> None:
    """Write back escalations (`WARNING_CHANGES`) in one statement, or one executemany."""
    if not warnings:
        return
    if dialect_name(session) == "postgresql":
        columns = {name: [getattr(w, name) for w in warnings] for name in WARNING_CHANGES}
        await session.execute(_UPDATE_WARNINGS, {"ids": [w.id for w in warnings], **columns})
        return
    stmt = (
        update(table(EarlyWarning))
        .where(table(EarlyWarning).c.id == bindparam("p_id"))
        .values({name: bindparam(f"p_{name}") for name in WARNING_CHANGES})
    )
    rows = [
        {"p_id": w.id, **{f"p_{name}": getattr(w, name) for name in WARNING_CHANGES}}
        for w in warnings
    ]
    await session.execute(stmt, rows)


async def insert_loans(session: AsyncSession, loans: Collection[LoanRow]) -> None:
    """Insert new loans in bulk."""
    await insert_rows(session, Loan, [x.as_row() for x in loans])


async def update_loans(session: AsyncSession, loans: Collection[LoanRow]) -> None:
    """Write back what events change on known loans (one statement, or one executemany)."""
    if not loans:
        return
    if dialect_name(session) == "postgresql":
        columns = {name: [getattr(x, name) for x in loans] for name in LOAN_CHANGES}
        await session.execute(_UPDATE_LOANS, {"ids": [x.loan_id for x in loans], **columns})
        return
    loan = table(Loan)
    # Bind names must differ from the column names in an executemany UPDATE.
    stmt = (
        update(loan)
        .where(loan.c.loan_id == bindparam("p_loan_id"))
        .values({name: bindparam(f"p_{name}") for name in LOAN_CHANGES})
    )
    rows = [
        {"p_loan_id": x.loan_id, **{f"p_{name}": getattr(x, name) for name in LOAN_CHANGES}}
        for x in loans
    ]
    await session.execute(stmt, rows)


async def group_members(
    session: AsyncSession, borrowers: Collection[str], group_ids: Collection[str]
) -> dict[str, set[str]]:
    """group id -> every member, for the groups of `borrowers` and the groups `group_ids`."""
    if not borrowers and not group_ids:
        return {}
    groups: dict[str, set[str]] = {}
    if dialect_name(session) == "postgresql":
        found = await fetch_rows(session, _GROUP_MEMBERS, list(borrowers), list(group_ids))
    else:
        member = table(GroupMember)
        of_borrowers = select(member.c.group_id).where(member.c.borrower_id.in_(borrowers))
        result = await session.execute(
            select(member.c.group_id, member.c.borrower_id).where(
                member.c.group_id.in_(of_borrowers) | member.c.group_id.in_(group_ids)
            )
        )
        found = list(result.all())
    for group_id, borrower_id in found:
        groups.setdefault(group_id, set()).add(borrower_id)
    return groups


async def take_parked(session: AsyncSession, subjects: Collection[str]) -> list[ParkedEvent]:
    """Remove and return the events parked for these loans or borrowers, oldest first (W18)."""
    if not subjects:
        return []
    parked = list(
        await session.scalars(
            select(ParkedEvent)
            .where(one_of(session, ParkedEvent.subject, subjects))
            .order_by(ParkedEvent.seq)
        )
    )
    if parked:
        await session.execute(
            delete(ParkedEvent).where(one_of(session, ParkedEvent.subject, subjects))
        )
    return parked


async def open_warnings_of_borrowers(
    session: AsyncSession,
    borrowers: Collection[str],
    *,
    contagion_of: Collection[str] = (),
    subjects: Collection[tuple[str, str]] = (),
) -> list[WarningRow]:
    """Open warnings about these borrowers or any of their loans, the open group contagion
    warnings (W1e) of the borrowers `contagion_of`, and the open warnings of these (kind,
    subject) pairs."""
    if not borrowers and not contagion_of and not subjects:
        return []
    if dialect_name(session) == "postgresql":
        sql, args = _open_warnings_sql(borrowers, contagion_of, subjects)
        return [WarningRow(*row) for row in await fetch_rows(session, sql, *args)]
    which: list[ColumnElement[bool]] = []
    if borrowers:
        which.append(EarlyWarning.borrower_id.in_(borrowers))
    if contagion_of:
        contagion = EarlyWarning.kind == WarningKind.GROUP_CONTAGION.value
        which.append(EarlyWarning.borrower_id.in_(contagion_of) & contagion)
    if subjects:
        which.append(tuple_(EarlyWarning.kind, EarlyWarning.subject).in_(subjects))
    # The literal predicate of the partial unique index on (kind, subject), so it is used.
    columns = [table(EarlyWarning).c[name] for name in WARNING_COLUMNS]
    stmt = select(*columns).where(or_(*which), text(OPEN_STATES_SQL))
    return [WarningRow(*row) for row in (await session.execute(stmt)).all()]


def _open_warnings_sql(
    borrowers: Collection[str],
    contagion_of: Collection[str],
    subjects: Collection[tuple[str, str]],
) -> tuple[str, list[list[str]]]:
    """`open_warnings_of_borrowers` for the driver: one condition per kind of argument given
    (each shape its own prepared statement). The (kind, subject) pairs become kind = ANY(...)
    AND subject = ANY(...), a superset (a few more open warnings loaded, harmless) that the
    partial unique index on (kind, subject) answers, also OR-ed with the other conditions."""
    which: list[str] = []
    args: list[list[str]] = []

    def array(values: Collection[str]) -> str:
        args.append(list(values))
        return f"${len(args)}::varchar[]"

    if borrowers:
        which.append(f"borrower_id = ANY({array(borrowers)})")
    if contagion_of:
        kind = WarningKind.GROUP_CONTAGION.value
        which.append(f"(borrower_id = ANY({array(contagion_of)}) AND kind = '{kind}')")
    if subjects:
        kinds, named = {k for k, _ in subjects}, {x for _, x in subjects}
        which.append(f"(kind = ANY({array(kinds)}) AND subject = ANY({array(named)}))")
    # The literal predicate of the partial unique index on (kind, subject), so it is used.
    sql = f"SELECT {', '.join(WARNING_COLUMNS)} FROM early_warning WHERE ({' OR '.join(which)})"
    return f"{sql} AND {OPEN_STATES_SQL}", args


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def add_group_members(session: AsyncSession, rows: list[dict[str, str]]) -> None:
    """W1e: record group links (links already known are left as they are)."""
    if rows:
        insert_members = _insert(session)(table(GroupMember)).on_conflict_do_nothing()
        await session.execute(insert_members, rows)  # an executemany: no statement per size


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


async def policy_versions(session: AsyncSession) -> tuple[tuple[str, int, datetime], ...]:
    """(name, version, when) of every stored policy: any change means a new document."""
    stmt = select(Policy.name, Policy.version, Policy.updated_at).order_by(Policy.name)
    return tuple((row.name, row.version, row.updated_at) for row in await session.execute(stmt))


async def get_policy(session: AsyncSession, name: str) -> Policy | None:
    return await session.get(Policy, name)


async def insert_rows(
    session: AsyncSession,
    model: Any,
    rows: list[dict[str, Any]],
    *,
    returning: tuple[Any, ...] = (),
) -> list[tuple[Any, ...]]:
    """Bulk insert of plain rows with the same keys: on PostgreSQL one INSERT ... SELECT over
    one array per column (one statement, not one per row), elsewhere one executemany. With
    `returning`, those columns of the rows written (in no particular order)."""
    if not rows:
        return []
    into = table(model)
    if dialect_name(session) != "postgresql":
        stmt = insert(into)
    else:
        names = list(rows[0])
        arrays = [
            func.unnest(bindparam(f"a_{name}", [r[name] for r in rows], ARRAY(into.c[name].type)))
            for name in names
        ]
        stmt, rows = insert(into).from_select(names, select(*arrays)), []
    if not returning:
        await session.execute(stmt, rows or None)
        return []
    result = await session.execute(stmt.returning(*returning), rows or None)
    return [tuple(r) for r in result.all()]


async def reports_of(session: AsyncSession, warning_id: str, *, step: str) -> list[WarningReport]:
    """The reports of one step of a warning, earliest first."""
    stmt = (
        select(WarningReport)
        .where(WarningReport.warning_id == warning_id, WarningReport.step == step)
        .order_by(WarningReport.reported_at)
    )
    return list(await session.scalars(stmt))

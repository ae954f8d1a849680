"""Tables of the warnings service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from shared.db import JsonDoc, ServiceBase, UtcDateTime, new_metadata
from shared.inbox import ProcessedEventMixin
from shared.org import depth
from shared.outbox import OutboxEventMixin

Money = Numeric(18, 2)

OPEN_STATES_SQL = "state NOT IN ('resolved', 'written_off')"
OPEN_IN_SQL = (
    "state IN ('raised', 'reported_to_branch', 'reported_to_head_office', 'under_mitigation')"
)
CLOSED_IN_SQL = "state IN ('resolved', 'written_off')"


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class ProcessedEvent(ProcessedEventMixin, Base):
    """Event ids this service's consumer group has applied (W18)."""


class EventRecord(Base):
    """Every loan, repayment and risk event the service has applied, as received (W17). Read
    by event id only: no other index (each would cost every applied event an insert)."""

    __tablename__ = "event_record"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    loan_id: Mapped[str | None] = mapped_column(String(64))
    borrower_id: Mapped[str | None] = mapped_column(String(64))
    org: Mapped[str] = mapped_column(String(140))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class Loan(Base):
    """What the service knows of a loan, from its events (W16-W17)."""

    __tablename__ = "loan"

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    borrower_id: Mapped[str] = mapped_column(String(64), index=True)
    org: Mapped[str] = mapped_column(String(140), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    balance: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    maturity_date: Mapped[date] = mapped_column(Date, index=True)
    five_class: Mapped[str] = mapped_column(String(16), default="normal")
    tier: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    disbursed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GroupMember(Base):
    """A borrower's membership of a group of related enterprises (W1e)."""

    __tablename__ = "group_member"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    borrower_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ParkedEvent(Base):
    """An event kept until what it is about arrives (W18): a loan not known yet, or a borrower
    with no loan here yet (`subject` is the loan id or the borrower id)."""

    __tablename__ = "parked_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class EarlyWarning(Base):
    """A yellow / orange / red warning and its reporting deadlines (W1-W13)."""

    __tablename__ = "early_warning"
    __table_args__ = (
        # At most one open warning of a kind per loan or borrower: new signals escalate it (W4).
        Index(
            "uq_early_warning_open_subject",
            "kind",
            "subject",
            unique=True,
            postgresql_where=text(OPEN_STATES_SQL),
            sqlite_where=text(OPEN_STATES_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    # Not indexed, nor `updated_at` (no read goes by them; issue 13): an escalation changes
    # only those and the revision, so PostgreSQL can update the row in place (HOT) instead
    # of adding an entry to each of its indexes (migration 2026_12_03_1300).
    level: Mapped[str] = mapped_column(String(8))
    # Nor have `state`, `org`, `loan_id`, `raised_at` or the deadlines an index of their own:
    # every read goes by the subtree indexes at the end of this module, and each index less
    # is one entry less for every warning an event raises (migration 2026_12_03_1800).
    state: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(80))
    loan_id: Mapped[str | None] = mapped_column(String(64))
    borrower_id: Mapped[str | None] = mapped_column(String(64), index=True)
    org: Mapped[str] = mapped_column(String(140))
    amount: Mapped[Decimal] = mapped_column(Money)
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    source_event_id: Mapped[str | None] = mapped_column(String(128))
    source_warning_id: Mapped[str | None] = mapped_column(String(32))
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    head_office_required: Mapped[bool] = mapped_column(Boolean)
    branch_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    head_office_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    branch_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    head_office_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    branch_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    head_office_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    updates_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    team: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolution: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Bumped on every change, so a poller's ETag changes even within one clock tick.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    def touch(self, now: datetime) -> None:
        """Record that the warning changed at `now`."""
        self.updated_at = now
        self.revision = (self.revision or 0) + 1


class WarningHistory(Base):
    """Every change of a warning: who, when, what (W10), never rewritten."""

    __tablename__ = "warning_history"
    __table_args__ = (
        Index(
            "ix_warning_history_escalated",
            "id",
            postgresql_where=text("action = 'escalated'"),
            sqlite_where=text("action = 'escalated'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[str] = mapped_column(ForeignKey("early_warning.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class WarningReport(Base):
    """A report to the branch or head office (W10, W12): phone first in emergencies."""

    __tablename__ = "warning_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[str] = mapped_column(ForeignKey("early_warning.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_by: Mapped[str] = mapped_column(String(128))
    late: Mapped[bool] = mapped_column(Boolean)
    content: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class WarningUpdate(Base):
    """A monthly written progress update on an open warning (W11)."""

    __tablename__ = "warning_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[str] = mapped_column(ForeignKey("early_warning.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)


class CheckTask(Base):
    """A 30-day pre-maturity check an officer must make (W14a)."""

    __tablename__ = "check_task"

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    maturity_date: Mapped[date] = mapped_column(Date, primary_key=True)
    org: Mapped[str] = mapped_column(String(140), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))


class Notice(Base):
    """A head-office risk notice to chosen branches (W9, W15)."""

    __tablename__ = "notice"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(128))


class NoticeRecipient(Base):
    """A branch a notice was sent to, and its acknowledgement (W15)."""

    __tablename__ = "notice_recipient"

    notice_id: Mapped[str] = mapped_column(ForeignKey("notice.id"), primary_key=True)
    branch: Mapped[str] = mapped_column(String(140), primary_key=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))


class Policy(Base):
    """A company policy document (W4 levels, W5-W8 deadlines), versioned by replacement."""

    __tablename__ = "policy"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(128))


class OutboxEvent(OutboxEventMixin, Base):
    """Warning changes to publish on `warning-events`, written with the change (W16)."""


class WarningTile(Base):
    """Kept dashboard counts of the open warnings of one node (issue 13, `tiles.COUNTS`) as
    of the tiles' clock; one row per writer shard, so concurrent writers rarely share a row.
    `revision` grows with every write touching the node's warnings: polled lists' ETags."""

    __tablename__ = "warning_tile"

    org: Mapped[str] = mapped_column(String(140), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch: Mapped[str] = mapped_column(String(140))  # of `org`: the summary groups by it
    open: Mapped[int] = mapped_column(Integer, default=0)
    yellow: Mapped[int] = mapped_column(Integer, default=0)
    orange: Mapped[int] = mapped_column(Integer, default=0)
    red: Mapped[int] = mapped_column(Integer, default=0)
    raised: Mapped[int] = mapped_column(Integer, default=0)
    reported_to_branch: Mapped[int] = mapped_column(Integer, default=0)
    reported_to_head_office: Mapped[int] = mapped_column(Integer, default=0)
    under_mitigation: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    due_soon: Mapped[int] = mapped_column(Integer, default=0)
    updates_missing: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class EscalationFeed(Base):
    """W4, kept for the dashboards (issue 13): each escalation of an open warning once per node
    above and at the warning's own (`shared.org.ancestors`), so a node's latest escalations
    are one index range at any size of the book. Written with the escalation's history entry,
    dropped when the warning closes (`services.warnings.escalation_feed`)."""

    __tablename__ = "escalation_feed"

    node: Mapped[str] = mapped_column(String(140), primary_key=True)
    history_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[str] = mapped_column(String(32), index=True)


class TileClock(Base):
    """The one instant the kept tiles are counted at, the 'due soon' window they use, and a
    generation bumped by every rebuild (issue 13)."""

    __tablename__ = "warning_tile_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    soon_s: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer)


class SubtreeKey(FunctionElement[str]):
    """`org || '/'` in byte order: a node's subtree (G4: the node and every node below it) is
    the one range [node + '/', node + '0') of it, since '0' follows '/' and node ids are ASCII
    (`shared.org.ORG_PATTERN`). As the last column of the pending-deadline indexes, a subtree's
    deadlines page filters on the index entries, with no visit to the rows of other subtrees
    (issue 13). PostgreSQL compares it in the "C" collation (byte order, as SQLite always)."""

    type = String()
    name = "subtree_key"
    inherit_cache = True


@compiles(SubtreeKey)
def _subtree_key(element: SubtreeKey, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} || '/')"


@compiles(SubtreeKey, "postgresql")
def _subtree_key_pg(element: SubtreeKey, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)} || '/') COLLATE \"C\")"


def in_subtree_range(org: Any, column: Any = None) -> ColumnElement[bool]:
    """The node in `column` (a warning's, by default) is `org` or below it (G4), as the range
    of `SubtreeKey` [org + '/', org + '0'); `org` a value, or `SUBTREE_BOUNDS` for a statement
    built once (its parameters: `subtree_bounds(org)`)."""
    key = SubtreeKey(EarlyWarning.org if column is None else column)
    lo, hi = (org + "/", org + "0") if isinstance(org, str) else org
    return and_(key >= lo, key < hi)


class UnitKey(FunctionElement[str]):
    """The sub-branch a node belongs to: its first three path segments (`HO/GZ/LS03` for
    itself and its offices; shallower nodes give values no sub-branch has). Leading the
    unit deadline indexes, a sub-branch's or an office's deadlines page is one range of its
    own entries, not a walk past every other subtree's earlier deadlines (issue 13)."""

    type = String()
    name = "unit_key"
    inherit_cache = True


@compiles(UnitKey)
def _unit_key(element: UnitKey, compiler: Any, **kw: Any) -> str:
    return unit_key_sql(compiler.process(element.clauses, **kw), "sqlite")


@compiles(UnitKey, "postgresql")
def _unit_key_pg(element: UnitKey, compiler: Any, **kw: Any) -> str:
    return unit_key_sql(compiler.process(element.clauses, **kw), "postgresql")


def unit_key_sql(column: str, dialect: str) -> str:
    """`UnitKey` of `column` as SQL (the migration 2026_12_03_1500 writes the same text)."""
    if dialect == "postgresql":
        return "(" + " || '/' || ".join(f"split_part({column}, '/', {n})" for n in (1, 2, 3)) + ")"
    # SQLite has no split_part: the length up to the third '/' of `column || '/'`.
    x = f"({column} || '/')"
    i1 = f"instr({x}, '/')"
    r1 = f"substr({x}, {i1} + 1)"
    i2 = f"instr({r1}, '/')"
    i3 = f"instr(substr({r1}, {i2} + 1), '/')"
    return f"substr({x}, 1, {i1} + {i2} + {i3} - 1)"


def unit_of(org: str) -> str | None:
    """The `UnitKey` value of a sub-branch or office (None above the sub-branches)."""
    return "/".join(org.split("/")[:3]) if depth(org) >= 2 else None


SUBTREE_BOUNDS = (bindparam("sub_lo", type_=String()), bindparam("sub_hi", type_=String()))


def subtree_bounds(org: str) -> dict[str, str]:
    """The parameters of `in_subtree_range(SUBTREE_BOUNDS)` for the subtree of `org`."""
    return {"sub_lo": org + "/", "sub_hi": org + "0"}


# Polled deadline pages read off an index, soonest first, filtered by subtree in the index
# (issue 13; the migrations create the same: 2026_12_02_2230_subtree_deadline_indexes.py).
# A subtree's kept tiles, one index range (issue 13: validators and the summary read them on
# every poll; migration 2026_12_03_1200_tile_subtree_index.py).
Index("ix_warning_tile_subtree", SubtreeKey(WarningTile.org))

# The open warnings newest first, filtered by subtree on the index entries (issue 13: the
# dashboard polls a subtree's first page; 2026_12_03_1230_open_raised_subtree_key.py).
Index(
    "ix_early_warning_open_raised",
    EarlyWarning.raised_at,
    EarlyWarning.id,
    SubtreeKey(EarlyWarning.org),
    postgresql_where=text(OPEN_IN_SQL),
    sqlite_where=text(OPEN_IN_SQL),
)

# Warnings of any state newest first (`GET /v1/warnings` without the open filter): the whole
# book's, with the subtree and state checked on the entries (head office and branches); per
# sub-branch, so that a sub-branch's or an office's page is one range of its own entries; and
# the closed ones by state, the part of the book that only grows, so that a page of a rare
# state is one range too (2026_12_03_1800_any_state_list_indexes.py). Off `raised_at` alone,
# a sub-branch's page of resolved warnings read 255,000 buffers at 1M loans.
Index(
    "ix_early_warning_raised",
    EarlyWarning.raised_at,
    EarlyWarning.id,
    SubtreeKey(EarlyWarning.org),
    EarlyWarning.state,
)
Index(
    "ix_early_warning_unit_raised",
    UnitKey(EarlyWarning.org),
    EarlyWarning.raised_at,
    EarlyWarning.id,
    SubtreeKey(EarlyWarning.org),
    EarlyWarning.state,
)
Index(
    "ix_early_warning_closed",
    EarlyWarning.state,
    EarlyWarning.raised_at,
    EarlyWarning.id,
    SubtreeKey(EarlyWarning.org),
    postgresql_where=text(CLOSED_IN_SQL),
    sqlite_where=text(CLOSED_IN_SQL),
)

for _step in ("branch", "head_office"):
    Index(
        f"ix_early_warning_pending_{_step}",
        getattr(EarlyWarning, f"{_step}_deadline"),
        EarlyWarning.id,
        SubtreeKey(EarlyWarning.org),
        postgresql_where=text(f"{_step}_reported_at IS NULL AND {OPEN_IN_SQL}"),
        sqlite_where=text(f"{_step}_reported_at IS NULL AND {OPEN_IN_SQL}"),
    )
    # The same per sub-branch, for the pages of sub-branches and offices (`UnitKey`;
    # migration 2026_12_03_1500_unit_deadline_indexes.py).
    Index(
        f"ix_early_warning_pending_{_step}_unit",
        UnitKey(EarlyWarning.org),
        getattr(EarlyWarning, f"{_step}_deadline"),
        EarlyWarning.id,
        SubtreeKey(EarlyWarning.org),
        postgresql_where=text(f"{_step}_reported_at IS NULL AND {OPEN_IN_SQL}"),
        sqlite_where=text(f"{_step}_reported_at IS NULL AND {OPEN_IN_SQL}"),
    )


def is_open() -> ColumnElement[bool]:
    """A warning is open (W10), with the states written as literals: the partial indexes on
    open warnings then apply to prepared statements too (a bound list would need a custom
    plan, planned again on every execution)."""
    return EarlyWarning.state.in_([literal_column(f"'{s}'") for s in OPEN_STATE_NAMES])


OPEN_STATE_NAMES = ("raised", "reported_to_branch", "reported_to_head_office", "under_mitigation")

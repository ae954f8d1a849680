"""Loan ledger tables (O17, O22): the loans as the loan and repayment events describe them,
responsibility assignments with their history, events parked until their loan is known, and
the consumer's processed events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import JsonDoc, UtcDateTime
from shared.inbox import ProcessedEventMixin


class LedgerLoan(Base):
    """A loan of the ledger; `overdue_since` gives the overdue days on any date."""

    __tablename__ = "ledger_loan"

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(140), index=True)
    borrower_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    five_class: Mapped[str] = mapped_column(String(16), default="normal")
    collateral: Mapped[str] = mapped_column(String(16))
    collateral_kind: Mapped[str | None] = mapped_column(String(64))
    loan_date: Mapped[date] = mapped_column(Date)
    maturity_date: Mapped[date] = mapped_column(Date)
    overdue_since: Mapped[date | None] = mapped_column(Date)
    interest_arrears_since: Mapped[date | None] = mapped_column(Date)
    in_disposal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    first_responsible: Mapped[str | None] = mapped_column(String(64), index=True)
    management_responsible: Mapped[str | None] = mapped_column(String(64), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # Issue 13, kept by `ranking_state` (never set by hand): the loan's O22 contribution on the
    # kept ranking's date - the officer it counts for (None: not counted, or nobody's) and
    # the balance counted, in fen - and the next day its verdict can change with the date.
    npl_officer: Mapped[str | None] = mapped_column(String(64))
    npl_fen: Mapped[int | None] = mapped_column(BigInteger)
    npl_next_change: Mapped[date | None] = mapped_column(Date, index=True)


class OfficerNpl(Base):
    """Issue 13: an officer's O22 responsible NPL balance (management loans, with the O17
    office-head fallback) on the kept date, kept by every write that changes it."""

    __tablename__ = "officer_npl"

    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    npl_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    loans: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class NplState(Base):
    """Issue 13: the one row saying which date and O22 parameters the kept balances are
    counted with (`on_date` None: not built yet), and their generation (a rebuild adds one)."""

    __tablename__ = "npl_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    on_date: Mapped[date | None] = mapped_column(Date)
    npl_overdue_days: Mapped[int] = mapped_column(Integer)
    disposal_grace_days: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class NplRevision(Base):
    """Issue 13: change counters of what the county ranking shows, a few shards so writers
    rarely wait on each other; their sum is part of the ranking's ETag."""

    __tablename__ = "npl_revision"

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class LoanResponsibility(Base):
    """O17: one period of a loan's first or management responsible officer (history)."""

    __tablename__ = "loan_responsibility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    officer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    accepted_by: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ProcessedEvent(ProcessedEventMixin, Base):
    """Events the `officers` consumer group already applied (exactly-once effect)."""


class LedgerParkedEvent(Base):
    """An event of a loan whose disbursement has not arrived yet (the loan and repayment
    topics are separate streams); applied, in arrival order, when the loan appears."""

    __tablename__ = "ledger_parked_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    loan_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

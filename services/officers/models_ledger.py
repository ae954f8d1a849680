"""Loan ledger tables (O17, O22): the loans as the loan and repayment events describe them,
responsibility assignments with their history, events parked until their loan is known, and
the consumer's processed events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models import Base
from services.officers.models_grading import JsonType
from shared.db import UtcDateTime
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
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

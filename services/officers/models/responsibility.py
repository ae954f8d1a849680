"""Responsibility tables (O17-O19, O21): office heads, management assignments awaiting the
new officer's signature, handover lists, limitation events, refinancing parts and the
head-office waivers of a first responsible officer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import JsonDoc, UtcDateTime


class OrgHead(Base):
    """O17 / Art. 27: the head of an organisation node (bears unassigned loans)."""

    __tablename__ = "org_head"

    org_id: Mapped[str] = mapped_column(ForeignKey("org_node.id"), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    since: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class AssignmentBatch(Base):
    """O17: a year-start or post-change reassignment request (idempotent by its id)."""

    __tablename__ = "assignment_batch"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ManagementAssignment(Base):
    """O17: a management responsibility offered to an officer; it takes effect when that
    officer signs to accept (a handover's, when the handover completes)."""

    __tablename__ = "management_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), index=True)
    officer_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("assignment_batch.id"), index=True)
    handover_id: Mapped[str | None] = mapped_column(ForeignKey("handover.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    # pending -> accepted (-> applied) | superseded
    status: Mapped[str] = mapped_column(String(16))
    applied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    accepted_by: Mapped[str | None] = mapped_column(String(100))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


HANDOVER_OPEN_SQL = "status = 'open'"


class Handover(Base):
    """O18 / Art. 28: the handover list of an officer leaving or moving."""

    __tablename__ = "handover"
    __table_args__ = (
        # O18: one open handover per officer, however it is opened (a concurrent second one is
        # refused by the database, not only by the check before it).
        Index(
            "uq_handover_open_officer",
            "officer_id",
            unique=True,
            postgresql_where=text(HANDOVER_OPEN_SQL),
            sqlite_where=text(HANDOVER_OPEN_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(140), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    handover_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    completed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HandoverItem(Base):
    """O18: one loan of a handover list; an NPL carries its last collection notice or
    limitation interruption, confirmed by the credit accountant."""

    __tablename__ = "handover_item"

    handover_id: Mapped[str] = mapped_column(ForeignKey("handover.id"), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    five_class: Mapped[str] = mapped_column(String(16))
    npl: Mapped[bool] = mapped_column(Boolean)
    npl_reason: Mapped[str] = mapped_column(String(300))
    last_event_id: Mapped[str | None] = mapped_column(String(64))
    last_event_kind: Mapped[str | None] = mapped_column(String(24))
    last_event_date: Mapped[date | None] = mapped_column(Date)
    accountant_name: Mapped[str | None] = mapped_column(String(100))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("management_assignment.id"))


class LimitationEvent(Base):
    """O18, O21: a collection notice served or a limitation interruption of a loan."""

    __tablename__ = "limitation_event"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    on_date: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(String(500))
    served_by: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Refinance(Base):
    """O19 / Art. 30: a refinancing (收旧贷新) of one of the five approved cases."""

    __tablename__ = "refinance"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), unique=True)
    case: Mapped[str] = mapped_column(String(40))
    old_principal: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    old_interest: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    new_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    original_officer_id: Mapped[str | None] = mapped_column(String(64))
    handling_officer_id: Mapped[str] = mapped_column(String(64))
    approval_ref: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[date] = mapped_column(Date)
    on_date: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class LoanPart(Base):
    """O19: the old or new part of a refinanced loan and its first responsible officer."""

    __tablename__ = "loan_part"

    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), primary_key=True)
    part: Mapped[str] = mapped_column(String(8), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    first_responsible: Mapped[str | None] = mapped_column(String(64), index=True)


class FirstResponsibleWaiver(Base):
    """O17 / Art. 19: head-office approval that a restructured loan whose original officer
    retired or was dismissed has only a management responsible officer."""

    __tablename__ = "first_responsible_waiver"

    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), primary_key=True)
    officer_id: Mapped[str | None] = mapped_column(String(64))
    departure: Mapped[str] = mapped_column(String(16))
    restructuring_ref: Mapped[str] = mapped_column(String(100))
    approval_ref: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

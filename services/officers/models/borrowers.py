"""Borrower register, lending restrictions and collection duty tables (O20, O23): borrowers
with household, lawsuit, interest on hold and employee links; the terms and O20 flags of
ledger loans; the yearly collection duty and the officers' collection plans."""

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
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import JsonDoc, UtcDateTime


class Borrower(Base):
    """O20: a borrower as the ledger's register knows it (依法起诉登记簿, 还本挂息台账)."""

    __tablename__ = "borrower"

    borrower_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(140), index=True)
    household_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sued: Mapped[bool] = mapped_column(Boolean, server_default=false())
    sued_on: Mapped[date | None] = mapped_column(Date)
    interest_on_hold: Mapped[bool] = mapped_column(Boolean, server_default=false())
    interest_on_hold_since: Mapped[date | None] = mapped_column(Date)
    employee_id: Mapped[str | None] = mapped_column(String(64))
    relative_of: Mapped[str | None] = mapped_column(String(64))
    relation: Mapped[str | None] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class LoanTerms(Base):
    """O20: the terms a loan created over HTTP was checked with."""

    __tablename__ = "loan_terms"

    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(64))
    family_guarantee: Mapped[str] = mapped_column(String(16))
    proof_ref: Mapped[str | None] = mapped_column(String(200))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    standard_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class LoanRestrictionFlag(Base):
    """O20/O23: a restriction a loan broke; kept for loans that arrived as facts (events)."""

    __tablename__ = "loan_restriction_flag"
    __table_args__ = (UniqueConstraint("loan_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("ledger_loan.loan_id"), index=True)
    rule: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class CollectionDuty(Base):
    """O23: an officer's place in the county ranking of a duty year (one row per officer and
    year; a re-run of the year updates it)."""

    __tablename__ = "collection_duty"
    __table_args__ = (
        UniqueConstraint("year", "officer_id"),
        # issue 13: the year's list is paged in this order
        Index("ix_collection_duty_year_page", "year", "county", "rank", "officer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    county: Mapped[str] = mapped_column(String(100), index=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(140))
    npl_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    rank: Mapped[int] = mapped_column(Integer)
    collection_duty: Mapped[bool] = mapped_column(Boolean)
    yellow_card: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[Any]] = mapped_column(JsonDoc)
    counted_on: Mapped[date] = mapped_column(Date)
    run_by: Mapped[str] = mapped_column(String(100))
    run_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class CollectionPlan(Base):
    """O23: the collection plan an officer signs for a duty year (quarterly targets)."""

    __tablename__ = "collection_plan"
    __table_args__ = (UniqueConstraint("officer_id", "year"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    q1_target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    q2_target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    q3_target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    q4_target: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class CollectionQuarter(Base):
    """O23: the amount an officer collected in one quarter of its plan."""

    __tablename__ = "collection_quarter"

    plan_id: Mapped[str] = mapped_column(ForeignKey("collection_plan.id"), primary_key=True)
    quarter: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    collected: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

"""Tables of the officers service: policies, yearly figures, grading runs, pay, dossier, ranking
(O6-O16, O36). They share `models.Base`'s metadata."""

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
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import JsonDoc, UtcDateTime


class Policy(Base):
    """A yearly policy (grading O4-O14, ranking O36) per company; every PUT adds a version."""

    __tablename__ = "policy"

    company: Mapped[str] = mapped_column(String(140), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class YearFigures(Base):
    """An officer's recorded figures for a year (the grading contract's columns, O8-O11).

    A qualitative count left NULL is taken from the records (exam results, penalty entries).
    """

    __tablename__ = "year_figures"

    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    loans_issued: Mapped[int] = mapped_column(Integer)
    interest_income: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    new_npl_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    managed_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    failed_exams: Mapped[int | None] = mapped_column(Integer)
    fines: Mapped[int | None] = mapped_column(Integer)
    criticisms: Mapped[int | None] = mapped_column(Integer)
    serious_violations: Mapped[int | None] = mapped_column(Integer)
    performance_pay: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    source: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GradingRunRow(Base):
    """O15: a stored yearly run with its inputs (policy, peer totals) and progress."""

    __tablename__ = "grading_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    org_id: Mapped[str] = mapped_column(String(140))
    county: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    compute_state: Mapped[str] = mapped_column(String(16))
    done: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    policy: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    policy_version: Mapped[int] = mapped_column(Integer)
    peers: Mapped[list[Any]] = mapped_column(JsonDoc)
    skipped: Mapped[list[Any]] = mapped_column(JsonDoc)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(1000))
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    progress_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GradingRunStep(Base):
    """O15: one recorded transition of a run (who, when)."""

    __tablename__ = "grading_run_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("grading_run.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(16))
    by_subject: Mapped[str] = mapped_column(String(100))
    on_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class GradingResultRow(Base):
    """One officer's inputs and outcome in a run; the breakdown is re-derived from the inputs."""

    __tablename__ = "grading_result"

    run_id: Mapped[int] = mapped_column(ForeignKey("grading_run.id"), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(140))
    post: Mapped[str] = mapped_column(String(32))
    county: Mapped[str] = mapped_column(String(100))
    branch_class: Mapped[int] = mapped_column(SmallInteger)
    loans_issued: Mapped[int] = mapped_column(Integer)
    interest_income: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    new_npl_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    managed_balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    failed_exams: Mapped[int] = mapped_column(Integer)
    fines: Mapped[int] = mapped_column(Integer)
    criticisms: Mapped[int] = mapped_column(Integer)
    serious_violations: Mapped[int] = mapped_column(Integer)
    # one letter per qualitative count: F = from the figures, R = counted from the records
    count_sources: Mapped[str] = mapped_column(String(4))
    performance_pay: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    salary_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    caps: Mapped[str] = mapped_column(String(120))


class OfficerGrade(Base):
    """O15: the approved (frozen) grade and coefficient of an officer for a year."""

    __tablename__ = "officer_grade"

    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("grading_run.id"), index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    salary_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    approved_on: Mapped[date] = mapped_column(Date)


class PaySheetLine(Base):
    """An officer's yearly pay sheet line (O4, O6, O14), written when the grading is approved."""

    __tablename__ = "pay_sheet_line"

    officer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("grading_run.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(140), index=True)
    post: Mapped[str] = mapped_column(String(32))
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    grade_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    salary_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    performance_pay_recorded: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    performance_pay: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    protected: Mapped[bool] = mapped_column(Boolean)
    protection_end: Mapped[date | None] = mapped_column(Date)
    leaves_post: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DossierEntry(Base):
    """O16: an append-only dossier entry; a correction is a new entry that supersedes one."""

    __tablename__ = "dossier_entry"
    __table_args__ = (Index("ix_dossier_entry_officer_kind", "officer_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_key: Mapped[str] = mapped_column(String(160), unique=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    occurred_on: Mapped[date] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_entry.id"), unique=True)
    automatic: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MonthlyScore(Base):
    """O36: an officer's assessment score for a month."""

    __tablename__ = "monthly_score"
    __table_args__ = (Index("ix_monthly_score_year_month", "year", "month"),)

    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())

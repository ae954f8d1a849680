"""Tables of the officers service: organisation, people, certification and appointment (O1-O5).

Grading, pay, dossier and ranking tables are in `models/grading.py` (same metadata).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.officers.models.base import Base
from shared.db import UtcDateTime


class OrgNode(Base):
    """A node of the organisation tree; its id is its path from the head office (overview)."""

    __tablename__ = "org_node"

    id: Mapped[str] = mapped_column(String(140), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    county: Mapped[str | None] = mapped_column(String(100))
    sub_branch_class: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Officer(Base):
    """A loan officer (account manager, 客户经理) or a manager graded for reference (O14)."""

    __tablename__ = "officer"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[str] = mapped_column(ForeignKey("org_node.id"), index=True)
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    hire_date: Mapped[date] = mapped_column(Date)
    financial_work_start_date: Mapped[date] = mapped_column(Date)
    post: Mapped[str] = mapped_column(String(32))
    # candidate (never appointed or between appointments), on_post, collection (O5), off_post
    status: Mapped[str] = mapped_column(String(16), server_default="candidate")
    good_standing: Mapped[bool] = mapped_column(Boolean, server_default=true())
    first_appointment_date: Mapped[date | None] = mapped_column(Date)
    pre_appointment_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    pre_appointment_performance_pay: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class OfficerPostPeriod(Base):
    """Post history: one row per period with the same node, post and status (open: no end)."""

    __tablename__ = "officer_post_period"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(140))
    post: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Exam(Base):
    """O1 qualification exam (one a year) or an O11 business exam / skill test."""

    __tablename__ = "exam"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer, index=True)
    # Set only for qualification exams: the unique constraint allows one a year (O1).
    qualification_year: Mapped[int | None] = mapped_column(Integer, unique=True)
    held_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ExamResult(Base):
    """One officer's result in one exam."""

    __tablename__ = "exam_result"

    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.id"), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), primary_key=True, index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class Certificate(Base):
    """O1: issued on passing the qualification exam; O6 withdraws it."""

    __tablename__ = "certificate"

    number: Mapped[str] = mapped_column(String(100), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    exam_id: Mapped[str] = mapped_column(ForeignKey("exam.id"))
    year: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(300))
    withdrawn_by_run: Mapped[int | None] = mapped_column(Integer)


class Appointment(Base):
    """O2 application: sub-branch -> risk department opinion -> committee decision."""

    __tablename__ = "appointment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(140))
    status: Mapped[str] = mapped_column(String(16))
    applied_on: Mapped[date] = mapped_column(Date)
    pre_appointment_coefficient: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    pre_appointment_performance_pay: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class AppointmentStep(Base):
    """O2: each step of an application, with who and when."""

    __tablename__ = "appointment_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointment.id"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(1000))
    by_subject: Mapped[str] = mapped_column(String(100))
    by_role: Mapped[str] = mapped_column(String(24))
    on_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class QualificationReview(Base):
    """O3: the committee's annual review of an appointed officer."""

    __tablename__ = "qualification_review"

    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    result: Mapped[str] = mapped_column(String(16))
    reviewed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000))
    by_subject: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class CollectionAssignment(Base):
    """O5: the 6-month NPL collection assignment after leaving the post; its result decides
    re-appointment."""

    __tablename__ = "collection_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officer.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    result_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())

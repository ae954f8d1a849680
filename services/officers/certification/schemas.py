"""Request and response models for certification and appointment (O1-O5)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.officers.certification.rules import AppointmentStatus, Decision, Opinion, ReviewResult
from shared.events import Id

Note = Annotated[str, StringConstraints(max_length=1000, strip_whitespace=True)]
Coefficient = Annotated[Decimal, Field(ge=0, le=99, max_digits=4, decimal_places=2)]
Yuan = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExamKind(StrEnum):
    """O1 qualification exam (one a year); O11 business exam and skill test."""

    QUALIFICATION = "qualification"
    BUSINESS = "business"
    SKILL = "skill"


class ExamCreate(_In):
    id: Id
    kind: ExamKind
    held_on: date = Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class ExamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: ExamKind
    year: int
    held_on: date
    name: str


class ExamResultIn(_In):
    officer_id: Id
    passed: bool
    score: Annotated[Decimal, Field(ge=0, le=1000, max_digits=6, decimal_places=2)] | None = None


class ExamResultsIn(_In):
    results: list[ExamResultIn] = Field(min_length=1, max_length=20000)


class ExamResultRead(BaseModel):
    exam_id: str
    officer_id: str
    passed: bool
    score: Decimal | None
    certificate: str | None = Field(description="O1: the certificate a qualification pass issued")


class ExamResultsRead(BaseModel):
    exam: ExamRead
    recorded: int
    unchanged: int
    results: list[ExamResultRead]


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    officer_id: str
    exam_id: str
    year: int
    issued_on: date
    withdrawn_on: date | None
    withdrawn_reason: str | None


class AppointmentCreate(_In):
    """O2: the sub-branch puts an officer forward; pre-appointment levels are kept for O4."""

    id: Id
    officer_id: Id
    on: date | None = Field(default=None, description="application date (default: today)")
    pre_appointment_coefficient: Coefficient
    pre_appointment_performance_pay: Yuan
    note: Note = ""


class OpinionIn(_In):
    opinion: Opinion
    on: date | None = None
    note: Note = ""


class DecisionIn(_In):
    decision: Decision
    on: date | None = None
    note: Note = ""


class StepRead(BaseModel):
    # Two classes of this name: OpenAPI names this one's schema after its module, kept as
    # published before the officers packages (issue 15).
    __module__ = "services.officers.schemas_people"

    model_config = ConfigDict(from_attributes=True)

    step: str
    outcome: str
    note: str
    by_subject: str
    by_role: str
    on_date: date
    at: datetime


StepRead.model_rebuild()  # its annotations resolve in this module, not the pinned one


class AppointmentRead(BaseModel):
    id: str
    officer_id: str
    org_id: str
    status: AppointmentStatus
    applied_on: date
    pre_appointment_coefficient: Decimal
    pre_appointment_performance_pay: Decimal
    missing_preconditions: list[str] = Field(description="O2: unmet preconditions as of today")
    steps: list[StepRead]


class ReviewIn(_In):
    year: Year
    result: ReviewResult
    on: date | None = None
    note: Note = ""


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    officer_id: str
    year: int
    result: ReviewResult
    reviewed_on: date
    note: str
    by_subject: str


class CollectionResultIn(_In):
    met: bool
    on: date | None = None
    note: Note = ""


class CollectionAssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    officer_id: str
    year: int
    run_id: int | None
    start_date: date
    end_date: date
    status: str = Field(description="open, met, not_met or cancelled (its run was reopened)")
    result_on: date | None
    note: str | None


class QualificationRead(BaseModel):
    """O1-O5 standing of an officer."""

    officer_id: str
    status: str
    certified: bool = Field(description="O1: holds a certificate that is not withdrawn")
    may_hold_loans: bool = Field(description="O1: certified and on post")
    first_appointment_date: date | None
    protection_end: date | None = Field(description="O4: first day after the protection period")
    protected_today: bool
    certificates: list[CertificateRead]
    reviews: list[ReviewRead]
    collection_assignments: list[CollectionAssignmentRead]

"""Request and response models for policies, yearly figures, grading and pay (O4-O15), and the
contract of `POST /v1/grading/compute` (the what-if grading)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.org import OrgPath


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyRead(BaseModel):
    kind: str
    year: int
    company: str
    version: int = Field(description="0: no stored policy, the spec defaults apply")
    policy: dict[str, Any]
    created_by: str | None
    created_at: datetime | None


class FiguresIn(BaseModel):
    """An officer's figures for a year (the grading contract's columns; counts left out are
    taken from the records: failed business exams / skill tests and penalty entries)."""

    loans_issued: int = Field(ge=0)
    interest_income: str = Field(description="yuan, decimal string", examples=["520000.00"])
    new_npl_balance: str = Field(examples=["15000.00"])
    managed_balance: str = Field(examples=["1500000.00"])
    failed_exams: int | None = None
    fines: int | None = None
    criticisms: int | None = None
    serious_violations: int | None = None
    performance_pay: str | None = Field(default=None, description="O4: yuan for the year")
    county: str | None = Field(default=None, description="optional; must match the tree")
    branch_class: Literal[1, 2, 3] | None = None


class FiguresRead(BaseModel):
    officer_id: str
    year: int
    loans_issued: int
    interest_income: Decimal
    new_npl_balance: Decimal
    managed_balance: Decimal
    failed_exams: int | None
    fines: int | None
    criticisms: int | None
    serious_violations: int | None
    performance_pay: Decimal | None
    source: str
    updated_by: str
    updated_at: datetime


class FigureChange(BaseModel):
    line: int
    officer_id: str
    action: Literal["create", "update"]
    changes: dict[str, dict[str, Any]] = Field(description="field -> {from, to}")


class FiguresImportRead(BaseModel):
    year: int
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    changes: list[FigureChange]


class RunCreate(_In):
    year: int = Field(ge=1990, le=2100)
    org: OrgPath | None = Field(default=None, description="subtree (default: the caller's node)")
    county: str | None = Field(default=None, min_length=1, max_length=100)


class RunStepIn(_In):
    on: date | None = Field(default=None, description="business date of the step (default today)")


class ProgressRead(BaseModel):
    state: Literal["computing", "done", "failed"]
    done: int
    total: int
    error: str | None = None


class StepRead(BaseModel):
    # Two classes of this name: OpenAPI names this one's schema after its module, kept as
    # published before the officers packages (issue 15).
    __module__ = "services.officers.schemas_grading"

    action: str
    from_status: str
    to_status: str
    actor: str
    by: str
    on: date
    at: datetime


StepRead.model_rebuild()  # its annotations resolve in this module, not the pinned one


class RunRead(BaseModel):
    id: int
    year: int
    org: str
    county: str | None
    status: Literal["draft", "proposed", "approved", "reopened"]
    progress: ProgressRead
    fingerprint: str | None
    policy_version: int
    policy: dict[str, Any]
    peers: list[dict[str, Any]]
    skipped: list[dict[str, str]]
    summary: dict[str, int]
    history: list[StepRead]
    created_by: str
    created_at: datetime


class VerifyRead(BaseModel):
    run_id: int
    identical: bool
    fingerprint: str | None
    recomputed_fingerprint: str
    checked: int
    mismatches: list[dict[str, Any]]


class PayLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    officer_id: str
    year: int
    run_id: int
    org_id: str
    post: str
    score: Decimal
    grade: int | None
    grade_coefficient: Decimal | None
    salary_coefficient: Decimal | None
    performance_pay_recorded: Decimal | None
    performance_pay: Decimal
    protected: bool
    protection_end: date | None
    leaves_post: bool
    reasons: list[str]


class OfficerGradeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    officer_id: str
    year: int
    run_id: int
    score: Decimal
    grade: int | None
    salary_coefficient: Decimal | None
    approved_on: date


# The contract of `POST /v1/grading/compute` (the what-if grading).
class ComputeItems(BaseModel):
    volume: str
    interest: str
    quality: str


class ComputeResult(BaseModel):
    officer_id: str
    score: str
    items: ComputeItems
    deductions: str
    grade: Literal[1, 2, 3] | None
    salary_coefficient: str | None
    caps: list[str]
    explanation: list[str]
    breakdown: dict[str, Any]


class ComputeRead(BaseModel):
    results: list[ComputeResult]

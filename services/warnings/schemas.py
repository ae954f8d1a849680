"""Request and response models of the warnings service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.events import Id, Money
from shared.org import OrgPath

Text = Annotated[str, StringConstraints(max_length=4000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
LevelName = Literal["yellow", "orange", "red"]
KindName = Literal[
    "pre_maturity",
    "classification",
    "interest_arrears",
    "major_event",
    "group_contagion",
    "financial_anomaly",
    "beyond_authority",
    "disguised_beyond_authority",
    "rule_breaking",
    "preconditions_unmet",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventsAccepted(BaseModel):
    """Answer to `POST /v1/events` (W19)."""

    mode: Literal["kafka", "embedded"]
    accepted: int
    event_ids: list[str]


class EventRecordRead(BaseModel):
    event_id: str
    type: str
    loan_id: str | None
    borrower_id: str | None
    org: str
    occurred_at: datetime
    received_at: datetime
    payload: dict[str, Any]


class ReportContent(_In):
    """W12: what a report carries (a phone report may give only the situation)."""

    situation: Text
    financial_condition: Text = ""
    cash_flow: Text = ""
    credit_lines: Text = ""
    related_enterprises: Text = ""
    due_diligence: Text = ""
    cause: Text = ""
    measures: Text = ""
    other: Text = ""


class ReportCreate(_In):
    step: Literal["branch", "head_office"]
    channel: Literal["phone", "written"] = "written"
    reported_at: AwareDatetime | None = None
    content: ReportContent


class UpdateCreate(_In):
    """W11: the monthly written progress update."""

    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    at: AwareDatetime | None = None


class MitigationCreate(_In):
    """W11: the team on a warning; red warnings record the branch principal's participation."""

    leader: Name
    leader_post: Literal["sub_branch_head", "deputy_head_lending"]
    members: list[Name] = Field(default_factory=list, max_length=50)
    branch_principal: Name | None = None


class ResolveCreate(_In):
    reason: Literal["repaid", "restructured", "risk_cleared", "written_off"]
    detail: Text = ""


class WarningCreate(_In):
    """W9: a warning raised by hand (by an officer or by head office)."""

    kind: KindName
    level: LevelName
    org: OrgPath
    loan_id: Id | None = None
    borrower_id: Id | None = None
    detail: Text = ""
    discovered_at: AwareDatetime | None = None
    amount: Money | None = None


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: str
    channel: str
    reported_at: datetime
    reported_by: str
    late: bool
    content: dict[str, Any]


class HistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    level: str
    state: str
    detail: dict[str, Any]


class UpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: str
    at: datetime
    by: str
    text: str


class WarningRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    category: str
    level: str
    state: str
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


class WarningDetail(WarningRead):
    history: list[HistoryRead]
    reports: list[ReportRead]
    updates: list[UpdateRead]


class WarningPage(BaseModel):
    items: list[WarningRead]
    next_cursor: str | None


class DeadlineRead(BaseModel):
    warning_id: str
    step: Literal["branch", "head_office"]
    deadline: datetime
    overdue: bool
    level: str
    kind: str
    org: str
    loan_id: str | None
    borrower_id: str | None


class DeadlinePage(BaseModel):
    """W13: one page of the reports still to make, soonest first (issue 13)."""

    items: list[DeadlineRead]
    next_cursor: str | None


class EscalationRead(BaseModel):
    """W4: one escalation of an open warning (from its history)."""

    warning_id: str
    at: datetime
    level: str
    from_level: str | None
    why: str | None
    org: str
    kind: str
    loan_id: str | None
    borrower_id: str | None


class EscalationPage(BaseModel):
    items: list[EscalationRead]
    next_cursor: str | None


class DeadlineCompute(_In):
    """`POST /v1/deadlines/compute` (a what-if, W5-W8)."""

    kind: KindName
    amount: Money
    discovered_at: AwareDatetime
    maturity_date: date | None = None
    branch_reported_at: AwareDatetime | None = None


class DeadlineComputed(BaseModel):
    branch_deadline: datetime | None
    head_office_required: bool
    head_office_deadline: datetime | None


class Summary(BaseModel):
    org: str
    open_by_level: dict[str, int]
    open_by_state: dict[str, int]
    overdue: int
    due_soon: int
    updates_missing: int
    by_branch: dict[str, int]


class SweepResult(BaseModel):
    check_tasks_created: int
    overdue_marked: int
    updates_missing: int


class NoticeCreate(_In):
    """W15: a head-office risk notice to chosen branches."""

    scope: Literal["system", "group", "industry"]
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    branches: list[OrgPath] = Field(min_length=1, max_length=500)


class NoticeRecipientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    branch: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class NoticeRead(BaseModel):
    id: str
    scope: str
    title: str
    body: str
    created_at: datetime
    created_by: str
    recipients: list[NoticeRecipientRead]


class CheckTaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    loan_id: str
    maturity_date: date
    org: str
    created_at: datetime
    done_at: datetime | None
    outcome: str | None


class PolicyRead(BaseModel):
    name: str
    version: int
    document: dict[str, Any]

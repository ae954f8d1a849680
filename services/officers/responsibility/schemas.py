"""Request and response models of responsibility, handovers, refinancing and the limitation
watch (O17-O19, O21)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.officers.responsibility.rules import Departure, RefinanceCase
from shared.events import Id

Text = str
MAX_MONEY = Decimal("1e15")


class EffectiveRead(BaseModel):
    """O17 / Art. 27: who answers for the loan's management now."""

    officer_id: str | None
    fallback: Literal["office_head"] | None = None
    head_of: str | None = Field(default=None, description="the node whose head it falls to")


class PartRead(BaseModel):
    """O19: one part of a refinanced loan."""

    part: str
    amount: Decimal
    balance: Decimal = Field(description="pro-rata share of the loan's balance")
    first_responsible: str | None


class OrgHeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer_id: Id
    since: date


class OrgHeadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: str
    officer_id: str
    since: date
    set_by: str


class BatchItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loan_id: Id
    officer_id: Id


class BatchIn(BaseModel):
    """O17: reassign management at year start or on a post change."""

    model_config = ConfigDict(extra="forbid")

    batch_id: Id
    kind: Literal["year_start", "post_change"]
    effective_on: date
    reason: Text = Field(min_length=1, max_length=200)
    items: list[BatchItemIn] = Field(min_length=1, max_length=5000)


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    loan_id: str
    officer_id: str
    kind: str
    batch_id: str | None
    handover_id: str | None
    effective_on: date
    reason: str
    status: str
    applied: bool
    requested_by: str
    accepted_by: str | None
    accepted_at: datetime | None


class BatchRead(BaseModel):
    batch_id: str
    kind: str
    effective_on: date
    reason: str
    assignments: list[AssignmentRead]


class HandoverIn(BaseModel):
    """O18: an officer leaves or moves; the handover list is made of every loan they manage."""

    model_config = ConfigDict(extra="forbid")

    handover_id: Id
    officer_id: Id
    kind: Literal["leaving", "moving"]
    on: date
    reason: Text = Field(min_length=1, max_length=200)


class ConfirmIn(BaseModel):
    """O18: the credit accountant's confirmation of an item's last notice / interruption."""

    model_config = ConfigDict(extra="forbid")

    accountant_name: Text = Field(min_length=1, max_length=100)
    confirmed_on: date


class AssigneeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer_id: Id


class HandoverItemRead(BaseModel):
    loan_id: str
    balance: Decimal
    five_class: str
    npl: bool
    npl_reason: str
    last_event_id: str | None
    last_event_kind: str | None
    last_event_date: date | None
    accountant_name: str | None
    confirmed_on: date | None
    confirmed_by: str | None
    assignment: AssignmentRead | None


class HandoverRead(BaseModel):
    handover_id: str
    officer_id: str
    org_id: str
    kind: str
    on: date
    reason: str
    status: str
    created_by: str
    completed_by: str | None
    completed_at: datetime | None
    items: list[HandoverItemRead]


class LimitationEventIn(BaseModel):
    """O18, O21: a collection notice served or a limitation interruption (suit, written
    acknowledgement, part payment...)."""

    model_config = ConfigDict(extra="forbid")

    event_id: Id
    kind: Literal["collection_notice", "interruption"]
    on: date
    evidence: Text = Field(min_length=1, max_length=500)
    served_by: Text | None = Field(default=None, min_length=1, max_length=100)


class LimitationEventRead(BaseModel):
    event_id: str
    loan_id: str
    kind: str
    on: date
    evidence: str
    served_by: str | None
    recorded_by: str


class WatchRead(BaseModel):
    loan_id: str
    org_id: str
    balance: Decimal
    effective_management: EffectiveRead
    limitation_start: date
    limitation_basis: str
    limitation_end: date
    days_left: int
    lapsed: bool


class WatchListRead(BaseModel):
    on: date
    officer_id: str | None = None
    org: str | None = None
    limitation_years: int = Field(description="O21 policy `limitation_years`")
    within_days: int = Field(description="O21 policy `limitation_watch_days` unless overridden")
    loans: list[WatchRead]


class RefinanceIn(BaseModel):
    """O19 / Art. 30: one of the five approved refinancing cases, approved by the loan
    review committee (贷审会)."""

    model_config = ConfigDict(extra="forbid")

    refinance_id: Id
    case: RefinanceCase
    old_principal: Decimal = Field(ge=0, le=MAX_MONEY, decimal_places=2)
    old_interest: Decimal = Field(ge=0, le=MAX_MONEY, decimal_places=2)
    new_amount: Decimal = Field(ge=0, le=MAX_MONEY, decimal_places=2)
    handling_officer_id: Id
    original_officer_id: Id | None = Field(
        default=None, description="the old loan's first responsible; default the loan's"
    )
    approval_ref: Text = Field(min_length=1, max_length=100)
    approved_on: date
    on: date


class WaiverIn(BaseModel):
    """O17 / Art. 19: head-office approval to keep only a management officer."""

    model_config = ConfigDict(extra="forbid")

    departure: Departure
    restructuring_ref: Text = Field(min_length=1, max_length=100)
    approval_ref: Text = Field(min_length=1, max_length=100)
    approved_on: date

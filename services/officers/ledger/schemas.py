"""Request and response models of the loan ledger (O17, O22)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.officers.kernel.vocabulary import Collateral, LoanClass
from services.officers.responsibility.schemas import EffectiveRead, PartRead
from shared.events import Id


class ResponsibilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: str
    officer_id: str | None
    start_on: date
    end_on: date | None
    source: str
    reason: str
    accepted_by: str | None


class LoanRead(BaseModel):
    loan_id: str
    org_id: str
    borrower_id: str | None
    amount: Decimal
    balance: Decimal
    five_class: str
    collateral: str
    collateral_kind: str | None
    loan_date: date
    maturity_date: date
    overdue_since: date | None
    overdue_days: int
    interest_arrears_since: date | None
    in_disposal: bool
    first_responsible: str | None
    management_responsible: str | None
    npl_counted: bool = Field(description="O22 on the reading date")
    npl_reason: str
    effective_management: EffectiveRead | None = Field(default=None, description="O17, Art. 27")
    parts: list[PartRead] | None = Field(default=None, description="O19 refinancing parts")
    responsible_balance: Decimal | None = Field(default=None, description="in an officer's book")
    responsibility: list[ResponsibilityRead] | None = None


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer_id: Id
    effective_on: date
    reason: str = Field(min_length=1, max_length=300)
    accepted_by: str = Field(min_length=1, max_length=100, description="who signed to accept")


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    balance: Decimal | None = Field(default=None, ge=0, le=Decimal("1e15"), decimal_places=2)
    five_class: LoanClass | None = None
    collateral: Collateral | None = None
    overdue_since: date | None = None
    in_disposal: bool | None = None


class OfficerBookRead(BaseModel):
    officer_id: str
    role: str
    on: date
    loans: list[LoanRead]
    balance: Decimal
    npl_balance: Decimal = Field(description="O22 responsible NPL balance")

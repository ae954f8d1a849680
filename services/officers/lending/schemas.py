"""Request and response models of the borrower register and the O20 lending restrictions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.officers.kernel.vocabulary import Collateral
from services.officers.ledger.schemas import LoanRead
from services.officers.lending.rules import FamilyGuarantee
from shared.events import Id
from shared.org import OrgPath

MAX_MONEY = Decimal("1e15")


Rate = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6, description="yearly, 0.0435")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BorrowerIn(_In):
    org_id: OrgPath
    household_id: Id | None = None
    sued: bool = False
    sued_on: date | None = None
    interest_on_hold: bool = False
    interest_on_hold_since: date | None = None
    employee_id: Id | None = Field(default=None, description="the borrower is this employee")
    relative_of: Id | None = Field(default=None, description="relative of this employee")
    relation: str | None = Field(default=None, min_length=1, max_length=32)


class BorrowerRead(BorrowerIn):
    borrower_id: str
    household_on_hold: list[str] = Field(description="other household members on hold")
    updated_by: str


class LoanTermsIn(_In):
    borrower_id: Id
    amount: Decimal = Field(gt=0, le=MAX_MONEY, decimal_places=2)
    collateral: Collateral
    family_guarantee: FamilyGuarantee = Field(description="O20 joint guarantee (Art. 24)")
    proof_ref: str | None = Field(default=None, max_length=200, description="proof of none")
    rate: Rate | None = None
    standard_rate: Rate | None = Field(default=None, description="the product's rate for others")
    officer_id: Id = Field(description="the issuing (first responsible) officer")


class CheckIn(LoanTermsIn):
    on: date | None = Field(default=None, description="loan date; default today")


class ViolationRead(BaseModel):
    rule: str
    code: str
    detail: str


class CheckRead(BaseModel):
    allowed: bool
    on: date
    joint_guarantee_min_amount: Decimal
    violations: list[ViolationRead]


class LoanCreate(LoanTermsIn):
    loan_id: Id
    org: OrgPath
    loan_date: date | None = None
    maturity_date: date
    management_responsible: Id | None = None


class LoanCreated(BaseModel):
    loan: LoanRead
    check: CheckRead


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule: str
    code: str
    detail: str
    source: str

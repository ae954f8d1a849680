"""Request and response models of the liability what-ifs (O22, O26, O33-O35).

Money is a decimal string (numbers are accepted too) in yuan; answers carry decimal strings
rounded to the fen (ROUND_HALF_UP) once, at the end.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.officers.grading.policy import Post
from services.officers.kernel.vocabulary import Collateral, LoanClass

Money = Decimal
MAX_MONEY = Decimal("1e15")
Year = int


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncomeIn(_In):
    year: int = Field(ge=1990, le=2100)
    natural_person: Money = Field(ge=0, le=MAX_MONEY, description="interest income, yuan")
    enterprise: Money = Field(ge=0, le=MAX_MONEY, description="enterprise and organisations")


class ToleranceLoanIn(_In):
    loan_id: str = Field(min_length=1, max_length=64)
    balance: Money = Field(ge=0, le=MAX_MONEY)
    loan_class: LoanClass
    overdue_days: int = Field(default=0, ge=0, le=100_000)
    collateral: Collateral
    in_disposal: bool = False
    loan_date: date
    limitation_lapsed: bool = False


class ToleranceComputeIn(_In):
    """O26 what-if: the tolerance of an officer leaving in `exit_year` and, for the loans
    given, the O22 count and the parts within and above tolerance in O34 order."""

    exit_year: int = Field(ge=1990, le=2100)
    post: Post = Post.OFFICER
    branch_class: Literal[1, 2, 3]
    interest_income: list[IncomeIn] = Field(max_length=100)
    loans: list[ToleranceLoanIn] = Field(default_factory=list, max_length=10_000)
    policy: dict[str, Any] | None = Field(
        default=None, description="overrides of the year's liability policy"
    )


class ToleranceLoanRead(BaseModel):
    loan_id: str
    order: int
    balance: Decimal
    counted: bool
    reason: str
    within_tolerance: Decimal
    above_tolerance: Decimal


class ToleranceRead(BaseModel):
    exit_year: int
    window: list[int]
    missing_years: list[int]
    reduced: bool
    natural_person_income: Decimal
    enterprise_income: Decimal
    natural_person_rate: Decimal
    enterprise_rate: Decimal
    tolerance: Decimal
    npl_balance: Decimal
    over_amount: Decimal
    over_ratio: Decimal | None = Field(description="fraction over; null: tolerance is zero")
    within: bool
    over_tolerance_share: Decimal = Field(description="O29 share of teller performance")
    loans: list[ToleranceLoanRead]


class FundsIn(_In):
    risk_fund: Money = Field(default=Decimal(0), ge=0, le=MAX_MONEY)
    post_deposit: Money = Field(default=Decimal(0), ge=0, le=MAX_MONEY)
    performance_pay: Money = Field(default=Decimal(0), ge=0, le=MAX_MONEY)


class BuyoutLoanIn(_In):
    loan_id: str = Field(min_length=1, max_length=64)
    balance: Money = Field(ge=0, le=MAX_MONEY)
    loan_date: date
    collateral: Collateral
    formed_year: int | None = Field(default=None, ge=1900, le=2100)
    limitation_lapsed: bool = False
    in_disposal: bool = False
    matured: bool = True
    overdue_year: int | None = Field(default=None, ge=1900, le=2100)
    successor_accepted: bool = False


class BuyoutComputeIn(_In):
    """O33-O35 what-if: a retiree's loans, tolerance (given, or from the O26 inputs) and
    funds; answers each loan's buy-out in O34 settlement order."""

    year: int = Field(ge=1990, le=2100, description="retirement year (policy year)")
    tolerance: Money | None = Field(default=None, ge=0, le=MAX_MONEY)
    post: Post = Post.OFFICER
    branch_class: Literal[1, 2, 3] | None = None
    interest_income: list[IncomeIn] | None = Field(default=None, max_length=100)
    loans: list[BuyoutLoanIn] = Field(min_length=1, max_length=10_000)
    funds: FundsIn = Field(default_factory=FundsIn)
    policy: dict[str, Any] | None = None


class BuyoutLoanRead(BaseModel):
    loan_id: str
    order: int
    balance: Decimal
    vintage: int | None
    disposition: str
    within_tolerance: Decimal
    above_tolerance: Decimal
    rate: str
    amount: Decimal
    from_risk_fund: Decimal
    from_post_deposit: Decimal
    from_performance_pay: Decimal
    unfunded: Decimal
    reasons: list[str]


class BuyoutRead(BaseModel):
    year: int
    tolerance: Decimal
    total: Decimal
    escrow: Decimal
    from_risk_fund: Decimal
    from_post_deposit: Decimal
    from_performance_pay: Decimal
    unfunded: Decimal
    loans: list[BuyoutLoanRead]


class RankingPolicyRead(BaseModel):
    npl_overdue_days: int
    disposal_grace_days: int
    bottom_count: int
    yellow_card_balance: Decimal


class RankedOfficerRead(BaseModel):
    officer_id: str
    name: str
    org: str
    county: str
    npl_balance: Decimal = Field(description="O22 responsible NPL balance (management)")
    rank: int = Field(description="O23 rank in the county, 1 = largest NPL balance")
    collection_duty: bool
    yellow_card: bool
    reasons: list[str]
    status: str = Field(description="the officer's status (`collection`: O5 assignment)")
    collection_until: date | None = Field(description="end of the open O5 assignment")


class LiabilityRankingRead(BaseModel):
    year: int
    on: date
    org: str
    county: str | None
    policy: RankingPolicyRead
    officers: list[RankedOfficerRead] = Field(
        description="this page of the listing, in (county, rank, officer_id) order"
    )
    next_cursor: str | None = Field(description="the next page's `cursor`; null on the last")

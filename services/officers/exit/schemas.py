"""Request and response models of exit (O24-O25), pay after exit (O27-O29) and the vintage
buy-out (O32).

Money is a decimal string (numbers are accepted too) in yuan; answers carry decimal strings
rounded to the fen (ROUND_HALF_UP) once, at the end.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.officers.kernel.vocabulary import Gender

MAX_MONEY = Decimal("1e15")
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY)]
# Dates a rule may add decades to (exit age, transition years) stay within this range.
Day = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2100, 12, 31))]
PolicyOverrides = Annotated[
    dict[str, Any] | None, Field(default=None, description="overrides of the year's policy")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExitEvaluateIn(_In):
    """O24 what-if: the facts of one officer on a date."""

    on: Day
    gender: Gender
    birth_date: Day
    score: Decimal | None = Field(default=None, ge=0, le=1000, description="latest grading score")
    failed_exams_in_row: int = Field(default=0, ge=0, le=100)
    sub_branch_unqualified: bool = False
    review_unqualified: bool = False
    age_extended: bool = False
    illness: bool = False
    major_violation: bool = False
    policy: PolicyOverrides = None


class ConditionRead(BaseModel):
    condition: str
    holds: bool
    rule: str = Field(description="the rule text")
    detail: str
    source: str = Field(description="body, stored (with what), query, or not_recorded")


class ExitRead(BaseModel):
    officer_id: str | None = None
    on: date
    exits: bool
    exit_age_date: date
    conditions: list[ConditionRead]
    held: list[str]


class TransitionIn(_In):
    """O25 what-if: the age-exit transition from `start` with the first-responsible book."""

    start: Day
    book: Money
    balances: list[Money] = Field(
        default_factory=list, max_length=10, description="actual book at each deadline, in order"
    )
    on: Day | None = Field(default=None, description="answer may_lend on this date")
    policy: PolicyOverrides = None


class MilestoneRead(BaseModel):
    year: int
    deadline: date
    ceiling: Decimal
    actual: Decimal | None
    met: bool | None


class TransitionRead(BaseModel):
    start: date
    book: Decimal
    milestones: list[MilestoneRead]
    lending_stops: date
    collection_from: date
    may_lend: bool | None
    all_met: bool | None
    rules: list[str]


class PayYearIn(_In):
    year: int = Field(ge=1990, le=2100)
    officer_rules_pay: Money = Decimal(0)
    teller_average: Money = Decimal(0)
    interest_income_pay: Money = Decimal(0)
    new_post_pay: Money = Decimal(0)


class PayQuarterIn(_In):
    target: Money
    collected: Money
    teller_monthly_advance: Money
    teller_volume_performance: Money


class PayComputeIn(_In):
    """O27-O29 what-if: performance pay by year after exit, and quarter by quarter the pay of
    an officer who left the post, within or over its NPL tolerance."""

    exit_year: int = Field(ge=1990, le=2100, description="also the policy year")
    years: list[PayYearIn] = Field(default_factory=list, max_length=50)
    tolerance: Money | None = None
    npl_balance: Money | None = None
    exit_grade_coefficient: Decimal | None = Field(default=None, ge=0, le=100)
    teller_average_coefficient: Decimal | None = Field(default=None, ge=0, le=100)
    quarters: list[PayQuarterIn] = Field(default_factory=list, max_length=200)
    previous_quarter_met: bool = Field(
        default=True, description="the quarter before the first one met its target"
    )
    policy: PolicyOverrides = None


class PayYearRead(BaseModel):
    year: int
    years_after_exit: int
    performance: Decimal
    rule: str


class PayQuarterRead(BaseModel):
    index: int
    target_met: bool
    months_advanced: int
    advance: Decimal
    performance: Decimal
    total: Decimal
    reasons: list[str]


class PayRead(BaseModel):
    exit_year: int
    years: list[PayYearRead]
    within_tolerance: bool | None
    over_ratio: Decimal | None
    share: Decimal | None
    salary_coefficient: Decimal | None
    coefficient_rule: str | None
    quarters: list[PayQuarterRead]
    total_advance: Decimal
    total_performance: Decimal


class VintageLoanIn(_In):
    loan_id: str = Field(min_length=1, max_length=64)
    balance: Money
    loan_date: date
    formed_year: int = Field(ge=1900, le=2100, description="year it became non-performing")
    first_responsible: str = Field(min_length=1, max_length=64)
    relative_of_employee: bool = False
    introduced_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the employee who introduced or guaranteed the loan",
    )
    already_bought_out: bool = False


class VintageComputeIn(_In):
    """O32 what-if: the loans of a first-responsible officer in buy-out year `year`."""

    year: int = Field(ge=1990, le=2100)
    full_buyout_consent: bool = Field(
        default=False, description="the officer buys out all its NPLs with the bank's consent"
    )
    loans: list[VintageLoanIn] = Field(min_length=1, max_length=10_000)
    policy: PolicyOverrides = None


class VintageLoanRead(BaseModel):
    loan_id: str
    vintage: int
    age: int
    due_year: int
    status: str
    payer: str
    payer_id: str | None
    rate: Decimal
    amount: Decimal
    recoveries_to: str
    rule: str


class PayerTotal(BaseModel):
    payer_id: str
    amount: Decimal


class VintageRead(BaseModel):
    year: int
    due_vintage: int
    total: Decimal
    by_payer: list[PayerTotal]
    loans: list[VintageLoanRead]


class VintageRecordLoanIn(_In):
    loan_id: str = Field(min_length=1, max_length=64)
    balance: Money
    loan_date: date
    formed_year: int = Field(ge=1900, le=2100, description="year it became non-performing")
    relative_of_employee: bool = False
    introduced_by: str | None = Field(default=None, min_length=1, max_length=64)


class VintageRecordIn(_In):
    """O32 stored: the officer's first-responsible loans bought out in `year`; its own amounts
    are deducted from its accounts (O30 path), introducers' amounts are recorded."""

    operation_id: str = Field(min_length=1, max_length=100, description="the caller's unique id")
    on: date
    year: int = Field(ge=1990, le=2100)
    full_buyout_consent: bool = False
    loans: list[VintageRecordLoanIn] = Field(min_length=1, max_length=1000)


class VintageRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    loan_id: str
    officer_id: str
    operation_id: str
    year: int
    vintage: int
    status: str
    payer: str
    payer_id: str
    balance: Decimal
    rate: Decimal
    amount: Decimal
    recoveries_to: str
    rule: str
    on: date


class SkippedRead(BaseModel):
    loan_id: str
    status: str
    rule: str


class VintagePostedRead(BaseModel):
    operation_id: str
    replayed: bool
    recorded: list[VintageRecordRead]
    skipped: list[SkippedRead]
    deducted: Decimal = Field(description="the officer's own amounts, deducted (O30 order)")
    balances: dict[str, Decimal]

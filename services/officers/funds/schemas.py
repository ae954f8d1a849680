"""Request and response models of the compensation accounts (O30-O31, O35)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.officers.kernel.vocabulary import Collateral
from shared.paging import Page

Amount = Annotated[Decimal, Field(gt=0, le=Decimal("1e15"), decimal_places=2)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operation_id: str = Field(min_length=1, max_length=100, description="the caller's unique id")
    on: date
    reference: str = Field(default="", max_length=300)


class DepositIn(_In):
    account: Literal["risk_fund", "post_deposit"]
    amount: Amount


class DeductionIn(_In):
    amount: Amount
    loan_id: str | None = Field(default=None, min_length=1, max_length=64)


class RefundIn(_In):
    loan_id: str = Field(min_length=1, max_length=64)
    collateral: Collateral
    became_npl: bool = False
    interest_arrears_over_year: bool = False


class EscrowLoanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loan_id: str = Field(min_length=1, max_length=64)
    amount: Amount = Field(description="the loan's buy-out amount (O33), yuan")


class EscrowIn(_In):
    loans: list[EscrowLoanIn] = Field(min_length=1, max_length=500)
    performance_pay: Annotated[Decimal, Field(ge=0, le=Decimal("1e15"), decimal_places=2)] = Field(
        default=Decimal(0), description="retirement-year performance pay available"
    )


class EscrowReleaseIn(_In):
    outcome: Literal["no_loss", "loss"]
    loss: Annotated[Decimal, Field(gt=0, le=Decimal("1e15"), decimal_places=2)] | None = Field(
        default=None, description="the bank's loss on disposal (recorded with the operation)"
    )


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operation_id: str
    account: str
    kind: str
    amount: Decimal
    loan_id: str | None
    on: date
    reference: str


class BalancesRead(BaseModel):
    risk_fund: Decimal
    post_deposit: Decimal
    shortfall: Decimal = Field(description="owed by the officer, carried forward (O30)")
    escrow: Decimal = Field(description="held for mortgage loans in disposal (O35)")


class PostedRead(BaseModel):
    operation_id: str
    replayed: bool
    movements: list[MovementRead]
    balances: BalancesRead


class StatementRead(Page[MovementRead]):
    """The balances and a page of the movements behind them (issue 13: `items`)."""

    officer_id: str
    balances: BalancesRead

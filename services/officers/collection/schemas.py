"""Request and response models of O23 collection duty and plans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Id

MAX_MONEY = Decimal("1e15")


Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2)]


class DutyRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date | None = Field(default=None, description="counting date; default today/year end")
    county: str | None = Field(default=None, min_length=1, max_length=100)


class DutyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    county: str
    officer_id: str
    org_id: str
    npl_balance: Decimal
    rank: int
    collection_duty: bool
    yellow_card: bool
    reasons: list[str]
    counted_on: date


class DutyRunRead(BaseModel):
    year: int
    on: date
    changed: int = Field(description="rows created or updated by this run (0: a repeat)")
    officers: list[DutyRead]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    officer_id: Id
    year: int = Field(ge=1990, le=2100)
    targets: list[Money] = Field(min_length=4, max_length=4, description="Q1..Q4, yuan")
    signed_on: date


class QuarterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collected: Money


class QuarterRead(BaseModel):
    quarter: int
    target: Decimal
    collected: Decimal | None
    met: bool | None
    cumulative_target: Decimal
    cumulative_collected: Decimal


class PlanRead(BaseModel):
    id: str
    officer_id: str
    year: int
    targets: list[Decimal]
    signed_on: date
    signed_by: str
    status: str
    year_target: Decimal
    collected: Decimal
    shortfall: Decimal
    quarters: list[QuarterRead]
    reason: str


class StatusRead(BaseModel):
    officer_id: str
    year: int
    duty_year: int | None
    state: str
    collection_duty: bool
    yellow_card: bool
    pay: str = Field(description="normal | living_allowance")
    post: str = Field(description="on_post | off_post_collection")
    unsecured_lending: bool
    lending: bool
    reasons: list[str]
    plan: PlanRead | None

"""Versioned event envelope and event models (warnings.md W16-W17): the contract between services.

Every event is one JSON object: `event_id`, `version`, `type`, `occurred_at`, `loan_id` and/or
`borrower_id`, `org` and a type-specific `body`. Producers post these to Kafka (keyed by loan id,
or borrower id for borrower-level signals) or over HTTP; consumers parse them with `parse_event`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from shared.org import OrgPath

SCHEMA_VERSION: Literal[1] = 1


class Topic(StrEnum):
    """Kafka topic names (W16 defaults)."""

    LOAN = "loan-events"
    REPAYMENT = "repayment-events"
    RISK = "risk-events"
    WARNING = "warning-events"
    RATING = "rating-events"
    WARNINGS_DLQ = "warnings-dlq"


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-]{1,64}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:\-]{1,128}$")]


def _not_float(value: object) -> object:
    """Money never passes through a binary float: a decimal string or an integer (found by the
    hostile-input tests: `"amount": 3200.5` was accepted)."""
    if isinstance(value, float):
        raise ValueError('money must be a decimal string (e.g. "3200.50") or an integer')
    return value


def _utc_representable(value: datetime) -> datetime:
    """A timestamp must exist in UTC too (found by the hostile-input tests:
    0001-01-01T00:00:00+14:00 overflowed on conversion, a 500)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the timestamp lies outside 0001-01-01..9999-12-31 in UTC") from None
    return value


# The constraints come first, so pydantic-core checks them on the decimal itself; after the
# function validator they would run as Python validators (a third of an event's parse time).
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False),
    BeforeValidator(_not_float),
]  # yuan, to the fen
Timestamp = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FiveClass(StrEnum):
    """Five-category loan classification."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


class Officers(_Model):
    first_responsible: Id | None = None
    management_responsible: Id | None = None


class LoanDisbursedBody(_Model):
    amount: Money
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "CNY"
    maturity_date: date
    group_id: Id | None = None
    collateral_kind: Annotated[str, StringConstraints(max_length=64)] | None = None
    officers: Officers = Officers()


class LoanClassifiedBody(_Model):
    five_class: FiveClass
    tier: Annotated[int, Field(ge=1, le=3)] | None = None
    predicted: bool = False


class LoanMaturedBody(_Model):
    outstanding: Money | None = None


class MaturityCheckedBody(_Model):
    """The officer's pre-maturity check (W1a)."""

    outcome: Literal["expected_repaid", "cannot_confirm", "expected_unpaid"]
    overdue_elsewhere: bool = False


class RepaymentReceivedBody(_Model):
    principal: Money = Decimal(0)
    interest: Money = Decimal(0)


class RepaymentMissedBody(_Model):
    amount_due: Money
    due_date: date


class InterestArrearsBody(_Model):
    amount: Money
    since: date


class MajorEventBody(_Model):
    kind: Literal[
        "policy_change",
        "structure_change",
        "guarantee_over_ceiling",
        "ability_to_pay",
        "major_lawsuit",
        "cross_default",
        "other",
    ]
    description: Text = ""


class FinancialAnomalyBody(_Model):
    indicator: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    old: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=24)]
    new: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=24)]


class GroupLinkedBody(_Model):
    group_id: Id


class LendingViolationBody(_Model):
    kind: Literal[
        "beyond_authority", "disguised_beyond_authority", "rule_breaking", "preconditions_unmet"
    ]
    description: Text = ""


class Event(_Model):
    """The envelope every event shares (W17)."""

    event_id: EventId
    version: Literal[1] = SCHEMA_VERSION
    type: str
    occurred_at: Timestamp
    loan_id: Id | None = None
    borrower_id: Id | None = None
    org: OrgPath

    @property
    def key(self) -> str:
        """The Kafka key: the loan id, else the borrower id (all of one loan's events in order)."""
        return self.loan_id or self.borrower_id or self.event_id


class _LoanEvent(Event):
    @model_validator(mode="after")
    def _needs_loan(self) -> _LoanEvent:
        if not self.loan_id:
            raise ValueError(f"W17: a {self.type} event needs loan_id")
        return self


class _BorrowerEvent(Event):
    @model_validator(mode="after")
    def _needs_borrower(self) -> _BorrowerEvent:
        if not self.borrower_id:
            raise ValueError(f"W17: a {self.type} event needs borrower_id")
        return self


class LoanDisbursed(_LoanEvent):
    type: Literal["loan.disbursed"] = "loan.disbursed"
    body: LoanDisbursedBody

    @model_validator(mode="after")
    def _needs_borrower(self) -> LoanDisbursed:
        if not self.borrower_id:
            raise ValueError("W17: a loan.disbursed event needs borrower_id")
        return self


class LoanClassified(_LoanEvent):
    type: Literal["loan.classified"] = "loan.classified"
    body: LoanClassifiedBody


class LoanMatured(_LoanEvent):
    type: Literal["loan.matured"] = "loan.matured"
    body: LoanMaturedBody = LoanMaturedBody()


class LoanMaturityChecked(_LoanEvent):
    type: Literal["loan.maturity_checked"] = "loan.maturity_checked"
    body: MaturityCheckedBody


class RepaymentReceived(_LoanEvent):
    type: Literal["repayment.received"] = "repayment.received"
    body: RepaymentReceivedBody


class RepaymentMissed(_LoanEvent):
    type: Literal["repayment.missed"] = "repayment.missed"
    body: RepaymentMissedBody


class InterestArrears(_LoanEvent):
    type: Literal["interest.arrears"] = "interest.arrears"
    body: InterestArrearsBody


class BorrowerMajorEvent(_BorrowerEvent):
    type: Literal["borrower.major_event"] = "borrower.major_event"
    body: MajorEventBody


class BorrowerFinancialAnomaly(_BorrowerEvent):
    type: Literal["borrower.financial_anomaly"] = "borrower.financial_anomaly"
    body: FinancialAnomalyBody


class BorrowerGroupLinked(_BorrowerEvent):
    type: Literal["borrower.group_linked"] = "borrower.group_linked"
    body: GroupLinkedBody


class LendingViolation(_LoanEvent):
    type: Literal["lending.violation"] = "lending.violation"
    body: LendingViolationBody


# Events produced by the services themselves.


class RatingCompletedBody(_Model):
    rating_id: Id
    enterprise_id: Id
    model_id: Id
    score: float
    grade: str
    risk_level: str
    vetoed: bool


class RatingCompleted(_BorrowerEvent):
    type: Literal["rating.completed"] = "rating.completed"
    body: RatingCompletedBody


class WarningChangedBody(_Model):
    warning_id: Id
    kind: str
    level: Literal["yellow", "orange", "red"]
    state: str
    detail: Text = ""


class WarningChanged(Event):
    type: Literal["warning.raised", "warning.escalated", "warning.reported", "warning.resolved"]
    body: WarningChangedBody


IncomingEvent = Annotated[
    LoanDisbursed
    | LoanClassified
    | LoanMatured
    | LoanMaturityChecked
    | RepaymentReceived
    | RepaymentMissed
    | InterestArrears
    | BorrowerMajorEvent
    | BorrowerFinancialAnomaly
    | BorrowerGroupLinked
    | LendingViolation,
    Field(discriminator="type"),
]
"""The events producers send (loan, repayment and risk topics)."""

INCOMING_TYPES: tuple[str, ...] = (
    "loan.disbursed",
    "loan.classified",
    "loan.matured",
    "loan.maturity_checked",
    "repayment.received",
    "repayment.missed",
    "interest.arrears",
    "borrower.major_event",
    "borrower.financial_anomaly",
    "borrower.group_linked",
    "lending.violation",
)

incoming_adapter: TypeAdapter[IncomingEvent] = TypeAdapter(IncomingEvent)


def parse_event(raw: bytes | str) -> IncomingEvent:
    """Parse and validate one producer event from JSON; raises pydantic.ValidationError."""
    return incoming_adapter.validate_json(raw)


def topic_for(event: Event) -> Topic:
    """The topic an event belongs on (W16)."""
    prefix = event.type.split(".", 1)[0]
    return {
        "loan": Topic.LOAN,
        "repayment": Topic.REPAYMENT,
        "interest": Topic.REPAYMENT,
        "borrower": Topic.RISK,
        "lending": Topic.RISK,
        "rating": Topic.RATING,
        "warning": Topic.WARNING,
    }[prefix]


def to_json(event: Event) -> bytes:
    """Serialise an event as compact JSON (money as decimal strings)."""
    return event.model_dump_json(exclude_none=True).encode()


def as_dict(event: Event) -> dict[str, Any]:
    """JSON-ready dict of an event."""
    return event.model_dump(mode="json", exclude_none=True)

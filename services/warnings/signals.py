"""From an event to the warning signal it carries (W1, W2, W4, W6): pure, no I/O.

A signal names the warning kind, its level (None: the event warrants no warning), what it is
about (a loan, or a borrower for borrower-level kinds) and the moment the reporting deadlines
count from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.warnings.policy import LevelPolicy
from services.warnings.rules import (
    level_for_classification,
    level_for_financial_anomaly,
    level_for_interest_arrears,
    level_for_major_event,
    level_for_management,
    level_for_pre_maturity,
)
from services.warnings.vocabulary import (
    LoanClass,
    MajorEventKind,
    PreMaturityOutcome,
    WarningKind,
    WarningLevel,
)
from shared.events import (
    BorrowerFinancialAnomaly,
    BorrowerMajorEvent,
    Event,
    InterestArrears,
    LendingViolation,
    LoanClassified,
    LoanMaturityChecked,
)

BORROWER_KINDS = frozenset(
    {WarningKind.MAJOR_EVENT, WarningKind.FINANCIAL_ANOMALY, WarningKind.GROUP_CONTAGION}
)


@dataclass(frozen=True)
class Signal:
    """A warning-worthy fact: kind, level (None: no warning), subject and discovery moment."""

    kind: WarningKind
    level: WarningLevel | None
    discovered_at: datetime
    detail: str

    @property
    def borrower_level(self) -> bool:
        """Major events, anomalies and contagion concern the borrower, not one loan (W1d-f)."""
        return self.kind in BORROWER_KINDS


def arrears_days(since_day: datetime, seen_at: datetime, tz: ZoneInfo) -> int:
    """W1c: days of unpaid interest, counting the day the arrears began as day 1."""
    return (seen_at.astimezone(tz).date() - since_day.astimezone(tz).date()).days + 1


def signal_for(event: Event, policy: LevelPolicy, tz: ZoneInfo) -> Signal | None:
    """W1/W2/W4: the signal an event carries, or None for events that only update state."""
    at = event.occurred_at
    if isinstance(event, InterestArrears):
        # W6 counts the 2 days "of the arrears" from when they began: the start of `since`.
        began = datetime.combine(event.body.since, time(0), tzinfo=tz)
        days = max(arrears_days(began, at, tz), 1)
        level = level_for_interest_arrears(days, policy)
        detail = f"interest {event.body.amount} unpaid since {event.body.since} ({days} days)"
        return Signal(WarningKind.INTEREST_ARREARS, level, min(began, at), detail)
    if isinstance(event, LoanMaturityChecked):
        outcome = PreMaturityOutcome(event.body.outcome)
        level = level_for_pre_maturity(outcome, event.body.overdue_elsewhere, policy)
        elsewhere = ", overdue at another bank" if event.body.overdue_elsewhere else ""
        return Signal(WarningKind.PRE_MATURITY, level, at, f"check: {outcome.value}{elsewhere}")
    if isinstance(event, LoanClassified):
        target = LoanClass(event.body.five_class.value)
        level = level_for_classification(target, event.body.tier, policy)
        how = "predicted" if event.body.predicted else "classified"
        tier = f" tier {event.body.tier}" if event.body.tier else ""
        return Signal(WarningKind.CLASSIFICATION, level, at, f"{how} {target.value}{tier}")
    if isinstance(event, BorrowerMajorEvent):
        major = MajorEventKind(event.body.kind)
        text = f"major event: {major.value}" + (
            f" ({event.body.description})" if event.body.description else ""
        )
        return Signal(WarningKind.MAJOR_EVENT, level_for_major_event(major), at, text)
    if isinstance(event, BorrowerFinancialAnomaly):
        body = event.body
        level = level_for_financial_anomaly(body.indicator, body.old, body.new, policy)
        detail = f"{body.indicator} moved from {body.old} to {body.new}"
        return Signal(WarningKind.FINANCIAL_ANOMALY, level, at, detail)
    if isinstance(event, LendingViolation):
        violation = WarningKind(event.body.kind)
        text = violation.value.replace("_", " ") + (
            f": {event.body.description}" if event.body.description else ""
        )
        return Signal(violation, level_for_management(violation, policy), at, text)
    return None


def exposure(balances: list[Decimal]) -> Decimal:
    """The amount a borrower-level rule uses: the borrower's outstanding balance here."""
    return sum(balances, Decimal(0))

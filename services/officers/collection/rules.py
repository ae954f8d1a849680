"""Collection plans of the officers on O23 collection duty or with a yellow card (spec
officers.md O23; seed piece 5, Art. 39).

Pure: quarterly targets and the amounts collected in, the plan's verdict and the officer's
resulting status out. The plan is judged on the year (Art. 39: "完成当年清收任务"): met as soon
as the amount collected reaches the year's target (the sum of the quarterly targets), missed
when the four quarters are recorded and it has not; each quarter is reported against its own
target and the cumulative one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.officers.kernel.rules import RuleError

ZERO = Decimal(0)
QUARTERS = (1, 2, 3, 4)


class PlanStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class QuarterResult:
    quarter: int
    target: Decimal
    collected: Decimal | None
    met: bool | None  # None: not recorded yet
    cumulative_target: Decimal
    cumulative_collected: Decimal


@dataclass(frozen=True)
class PlanOutcome:
    """O23 verdict of a plan: the year's target, what was collected, the status and why."""

    status: PlanStatus
    year_target: Decimal
    collected: Decimal
    shortfall: Decimal
    quarters: tuple[QuarterResult, ...]
    reason: str


def validate_targets(targets: Sequence[Decimal]) -> None:
    """O23: four quarterly targets, none negative, the year's total above zero."""
    if len(targets) != len(QUARTERS):
        raise RuleError("O23", "a plan has exactly 4 quarterly targets", field="/targets")
    for i, t in enumerate(targets):
        if t < 0:
            raise RuleError("O23", "a quarterly target cannot be negative", field=f"/targets/{i}")
    if sum(targets, ZERO) <= 0:
        raise RuleError("O23", "the year's target must be above zero", field="/targets")


def judge_plan(targets: Sequence[Decimal], collected: Mapping[int, Decimal]) -> PlanOutcome:
    """O23: met once the year's collections reach the year's target; missed when the four
    quarters are recorded short of it; in progress otherwise."""
    validate_targets(targets)
    year_target = sum(targets, ZERO)
    rows: list[QuarterResult] = []
    cum_t = cum_c = ZERO
    for q, target in zip(QUARTERS, targets, strict=True):
        got = collected.get(q)
        cum_t += target
        cum_c += got or ZERO
        rows.append(
            QuarterResult(q, target, got, None if got is None else got >= target, cum_t, cum_c)
        )
    total = cum_c
    shortfall = max(year_target - total, ZERO)
    if total >= year_target:
        status = PlanStatus.MET
        reason = f"O23: collected {total} >= the year's target {year_target}: plan met"
    elif all(q in collected for q in QUARTERS):
        status = PlanStatus.MISSED
        reason = f"O23: collected {total} < the year's target {year_target}: plan missed"
    else:
        status = PlanStatus.IN_PROGRESS
        reason = f"O23: collected {total} of the year's target {year_target} so far"
    return PlanOutcome(status, year_target, total, shortfall, tuple(rows), reason)


class CollectionState(StrEnum):
    NONE = "none"  # neither on duty nor a yellow card
    PLAN_REQUIRED = "plan_required"
    IN_PROGRESS = "in_progress"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class CollectionStatus:
    """O23 status of an officer for a duty year: pay, post and lending rights."""

    state: CollectionState
    collection_duty: bool
    yellow_card: bool
    pay: str  # normal | living_allowance
    post: str  # on_post | off_post_collection
    unsecured_lending: bool
    lending: bool
    reasons: tuple[str, ...]


def officer_status(
    *, collection_duty: bool, yellow_card: bool, plan: PlanOutcome | None
) -> CollectionStatus:
    """O23: on duty -> no new unsecured loans and a plan; meeting the plan restores normal pay
    (and the unsecured lending right); missing it means living allowance only and off-post
    collection (no lending). A yellow card alone needs a plan but bars nothing."""
    if not collection_duty and not yellow_card:
        return CollectionStatus(
            CollectionState.NONE, False, False, "normal", "on_post", True, True, ()
        )
    reasons: list[str] = []
    if collection_duty:
        reasons.append("O23: collection duty: no new unsecured loans until the plan is met")
    if yellow_card:
        reasons.append("O23: yellow card: a collection plan is required")
    if plan is None:
        reasons.append("O23: no collection plan signed yet")
        return CollectionStatus(
            CollectionState.PLAN_REQUIRED,
            collection_duty,
            yellow_card,
            "normal",
            "on_post",
            not collection_duty,
            True,
            tuple(reasons),
        )
    reasons.append(plan.reason)
    if plan.status is PlanStatus.MET:
        return CollectionStatus(
            CollectionState.MET,
            collection_duty,
            yellow_card,
            "normal",
            "on_post",
            True,
            True,
            tuple(reasons),
        )
    if plan.status is PlanStatus.MISSED and not collection_duty:
        reasons.append("O23: yellow card only: a missed plan bars nothing (no duty)")
        return CollectionStatus(
            CollectionState.MISSED,
            False,
            yellow_card,
            "normal",
            "on_post",
            True,
            True,
            tuple(reasons),
        )
    if plan.status is PlanStatus.MISSED:
        reasons.append("O23: living allowance only and off-post collection")
        return CollectionStatus(
            CollectionState.MISSED,
            collection_duty,
            yellow_card,
            "living_allowance",
            "off_post_collection",
            False,
            False,
            tuple(reasons),
        )
    return CollectionStatus(
        CollectionState.IN_PROGRESS,
        collection_duty,
        yellow_card,
        "normal",
        "on_post",
        not collection_duty,
        True,
        tuple(reasons),
    )

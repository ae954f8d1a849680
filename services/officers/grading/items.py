"""Annual grading inputs and items (spec officers.md O7-O11, O14; seed piece 5, Art. 9-13).

An officer's figures and their validation, the O7 peer averages per (county, class) and the
O8-O11 item points and deductions. `rules.py` turns them into the total, grade and breakdown.

Money is `Decimal` yuan, ratios are `Decimal` percent, points are `Decimal` and rounded once, at
the end of each item, to 2 decimals ROUND_HALF_UP. Policy parameters come in as arguments.

Edge cases decided here (each also stated where it is implemented):

- Peer average of zero (O8/O9): every officer of the group then has 0 too, so each sits *at*
  the average and gets the base points (20 / 50). No division by zero.
- An officer alone in their (county, class): the average is their own figure -> base points.
- Zero year-end managed balance (O10): with no new NPL either, the ratio is undefined and the
  item gets its base (30) with no NPL cap; with new NPL > 0 the ratio counts as infinite:
  0 points and both NPL caps.
- Negative counts or amounts, non-Decimal money, unknown class: `RuleError` naming the rule
  and the field (`/officers/<i>/<field>` from `grade_all`).
- Managers (O14) are graded but by default are left out of the peer averages, which are
  "class total / number of officers"; a group with only managers averages over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import IntEnum, StrEnum
from typing import Any

from services.officers.grading.policy import GradingPolicy, Post
from services.officers.kernel.rules import RuleError, quantize_points

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Fixed arithmetic context so a run is reproducible whatever the caller's context (O15).
GRADING_CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


class BranchClass(IntEnum):
    """O7: sub-branch classes."""

    URBAN = 1
    TOWNSHIP = 2
    VILLAGE = 3


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class OfficerFigures:
    """One officer's figures for the graded year (O7-O11, O14).

    `managed_balance` is the year-end balance of loans managed, bank acceptance bill discounts
    excluded; `new_npl_balance` the new NPL balance by the year-end five-category classification.
    """

    officer_id: str
    county: str
    branch_class: BranchClass
    loans_issued: int
    interest_income: Decimal
    new_npl_balance: Decimal
    managed_balance: Decimal
    failed_exams: int = 0
    fines: int = 0
    criticisms: int = 0
    serious_violations: int = 0
    post: Post = Post.OFFICER


_COUNT_RULES = (
    ("loans_issued", "O8"),
    ("failed_exams", "O11"),
    ("fines", "O11"),
    ("criticisms", "O11"),
    ("serious_violations", "O11"),
)
_MONEY_RULES = (("interest_income", "O9"), ("new_npl_balance", "O10"), ("managed_balance", "O10"))
_POSTS = frozenset(Post)


def validate_figures(fig: OfficerFigures, *, pointer: str = "") -> None:
    """Refuse figures a rule cannot grade; errors name the rule and `<pointer>/<field>`."""
    if not isinstance(fig.officer_id, str) or not fig.officer_id:
        raise RuleError(
            "O13", "officer_id must be a non-empty string", field=f"{pointer}/officer_id"
        )
    if not isinstance(fig.county, str) or not fig.county:
        raise RuleError("O7", "county must be a non-empty string", field=f"{pointer}/county")
    if isinstance(fig.branch_class, bool) or fig.branch_class not in (1, 2, 3):
        raise RuleError("O7", "branch_class must be 1, 2 or 3", field=f"{pointer}/branch_class")
    for name, rule in _COUNT_RULES:
        value = getattr(fig, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(rule, f"{name} must be an integer", field=f"{pointer}/{name}")
        if value < 0:
            raise RuleError(
                rule, f"{name} must not be negative, got {value}", field=f"{pointer}/{name}"
            )
    for name, rule in _MONEY_RULES:
        value = getattr(fig, name)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise RuleError(rule, f"{name} must be a finite Decimal", field=f"{pointer}/{name}")
        if value < 0:
            raise RuleError(
                rule, f"{name} must not be negative, got {value}", field=f"{pointer}/{name}"
            )
    if fig.post not in _POSTS:
        raise RuleError("O14", f"unknown post {fig.post!r}", field=f"{pointer}/post")


# ---------------------------------------------------------------------------------------------
# O7 peer averages


@dataclass(frozen=True)
class PeerGroup:
    """O7: officers compare within the same county and sub-branch class."""

    county: str
    branch_class: BranchClass


@dataclass(frozen=True)
class PeerAverage:
    """O7: class total / number of officers in the class, for volume and interest."""

    group: PeerGroup
    officer_count: int
    loans_issued_total: int
    interest_income_total: Decimal
    includes_managers: bool
    average_loans_issued: Decimal = field(init=False)
    average_interest_income: Decimal = field(init=False)

    def __post_init__(self) -> None:
        if self.officer_count < 1:
            raise RuleError("O7", "a peer group needs at least one officer", field="/officer_count")
        with localcontext(GRADING_CONTEXT):
            loans = Decimal(self.loans_issued_total) / self.officer_count
            income = self.interest_income_total / self.officer_count
        # Derived once here; frozen dataclasses set computed fields this way.
        object.__setattr__(self, "average_loans_issued", loans)
        object.__setattr__(self, "average_interest_income", income)


def peer_group_of(fig: OfficerFigures) -> PeerGroup:
    """The (county, class) peer group of an officer."""
    return PeerGroup(fig.county, BranchClass(fig.branch_class))


def peer_averages(
    figures: Iterable[OfficerFigures], policy: GradingPolicy
) -> dict[PeerGroup, PeerAverage]:
    """O7 averages per (county, class) over the given officers.

    Managers (O14) count only when the policy says so, or when their group has no officer.
    """
    # group -> [officer count, loans, income, all count, all loans, all income]
    acc: dict[PeerGroup, list[Any]] = {}
    with localcontext(GRADING_CONTEXT):
        for fig in figures:
            row = acc.setdefault(peer_group_of(fig), [0, 0, ZERO, 0, 0, ZERO])
            if fig.post == Post.OFFICER:
                row[0] += 1
                row[1] += fig.loans_issued
                row[2] += fig.interest_income
            row[3] += 1
            row[4] += fig.loans_issued
            row[5] += fig.interest_income
    out: dict[PeerGroup, PeerAverage] = {}
    for group, (n, loans, income, n_all, loans_all, income_all) in acc.items():
        if policy.peer_average_includes_managers or n == 0:
            out[group] = PeerAverage(group, n_all, loans_all, income_all, n_all != n)
        else:
            out[group] = PeerAverage(group, n, loans, income, False)
    return out


# ---------------------------------------------------------------------------------------------
# O8-O11 items


class Limit(StrEnum):
    """Which end of an item's range stopped its exact points."""

    BONUS_CAP = "bonus_cap"
    FLOOR = "floor"


def _clamp(value: Decimal, high: Decimal) -> tuple[Decimal, Limit | None]:
    if value > high:
        return high, Limit.BONUS_CAP
    if value < 0:
        return ZERO, Limit.FLOOR
    return value, None


@dataclass(frozen=True)
class VolumeItem:
    """O8 loan volume: inputs, the peer average used, exact and rounded points."""

    loans_issued: int
    peer_average: Decimal
    percent_vs_average: Decimal
    raw_points: Decimal
    points: Decimal
    limit: Limit | None


@dataclass(frozen=True)
class InterestItem:
    """O9 interest income: inputs, the peer average used, exact and rounded points."""

    interest_income: Decimal
    peer_average: Decimal
    ratio_to_average: Decimal
    raw_points: Decimal
    points: Decimal
    limit: Limit | None


@dataclass(frozen=True)
class QualityItem:
    """O10 loan quality. `npl_ratio` is percent; None when managed balance is 0 (undefined)."""

    new_npl_balance: Decimal
    managed_balance: Decimal
    npl_ratio: Decimal | None
    raw_points: Decimal
    points: Decimal
    limit: Limit | None

    @property
    def npl_ratio_infinite(self) -> bool:
        """New NPL on a zero managed balance: treated as above every threshold."""
        return self.npl_ratio is None and self.new_npl_balance > 0


@dataclass(frozen=True)
class Deductions:
    """O11 qualitative deductions (points to subtract)."""

    failed_exams: int
    fines: int
    criticisms: int
    serious_violations: int
    points: Decimal


def score_volume(loans_issued: int, peer_average: Decimal, policy: GradingPolicy) -> VolumeItem:
    """O8: base at the average, +-points per 1 % above/below, linear; range 0..base+cap.

    A zero average means nobody in the group issued a loan: the officer is at the average.
    """
    with localcontext(GRADING_CONTEXT):
        if peer_average == 0:
            pct = ZERO
        else:
            pct = (Decimal(loans_issued) - peer_average) * HUNDRED / peer_average
        raw = policy.volume_base_points + policy.volume_points_per_percent * pct
        points, limit = _clamp(raw, policy.volume_base_points + policy.volume_bonus_cap)
    return VolumeItem(loans_issued, peer_average, pct, raw, quantize_points(points), limit)


def score_interest(
    interest_income: Decimal, peer_average: Decimal, policy: GradingPolicy
) -> InterestItem:
    """O9: base x income / average; range 0..base+cap. Zero average -> at the average."""
    with localcontext(GRADING_CONTEXT):
        ratio = Decimal(1) if peer_average == 0 else interest_income / peer_average
        raw = policy.interest_base_points * ratio
        points, limit = _clamp(raw, policy.interest_base_points + policy.interest_bonus_cap)
    return InterestItem(interest_income, peer_average, ratio, raw, quantize_points(points), limit)


def npl_ratio_percent(new_npl_balance: Decimal, managed_balance: Decimal) -> Decimal | None:
    """O10 new NPL ratio in percent; None when the managed balance is 0."""
    if managed_balance == 0:
        return None
    with localcontext(GRADING_CONTEXT):
        return new_npl_balance * HUNDRED / managed_balance


def score_quality(
    new_npl_balance: Decimal, managed_balance: Decimal, policy: GradingPolicy
) -> QualityItem:
    """O10: base at the base ratio, +-points per step (pp) below/above, linear; 0..base+cap.

    Managed balance 0: no NPL -> base points (nothing to judge); new NPL -> 0 points.
    """
    ratio = npl_ratio_percent(new_npl_balance, managed_balance)
    with localcontext(GRADING_CONTEXT):
        if ratio is None:
            raw = policy.quality_base_points if new_npl_balance == 0 else ZERO
        else:
            steps = (policy.quality_base_npl_ratio - ratio) / policy.quality_step_pp
            raw = policy.quality_base_points + policy.quality_points_per_step * steps
        points, limit = _clamp(raw, policy.quality_base_points + policy.quality_bonus_cap)
    return QualityItem(new_npl_balance, managed_balance, ratio, raw, quantize_points(points), limit)


def score_deductions(fig: OfficerFigures, policy: GradingPolicy) -> Deductions:
    """O11: 3 per failed exam, 2 per fine, 5 per circulated criticism, 10 per serious violation."""
    total = (
        fig.failed_exams * policy.deduction_failed_exam
        + fig.fines * policy.deduction_fine
        + fig.criticisms * policy.deduction_criticism
        + fig.serious_violations * policy.deduction_serious_violation
    )
    return Deductions(
        fig.failed_exams, fig.fines, fig.criticisms, fig.serious_violations, quantize_points(total)
    )

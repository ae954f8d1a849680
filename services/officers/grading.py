"""Annual grading of loan officers (spec officers.md O4-O15; seed piece 5, Art. 7-15).

Pure functions over frozen dataclasses. Money is `Decimal` yuan, ratios are `Decimal` percent,
points are `Decimal` and rounded once, at the end of each item, to 2 decimals ROUND_HALF_UP.
Policy parameters and dates come in as arguments; nothing here reads settings or the clock.

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
- The total is not floored: O11 deductions can push it below 0 (it is then < 60 anyway).
- Items are rounded, then summed, so the published breakdown adds up to the published total
  and the grade is decided on that total.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
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
from functools import lru_cache
from typing import Any

from services.officers.rules_common import (
    RuleError,
    fmt,
    param,
    params_from_dict,
    params_to_dict,
    quantize_points,
    validate_params,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Fixed arithmetic context so a run is reproducible whatever the caller's context (O15).
_CTX = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


class Grade(IntEnum):
    """O6: grade 1 is the best."""

    ONE = 1
    TWO = 2
    THREE = 3


class BranchClass(IntEnum):
    """O7: sub-branch classes."""

    URBAN = 1
    TOWNSHIP = 2
    VILLAGE = 3


class Post(StrEnum):
    """O14: an officer's post; everything but OFFICER is graded for reference only."""

    OFFICER = "officer"
    SUB_BRANCH_HEAD = "sub_branch_head"
    DEPUTY_HEAD = "deputy_head"
    OFFICE_DIRECTOR = "office_director"


class Cap(StrEnum):
    """O12 caps on the final grade."""

    SERIOUS_VIOLATION = "serious_violation"
    NPL_ABOVE_TOLERANCE = "npl_above_tolerance"
    NPL_ABOVE_TOLERANCE_FACTOR = "npl_above_tolerance_factor"


def _d(text: str) -> Decimal:
    return Decimal(text)


@dataclass(frozen=True)
class GradingPolicy:
    """Every parameter of O4-O14 with the spec defaults; stored per company and year.

    Ratios (`quality_base_npl_ratio`, `npl_tolerance_ratio`, `quality_step_pp`) are percent.
    The post coefficients (O14) are placeholders: the seed takes them from another document.
    """

    grade1_min_score: Decimal = param(_d("90"), rule="O6", minimum=0)
    grade2_min_score: Decimal = param(_d("75"), rule="O6", minimum=0)
    grade3_min_score: Decimal = param(_d("60"), rule="O6", minimum=0)
    grade1_coefficient: Decimal = param(_d("2.0"), rule="O6", minimum=0)
    grade2_coefficient: Decimal = param(_d("1.8"), rule="O6", minimum=0)
    grade3_coefficient: Decimal = param(_d("1.6"), rule="O6", minimum=0)
    peer_average_includes_managers: bool = param(False, rule="O7")
    volume_base_points: Decimal = param(_d("20"), rule="O8", minimum=0)
    volume_points_per_percent: Decimal = param(_d("0.1"), rule="O8", minimum=0)
    volume_bonus_cap: Decimal = param(_d("10"), rule="O8", minimum=0)
    interest_base_points: Decimal = param(_d("50"), rule="O9", minimum=0)
    interest_bonus_cap: Decimal = param(_d("20"), rule="O9", minimum=0)
    quality_base_points: Decimal = param(_d("30"), rule="O10", minimum=0)
    quality_base_npl_ratio: Decimal = param(_d("1.00"), rule="O10", minimum=0)
    quality_step_pp: Decimal = param(_d("0.1"), rule="O10", positive=True)
    quality_points_per_step: Decimal = param(_d("1"), rule="O10", minimum=0)
    quality_bonus_cap: Decimal = param(_d("10"), rule="O10", minimum=0)
    deduction_failed_exam: Decimal = param(_d("3"), rule="O11", minimum=0)
    deduction_fine: Decimal = param(_d("2"), rule="O11", minimum=0)
    deduction_criticism: Decimal = param(_d("5"), rule="O11", minimum=0)
    deduction_serious_violation: Decimal = param(_d("10"), rule="O11", minimum=0)
    npl_tolerance_ratio: Decimal = param(_d("1.5"), rule="O12", positive=True)
    npl_tolerance_factor: Decimal = param(_d("1.5"), rule="O12", minimum=1)
    serious_violation_max_grade: int = param(2, rule="O12", minimum=1, maximum=3)
    over_tolerance_max_grade: int = param(2, rule="O12", minimum=1, maximum=3)
    over_tolerance_factor_max_grade: int = param(3, rule="O12", minimum=1, maximum=3)
    sub_branch_head_coefficient: Decimal = param(_d("2.2"), rule="O14", minimum=0)
    deputy_head_coefficient: Decimal = param(_d("2.0"), rule="O14", minimum=0)
    office_director_coefficient: Decimal = param(_d("1.8"), rule="O14", minimum=0)
    protection_years: int = param(2, rule="O4", minimum=0, maximum=50)
    collection_assignment_months: int = param(6, rule="O5", minimum=1, maximum=120)

    def __post_init__(self) -> None:
        validate_params(self)
        if not self.grade1_min_score > self.grade2_min_score > self.grade3_min_score:
            raise RuleError(
                "O6",
                "grade thresholds must decrease strictly: grade1 > grade2 > grade3",
                field="/grade2_min_score",
            )
        if not self.grade1_coefficient >= self.grade2_coefficient >= self.grade3_coefficient:
            raise RuleError(
                "O6",
                "coefficients must not increase from grade 1 to grade 3",
                field="/grade2_coefficient",
            )

    @classmethod
    def default(cls) -> GradingPolicy:
        """The spec defaults (O4-O14)."""
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; Decimals as strings."""
        return params_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradingPolicy:
        """Validated policy from a (partial) dict; missing keys take the defaults."""
        return params_from_dict(cls, data, rule="O6-O14")

    def grade_coefficient(self, grade: Grade) -> Decimal:
        """O6 salary coefficient of a grade."""
        return {
            Grade.ONE: self.grade1_coefficient,
            Grade.TWO: self.grade2_coefficient,
            Grade.THREE: self.grade3_coefficient,
        }[grade]

    def post_coefficient(self, post: Post) -> Decimal | None:
        """O14 coefficient of a manager's post; None for an officer (it follows the grade)."""
        return {
            Post.OFFICER: None,
            Post.SUB_BRANCH_HEAD: self.sub_branch_head_coefficient,
            Post.DEPUTY_HEAD: self.deputy_head_coefficient,
            Post.OFFICE_DIRECTOR: self.office_director_coefficient,
        }[post]


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
        with localcontext(_CTX):
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
    with localcontext(_CTX):
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
    with localcontext(_CTX):
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
    with localcontext(_CTX):
        ratio = Decimal(1) if peer_average == 0 else interest_income / peer_average
        raw = policy.interest_base_points * ratio
        points, limit = _clamp(raw, policy.interest_base_points + policy.interest_bonus_cap)
    return InterestItem(interest_income, peer_average, ratio, raw, quantize_points(points), limit)


def npl_ratio_percent(new_npl_balance: Decimal, managed_balance: Decimal) -> Decimal | None:
    """O10 new NPL ratio in percent; None when the managed balance is 0."""
    if managed_balance == 0:
        return None
    with localcontext(_CTX):
        return new_npl_balance * HUNDRED / managed_balance


def score_quality(
    new_npl_balance: Decimal, managed_balance: Decimal, policy: GradingPolicy
) -> QualityItem:
    """O10: base at the base ratio, +-points per step (pp) below/above, linear; 0..base+cap.

    Managed balance 0: no NPL -> base points (nothing to judge); new NPL -> 0 points.
    """
    ratio = npl_ratio_percent(new_npl_balance, managed_balance)
    with localcontext(_CTX):
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


# ---------------------------------------------------------------------------------------------
# O6, O12, O13, O14


def grade_for_score(score: Decimal, policy: GradingPolicy) -> Grade | None:
    """O6: >= 90 grade 1, >= 75 grade 2, >= 60 grade 3, else None (disqualified)."""
    if score >= policy.grade1_min_score:
        return Grade.ONE
    if score >= policy.grade2_min_score:
        return Grade.TWO
    if score >= policy.grade3_min_score:
        return Grade.THREE
    return None


@dataclass(frozen=True)
class CapApplied:
    """An O12 cap whose condition holds; `lowered` says whether it changed the grade."""

    cap: Cap
    max_grade: Grade
    lowered: bool


def triggered_caps(
    serious_violations: int, quality: QualityItem, policy: GradingPolicy
) -> list[tuple[Cap, Grade]]:
    """O12 caps whose condition holds ("above" is strictly above)."""
    caps: list[tuple[Cap, Grade]] = []
    if serious_violations > 0:
        caps.append((Cap.SERIOUS_VIOLATION, Grade(policy.serious_violation_max_grade)))
    ratio = quality.npl_ratio
    tolerance = policy.npl_tolerance_ratio
    if quality.npl_ratio_infinite or (ratio is not None and ratio > tolerance):
        caps.append((Cap.NPL_ABOVE_TOLERANCE, Grade(policy.over_tolerance_max_grade)))
    far = tolerance * policy.npl_tolerance_factor
    if quality.npl_ratio_infinite or (ratio is not None and ratio > far):
        caps.append((Cap.NPL_ABOVE_TOLERANCE_FACTOR, Grade(policy.over_tolerance_factor_max_grade)))
    return caps


def apply_caps(
    grade: Grade | None, caps: Sequence[tuple[Cap, Grade]]
) -> tuple[Grade | None, tuple[CapApplied, ...]]:
    """O12: each cap lowers the grade to at best its maximum; the score is untouched."""
    applied: list[CapApplied] = []
    final = grade
    for cap, max_grade in caps:
        lowered = final is not None and final < max_grade
        if lowered:
            final = max_grade
        applied.append(CapApplied(cap, max_grade, lowered))
    return final, tuple(applied)


@dataclass(frozen=True)
class GradingResult:
    """O13: the total, the grade and the full breakdown of one officer."""

    officer_id: str
    post: Post
    peer: PeerAverage
    volume: VolumeItem
    interest: InterestItem
    quality: QualityItem
    deductions: Deductions
    score: Decimal
    grade_by_score: Grade | None
    caps: tuple[CapApplied, ...]
    grade: Grade | None
    salary_coefficient: Decimal | None
    explanation: tuple[str, ...]

    @property
    def disqualified(self) -> bool:
        """O6: below the grade-3 threshold; no grade, certificate withdrawn."""
        return self.grade is None

    @property
    def reference_only(self) -> bool:
        """O14: managers are graded for reference; their pay follows the post."""
        return self.post != Post.OFFICER

    def to_dict(self) -> dict[str, Any]:
        """The `POST /v1/grading/compute` result shape, plus a `breakdown` object."""
        return {
            "officer_id": self.officer_id,
            "score": str(self.score),
            "items": {
                "volume": str(self.volume.points),
                "interest": str(self.interest.points),
                "quality": str(self.quality.points),
            },
            "deductions": str(self.deductions.points),
            "grade": None if self.grade is None else int(self.grade),
            "salary_coefficient": _opt_str(self.salary_coefficient),
            "caps": [c.cap.value for c in self.caps],
            "explanation": list(self.explanation),
            "breakdown": _breakdown(self),
        }


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _breakdown(r: GradingResult) -> dict[str, Any]:
    return {
        "post": r.post.value,
        "peer": {
            "county": r.peer.group.county,
            "branch_class": int(r.peer.group.branch_class),
            "officer_count": r.peer.officer_count,
            "includes_managers": r.peer.includes_managers,
            "average_loans_issued": fmt(r.peer.average_loans_issued, 4),
            "average_interest_income": fmt(r.peer.average_interest_income, 4),
        },
        "volume": {
            "loans_issued": r.volume.loans_issued,
            "percent_vs_average": fmt(r.volume.percent_vs_average, 4),
            "points": str(r.volume.points),
        },
        "interest": {
            "interest_income": str(r.interest.interest_income),
            "ratio_to_average": fmt(r.interest.ratio_to_average, 4),
            "points": str(r.interest.points),
        },
        "quality": {
            "new_npl_balance": str(r.quality.new_npl_balance),
            "managed_balance": str(r.quality.managed_balance),
            "npl_ratio": None if r.quality.npl_ratio is None else fmt(r.quality.npl_ratio, 4),
            "points": str(r.quality.points),
        },
        "deductions": {
            "failed_exams": r.deductions.failed_exams,
            "fines": r.deductions.fines,
            "criticisms": r.deductions.criticisms,
            "serious_violations": r.deductions.serious_violations,
            "points": str(r.deductions.points),
        },
        "grade_by_score": None if r.grade_by_score is None else int(r.grade_by_score),
        "caps": [
            {"cap": c.cap.value, "max_grade": int(c.max_grade), "lowered": c.lowered}
            for c in r.caps
        ],
        "disqualified": r.disqualified,
        "reference_only": r.reference_only,
    }


def grade_officer(fig: OfficerFigures, peer: PeerAverage, policy: GradingPolicy) -> GradingResult:
    """O8-O14 for one officer against the peer average of their group (O13 breakdown)."""
    validate_figures(fig)
    if peer.group != peer_group_of(fig):
        raise RuleError("O7", f"peer average of {peer.group} used for an officer of another group")
    return _grade(fig, peer, policy)


def _grade(fig: OfficerFigures, peer: PeerAverage, policy: GradingPolicy) -> GradingResult:
    with localcontext(_CTX):
        volume = score_volume(fig.loans_issued, peer.average_loans_issued, policy)
        interest = score_interest(fig.interest_income, peer.average_interest_income, policy)
        quality = score_quality(fig.new_npl_balance, fig.managed_balance, policy)
        deductions = score_deductions(fig, policy)
        score = quantize_points(
            volume.points + interest.points + quality.points - deductions.points
        )
    by_score = grade_for_score(score, policy)
    grade, caps = apply_caps(by_score, triggered_caps(fig.serious_violations, quality, policy))
    post = Post(fig.post)
    coefficient = policy.post_coefficient(post)
    if coefficient is None and grade is not None:
        coefficient = policy.grade_coefficient(grade)
    parts = (
        fig.officer_id, post, peer, volume, interest, quality, deductions,
        score, by_score, caps, grade, coefficient,
    )  # fmt: skip
    return GradingResult(*parts, _explain(GradingResult(*parts, ()), policy))


_CLASS_NAMES = {1: "urban", 2: "township", 3: "village"}
_POST_NAMES = {
    Post.OFFICER: "officer",
    Post.SUB_BRANCH_HEAD: "sub-branch head",
    Post.DEPUTY_HEAD: "deputy head",
    Post.OFFICE_DIRECTOR: "office director",
}


def _outcome(raw: Decimal, points: Decimal, limit: Limit | None, base: Decimal) -> str:
    if limit is Limit.BONUS_CAP:
        return f"{fmt(raw)}, bonus capped at +{points - base} -> {points} points"
    if limit is Limit.FLOOR:
        return f"{fmt(raw)}, floored at 0 -> {points} points"
    return f"{points} points"


@lru_cache(maxsize=4096)
def _explain_peer(peer: PeerAverage) -> str:
    group = peer.group
    managers = ", managers included" if peer.includes_managers else ""
    return (
        f"O7 peers: county {group.county}, class {int(group.branch_class)} "
        f"({_CLASS_NAMES[int(group.branch_class)]}), {peer.officer_count} officer(s){managers}; "
        f"average {fmt(peer.average_loans_issued)} loans, "
        f"{fmt(peer.average_interest_income)} yuan interest"
    )


def _explain_items(r: GradingResult, policy: GradingPolicy) -> list[str]:
    v, i, q = r.volume, r.interest, r.quality
    lines = []
    if v.peer_average == 0:
        lines.append(f"O8 volume: peer average is 0, officer at the average -> {v.points} points")
    else:
        out = _outcome(v.raw_points, v.points, v.limit, policy.volume_base_points)
        pct = fmt(v.percent_vs_average)
        lines.append(
            f"O8 volume: {v.loans_issued} loans, {pct} % vs average: "
            f"{policy.volume_base_points} + {policy.volume_points_per_percent} x {pct} = {out}"
        )
    if i.peer_average == 0:
        lines.append(f"O9 interest: peer average is 0, officer at the average -> {i.points} points")
    else:
        out = _outcome(i.raw_points, i.points, i.limit, policy.interest_base_points)
        ratio = fmt(i.ratio_to_average, 4)
        lines.append(
            f"O9 interest: {i.interest_income} yuan = {ratio} x average: "
            f"{policy.interest_base_points} x {ratio} = {out}"
        )
    if q.npl_ratio is None:
        why = "new NPL on a zero balance, ratio infinite" if q.npl_ratio_infinite else "no loans"
        lines.append(f"O10 quality: managed balance is 0 ({why}) -> {q.points} points")
    else:
        out = _outcome(q.raw_points, q.points, q.limit, policy.quality_base_points)
        ratio = fmt(q.npl_ratio, 4)
        lines.append(
            f"O10 quality: new NPL ratio {q.new_npl_balance} / {q.managed_balance} = {ratio} %: "
            f"{policy.quality_base_points} + {policy.quality_points_per_step} per "
            f"{policy.quality_step_pp} pp vs {policy.quality_base_npl_ratio} % = {out}"
        )
    return lines


def _explain_deductions(d: Deductions, policy: GradingPolicy) -> str:
    parts = [
        f"{n} {label} x {each}"
        for n, label, each in (
            (d.failed_exams, "failed exam(s)", policy.deduction_failed_exam),
            (d.fines, "fine(s)", policy.deduction_fine),
            (d.criticisms, "circulated criticism(s)", policy.deduction_criticism),
            (d.serious_violations, "serious violation(s)", policy.deduction_serious_violation),
        )
        if n
    ]
    return f"O11 deductions: {' + '.join(parts) if parts else 'none'} = {d.points}"


def _explain_grade(r: GradingResult, policy: GradingPolicy) -> list[str]:
    lines = [
        f"O13 total: {r.volume.points} + {r.interest.points} + {r.quality.points} "
        f"- {r.deductions.points} = {r.score}"
    ]
    if r.grade_by_score is None:
        lines.append(
            f"O6 score {r.score} < {policy.grade3_min_score}: disqualified "
            "(no grade, certificate withdrawn)"
        )
    else:
        lines.append(f"O6 score {r.score}: grade {int(r.grade_by_score)}")
    tolerance = policy.npl_tolerance_ratio
    reasons = {
        Cap.SERIOUS_VIOLATION: f"{r.deductions.serious_violations} serious violation(s)",
        Cap.NPL_ABOVE_TOLERANCE: f"new NPL ratio above the tolerance {tolerance} %",
        Cap.NPL_ABOVE_TOLERANCE_FACTOR: (
            f"new NPL ratio above {policy.npl_tolerance_factor} x tolerance "
            f"({fmt(tolerance * policy.npl_tolerance_factor, 4)} %)"
        ),
    }
    for c in r.caps:
        effect = "grade lowered" if c.lowered else "no change"
        lines.append(f"O12 {reasons[c.cap]}: at best grade {int(c.max_grade)} ({effect})")
    final = "none (disqualified)" if r.grade is None else str(int(r.grade))
    if r.reference_only:
        lines.append(
            f"O14 {_POST_NAMES[r.post]}: grade {final} is for reference; "
            f"salary coefficient {r.salary_coefficient} follows the post"
        )
    else:
        lines.append(f"Final grade {final}, salary coefficient {r.salary_coefficient}")
    return lines


def _explain(r: GradingResult, policy: GradingPolicy) -> tuple[str, ...]:
    lines = [_explain_peer(r.peer), *_explain_items(r, policy)]
    lines.append(_explain_deductions(r.deductions, policy))
    lines.extend(_explain_grade(r, policy))
    return tuple(lines)


def grade_all(figures: Sequence[OfficerFigures], policy: GradingPolicy) -> list[GradingResult]:
    """O7-O14 for every officer of a run, in input order; peer averages come from `figures`.

    Errors point at `/officers/<index>/<field>`. Officer ids must be unique.
    """
    seen: dict[str, int] = {}
    for index, fig in enumerate(figures):
        validate_figures(fig, pointer=f"/officers/{index}")
        if fig.officer_id in seen:
            raise RuleError(
                "O7",
                f"officer {fig.officer_id!r} appears twice (also at index {seen[fig.officer_id]})",
                field=f"/officers/{index}/officer_id",
            )
        seen[fig.officer_id] = index
    averages = peer_averages(figures, policy)
    return [_grade(fig, averages[peer_group_of(fig)], policy) for fig in figures]


def run_fingerprint(figures: Sequence[OfficerFigures], policy: GradingPolicy) -> str:
    """O15 reproducibility: SHA-256 of the canonical inputs (officer order does not matter)."""
    rows = sorted(
        (
            f.officer_id, f.county, int(f.branch_class), f.loans_issued, str(f.interest_income),
            str(f.new_npl_balance), str(f.managed_balance), f.failed_exams, f.fines,
            f.criticisms, f.serious_violations, str(f.post),
        )
        for f in figures
    )  # fmt: skip
    payload = json.dumps({"policy": policy.to_dict(), "officers": rows}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# O4 protection period, O5 leaving the post


def add_months(start: date, months: int) -> date:
    """Same day `months` later; a day missing in the target month clamps to its last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def protection_end(appointment_date: date, policy: GradingPolicy) -> date:
    """O4: first day after the protection period (appointment + 2 years by default).

    An appointment on 29 February ends on 1 March, so the period is never shorter than
    the full years.
    """
    end = add_months(appointment_date, 12 * policy.protection_years)
    if (appointment_date.month, appointment_date.day) == (2, 29) and end.day == 28:
        end = date(end.year, 3, 1)
    return end


def _check_year(appointment_date: date, year: int, rule: str) -> None:
    if appointment_date > date(year, 12, 31):
        raise RuleError(
            rule,
            f"appointment on {appointment_date} is after the graded year {year}",
            field="/appointment_date",
        )


def in_protection(appointment_date: date, year: int, policy: GradingPolicy) -> bool:
    """O4: the graded year counts as protected unless 2 full years were served by its end.

    Protection covers [appointment, protection_end); the year closes on 1 January of year+1.
    """
    _check_year(appointment_date, year, "O4")
    return date(year + 1, 1, 1) < protection_end(appointment_date, policy)


@dataclass(frozen=True)
class ProtectedPay:
    """O4 outcome: the effective coefficient and performance pay and how they were chosen."""

    year: int
    protected: bool
    protection_end: date
    grade_coefficient: Decimal | None
    coefficient: Decimal | None
    performance_pay: Decimal
    explanation: tuple[str, ...]


def protected_pay(
    *,
    appointment_date: date,
    year: int,
    grade: Grade | None,
    performance_pay: Decimal,
    pre_appointment_coefficient: Decimal,
    pre_appointment_performance_pay: Decimal,
    policy: GradingPolicy,
) -> ProtectedPay:
    """O4: during protection each of coefficient and pay is max(pre-appointment, by grade).

    During protection a disqualified officer stays on post (O5 applies only after) at the
    initial grade 3 (Art. 15). After protection both follow the grade; no grade -> no
    coefficient (the officer leaves the post, see `post_decision`).
    """
    for name, value in (
        ("performance_pay", performance_pay),
        ("pre_appointment_coefficient", pre_appointment_coefficient),
        ("pre_appointment_performance_pay", pre_appointment_performance_pay),
    ):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise RuleError("O4", f"{name} must be a non-negative Decimal", field=f"/{name}")
    protected = in_protection(appointment_date, year, policy)
    end = protection_end(appointment_date, policy)
    if not protected:
        by_grade = None if grade is None else policy.grade_coefficient(grade)
        why = f"O4 protection ended {end}: coefficient and pay follow grade and performance"
        return ProtectedPay(year, False, end, by_grade, by_grade, performance_pay, (why,))
    held = Grade.THREE if grade is None else grade
    by_grade = policy.grade_coefficient(held)
    lines = [f"O4 protected until {end} (exclusive): the higher of pre-appointment and grade"]
    if grade is None:
        lines.append("O4 disqualified during protection: kept at the initial grade 3")
    coefficient = max(pre_appointment_coefficient, by_grade)
    pay = max(pre_appointment_performance_pay, performance_pay)
    lines.append(
        f"O4 coefficient max({pre_appointment_coefficient}, {by_grade}) = {coefficient}; "
        f"performance pay max({pre_appointment_performance_pay}, {performance_pay}) = {pay}"
    )
    return ProtectedPay(year, True, end, by_grade, coefficient, pay, tuple(lines))


@dataclass(frozen=True)
class PostDecision:
    """O5 outcome: whether the officer leaves the post and the collection assignment dates.

    `collection_end` is the last day (inclusive) of the assignment.
    """

    year: int
    score: Decimal
    protected: bool
    leaves_post: bool
    collection_start: date | None
    collection_end: date | None
    explanation: str


def post_decision(
    *,
    appointment_date: date,
    year: int,
    score: Decimal,
    decision_date: date,
    policy: GradingPolicy,
) -> PostDecision:
    """O5: after protection, a score below 60 -> leaves post, 6-month NPL collection from
    `decision_date` (the approval of the grading; it must fall after the graded year)."""
    if decision_date < date(year + 1, 1, 1):
        raise RuleError(
            "O5", f"decision date {decision_date} is inside the graded year {year}",
            field="/decision_date",
        )  # fmt: skip
    protected = in_protection(appointment_date, year, policy)
    threshold = policy.grade3_min_score
    if score >= threshold:
        return PostDecision(
            year, score, protected, False, None, None, f"O5 score {score} >= {threshold}: stays"
        )
    if protected:
        why = f"O5 score {score} < {threshold} but within the protection period: stays"
        return PostDecision(year, score, True, False, None, None, why)
    months = policy.collection_assignment_months
    end = add_months(decision_date, months) - timedelta(days=1)
    why = (
        f"O5 score {score} < {threshold} after the protection period: leaves the post; "
        f"{months}-month NPL collection assignment {decision_date} to {end}"
    )
    return PostDecision(year, score, False, True, decision_date, end, why)


# ---------------------------------------------------------------------------------------------
# O15 yearly run


class RunStatus(StrEnum):
    """O15 states of a yearly grading run."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REOPENED = "reopened"


class RunAction(StrEnum):
    """O15 transitions."""

    PROPOSE = "propose"
    APPROVE = "approve"
    REOPEN = "reopen"


class Actor(StrEnum):
    """Who acts on a run: the sub-branch proposes, the head office approves and reopens."""

    SUB_BRANCH = "sub_branch"
    HEAD_OFFICE = "head_office"


# action -> (allowed from, to, actor)
_TRANSITIONS: dict[RunAction, tuple[frozenset[RunStatus], RunStatus, Actor]] = {
    RunAction.PROPOSE: (
        frozenset({RunStatus.DRAFT, RunStatus.REOPENED}), RunStatus.PROPOSED, Actor.SUB_BRANCH,
    ),
    RunAction.APPROVE: (frozenset({RunStatus.PROPOSED}), RunStatus.APPROVED, Actor.HEAD_OFFICE),
    RunAction.REOPEN: (frozenset({RunStatus.APPROVED}), RunStatus.REOPENED, Actor.HEAD_OFFICE),
}  # fmt: skip


@dataclass(frozen=True)
class RunTransition:
    """One recorded step of a run: what, from/to, who and when."""

    action: RunAction
    from_status: RunStatus
    to_status: RunStatus
    actor: Actor
    by: str
    at: datetime


@dataclass(frozen=True)
class GradingRun:
    """O15 state of the run for one graded year, with its history."""

    year: int
    status: RunStatus = RunStatus.DRAFT
    history: tuple[RunTransition, ...] = ()

    @property
    def frozen(self) -> bool:
        """Approved: grades and coefficients are fixed for the year."""
        return self.status == RunStatus.APPROVED

    @property
    def editable(self) -> bool:
        """Results may be (re)computed only in draft or after an explicit reopen."""
        return self.status in (RunStatus.DRAFT, RunStatus.REOPENED)


def new_run(year: int, *, today: date) -> GradingRun:
    """O15: a run grades a closed year (normally in January of the next year)."""
    if year >= today.year:
        raise RuleError("O15", f"year {year} is not closed yet on {today}", field="/year")
    return GradingRun(year)


def transition(
    run: GradingRun, action: RunAction, *, actor: Actor, by: str, at: datetime
) -> GradingRun:
    """O15: draft -> proposed -> approved (frozen) -> reopened -> proposed ..."""
    allowed_from, to_status, required = _TRANSITIONS[RunAction(action)]
    if run.status not in allowed_from:
        raise RuleError(
            "O15", f"cannot {action.value} a run that is {run.status.value}", field="/status"
        )
    if actor != required:
        raise RuleError(
            "O15", f"only the {required.value} may {action.value} a run, not {actor.value}"
        )
    if not by:
        raise RuleError("O15", "the acting person must be named", field="/by")
    if run.history and at < run.history[-1].at:
        raise RuleError("O15", f"{at} is earlier than the previous step", field="/at")
    step = RunTransition(RunAction(action), run.status, to_status, actor, by, at)
    return replace(run, status=to_status, history=(*run.history, step))


def ensure_editable(run: GradingRun) -> None:
    """O15: refuse to (re)compute results of a proposed or approved run."""
    if not run.editable:
        raise RuleError(
            "O15",
            f"the {run.year} run is {run.status.value}; results can change only in draft "
            "or after an explicit reopen",
            field="/status",
        )

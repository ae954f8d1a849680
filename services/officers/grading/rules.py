"""Annual grading of loan officers (spec officers.md O6, O12-O15; seed piece 5, Art. 7-15).

Pure functions over frozen dataclasses. The figures, peer averages and item points (O7-O11) are
in `items.py`, the parameters in `policy.py`, the protection period and the post
decision (O4, O5) in `protection.py` and the yearly run (O15) in `run.py`. Here: the
grade by score (O6), the caps (O12), the total and its breakdown (O13), the post coefficients
(O14), `grade_officer`, `grade_all` and the run fingerprint (O15). Nothing here reads settings or
the clock.

Edge cases decided here (each also stated where it is implemented):

- The total is not floored: O11 deductions can push it below 0 (it is then < 60 anyway).
- Items are rounded, then summed, so the published breakdown adds up to the published total
  and the grade is decided on that total.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import lru_cache
from typing import Any

from services.officers.grading.items import (
    GRADING_CONTEXT,
    Deductions,
    InterestItem,
    Limit,
    OfficerFigures,
    PeerAverage,
    QualityItem,
    VolumeItem,
    peer_averages,
    peer_group_of,
    score_deductions,
    score_interest,
    score_quality,
    score_volume,
    validate_figures,
)
from services.officers.grading.policy import Grade, GradingPolicy, Post
from services.officers.kernel.rules import RuleError, fmt, quantize_points


class Cap(StrEnum):
    """O12 caps on the final grade."""

    SERIOUS_VIOLATION = "serious_violation"
    NPL_ABOVE_TOLERANCE = "npl_above_tolerance"
    NPL_ABOVE_TOLERANCE_FACTOR = "npl_above_tolerance_factor"


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
    with localcontext(GRADING_CONTEXT):
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

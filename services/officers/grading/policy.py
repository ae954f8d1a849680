"""Annual grading policy (spec officers.md O4-O14; seed piece 5, Art. 7-15).

`GradingPolicy` holds every grading parameter with the spec defaults and round-trips through a
JSON-ready dict (stored per company and year). `Grade` and `Post` live here because the policy
maps them to salary coefficients (O6, O14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

from services.officers.kernel.rules import (
    RuleError,
    param,
    params_from_dict,
    params_to_dict,
    validate_params,
)


class Grade(IntEnum):
    """O6: grade 1 is the best."""

    ONE = 1
    TWO = 2
    THREE = 3


class Post(StrEnum):
    """O14: an officer's post; everything but OFFICER is graded for reference only."""

    # Two classes of this name: OpenAPI names this one's schema after its module, kept as
    # published before the officers packages (issue 15).
    __module__ = "services.officers.grading_policy"

    OFFICER = "officer"
    SUB_BRANCH_HEAD = "sub_branch_head"
    DEPUTY_HEAD = "deputy_head"
    OFFICE_DIRECTOR = "office_director"


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

"""Yearly performance pay of an officer (spec officers.md O4, O6, O14; seed piece 5, Art. 8, 15).

The salary coefficient follows the approved grade (O6), a manager's post (O14) or, during the
protection period, the higher of the pre-appointment level and the grade (O4). Performance pay
is the payroll's figure for the officer's performance (recorded with the yearly figures); during
protection it is the higher of that and the pre-appointment performance pay. Pure: no clock, no
database. Money is `Decimal` yuan, rounded to the fen once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.officers.grading.policy import Grade, GradingPolicy, Post
from services.officers.grading.protection import protected_pay, protection_end

FEN = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class PayInputs:
    """What the pay sheet of one officer-year needs: the approved grading outcome and the
    officer's appointment facts."""

    officer_id: str
    year: int
    post: Post
    score: Decimal
    grade: Grade | None
    grading_coefficient: Decimal | None
    performance_pay: Decimal | None
    first_appointment_date: date | None
    pre_appointment_coefficient: Decimal | None
    pre_appointment_performance_pay: Decimal | None
    leaves_post: bool


@dataclass(frozen=True)
class PayLine:
    """A pay sheet line with every reason that shaped it."""

    officer_id: str
    year: int
    grade_coefficient: Decimal | None
    salary_coefficient: Decimal | None
    performance_pay: Decimal
    protected: bool
    protection_end: date | None
    reasons: tuple[str, ...]


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def pay_line(inp: PayInputs, policy: GradingPolicy) -> PayLine:
    """O4/O6/O14: the officer's salary coefficient and performance pay for the year."""
    reasons: list[str] = []
    recorded = inp.performance_pay
    if recorded is None:
        reasons.append(f"no performance pay recorded for {inp.year}: taken as 0")
        recorded = ZERO
    grade_coef = None if inp.grade is None else policy.grade_coefficient(inp.grade)
    if inp.post is not Post.OFFICER:
        reasons.append(
            f"O14 {inp.post.value}: salary coefficient {inp.grading_coefficient} follows the post"
            f" (grade {_grade_text(inp.grade)} is for reference)"
        )
        return PayLine(
            inp.officer_id,
            inp.year,
            grade_coef,
            inp.grading_coefficient,
            _fen(recorded),
            False,
            None,
            tuple(reasons),
        )
    appointed = inp.first_appointment_date
    end: date | None = None
    if appointed is not None and appointed <= date(inp.year, 12, 31):
        outcome = protected_pay(
            appointment_date=appointed,
            year=inp.year,
            grade=inp.grade,
            performance_pay=recorded,
            pre_appointment_coefficient=inp.pre_appointment_coefficient or ZERO,
            pre_appointment_performance_pay=inp.pre_appointment_performance_pay or ZERO,
            policy=policy,
        )
        reasons.append(_grade_reason(inp, grade_coef))
        reasons.extend(outcome.explanation)
        coefficient, pay = outcome.coefficient, outcome.performance_pay
        protected, end = outcome.protected, outcome.protection_end
    else:
        reasons.append(_grade_reason(inp, grade_coef))
        if appointed is None:
            reasons.append("O4 never appointed: no protection period")
        else:
            reasons.append(f"O4 appointed {appointed}, after {inp.year}: no protection period")
        coefficient, pay, protected = grade_coef, recorded, False
        end = None if appointed is None else protection_end(appointed, policy)
    if coefficient is None:
        reasons.append("O6 disqualified: no grade, no salary coefficient")
    if inp.leaves_post:
        reasons.append("O5 leaves the post for the NPL collection assignment")
    return PayLine(
        inp.officer_id,
        inp.year,
        grade_coef,
        coefficient,
        _fen(pay),
        protected,
        end,
        tuple(reasons),
    )


def _grade_text(grade: Grade | None) -> str:
    return "none" if grade is None else str(int(grade))


def _grade_reason(inp: PayInputs, grade_coef: Decimal | None) -> str:
    if inp.grade is None:
        return f"O6 score {inp.score}: disqualified, no grade"
    return f"O6 score {inp.score}: grade {int(inp.grade)}, coefficient {grade_coef}"

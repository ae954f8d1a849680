"""Protection period and leaving the post (spec officers.md O4, O5; seed piece 5, Art. 15).

Pure functions over dates, `Decimal` money and the `GradingPolicy`; the grade and score come
from `rules.py`. Nothing here reads settings or the clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.officers.grading.policy import Grade, GradingPolicy
from services.officers.kernel.rules import RuleError

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

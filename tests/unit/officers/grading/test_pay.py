"""Yearly pay lines: O4 protection floor, O6 grade coefficient, O14 post coefficient."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.officers.grading.pay import PayInputs, pay_line
from services.officers.grading.policy import Grade, GradingPolicy, Post

D = Decimal
POLICY = GradingPolicy.default()
BASE = PayInputs(
    officer_id="a",
    year=2025,
    post=Post.OFFICER,
    score=D("80.00"),
    grade=Grade.TWO,
    grading_coefficient=D("1.8"),
    performance_pay=D("40000.004"),
    first_appointment_date=date(2020, 1, 1),
    pre_appointment_coefficient=D("1.7"),
    pre_appointment_performance_pay=D("50000"),
    leaves_post=False,
)


def test_o6_after_protection_pay_follows_grade_and_performance() -> None:
    line = pay_line(BASE, POLICY)
    assert (line.salary_coefficient, line.performance_pay, line.protected) == (
        D("1.8"),
        D("40000.00"),
        False,
    )
    assert line.reasons[0] == "O6 score 80.00: grade 2, coefficient 1.8"
    assert line.reasons[1].startswith("O4 protection ended 2022-01-01")


@pytest.mark.parametrize(
    ("grade", "pre_coef", "pay", "coefficient", "performance"),
    [
        (Grade.TWO, "1.7", "40000", "1.8", "50000.00"),  # grade wins the coefficient, pre the pay
        (Grade.THREE, "1.7", "60000", "1.7", "60000.00"),  # pre wins the coefficient
        (None, "1.2", "0", "1.6", "50000.00"),  # disqualified during protection: grade 3
    ],
)
def test_o4_protection_takes_the_higher_of_pre_appointment_and_grade(
    grade: Grade | None, pre_coef: str, pay: str, coefficient: str, performance: str
) -> None:
    inp = replace(
        BASE,
        first_appointment_date=date(2024, 3, 1),
        grade=grade,
        pre_appointment_coefficient=D(pre_coef),
        performance_pay=D(pay),
    )
    line = pay_line(inp, POLICY)
    assert line.protected
    assert line.protection_end == date(2026, 3, 1)
    assert (line.salary_coefficient, line.performance_pay) == (D(coefficient), D(performance))


def test_o4_the_protection_boundary_is_two_full_years_by_year_end() -> None:
    on_boundary = pay_line(replace(BASE, first_appointment_date=date(2024, 1, 1)), POLICY)
    assert not on_boundary.protected  # 2024-01-01 + 2 years = 2026-01-01: the year is not protected
    inside = pay_line(replace(BASE, first_appointment_date=date(2024, 1, 2)), POLICY)
    assert inside.protected


def test_o5_o6_disqualified_after_protection_has_no_coefficient() -> None:
    line = pay_line(
        replace(BASE, grade=None, score=D("55"), grading_coefficient=None, leaves_post=True), POLICY
    )
    assert line.salary_coefficient is None
    assert "O6 disqualified: no grade, no salary coefficient" in line.reasons
    assert line.reasons[-1] == "O5 leaves the post for the NPL collection assignment"


def test_o14_a_managers_coefficient_follows_the_post() -> None:
    line = pay_line(
        replace(
            BASE,
            post=Post.DEPUTY_HEAD,
            grading_coefficient=D("2.0"),
            first_appointment_date=date(2024, 3, 1),
        ),
        POLICY,
    )
    assert (line.salary_coefficient, line.protected) == (D("2.0"), False)
    assert line.reasons[0].startswith("O14 deputy_head: salary coefficient 2.0 follows the post")


def test_o4_never_appointed_or_missing_pay_is_explained() -> None:
    line = pay_line(replace(BASE, first_appointment_date=None, performance_pay=None), POLICY)
    assert line.performance_pay == D("0.00")
    assert line.reasons[0] == "no performance pay recorded for 2025: taken as 0"
    assert "O4 never appointed: no protection period" in line.reasons

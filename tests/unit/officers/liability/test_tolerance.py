"""O26 NPL tolerance; O27-O29 pay after exit and over tolerance, quarter by quarter."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.tolerance import (
    IncomeYear,
    Quarter,
    exit_year_performance,
    fen,
    over_ratio,
    over_tolerance_pay,
    over_tolerance_share,
    tolerance,
    within_tolerance_pay,
)

D = Decimal
POLICY = LiabilityPolicy.default()
INCOMES = {
    2022: IncomeYear(D("100000"), D("40000")),
    2023: IncomeYear(D("200000"), D("60000")),
    2024: IncomeYear(D("300000"), D("100000")),
    2025: IncomeYear(D("400000.33"), D("100000.11")),
}


def test_o26_ten_percent_natural_person_plus_five_percent_enterprise_over_three_years() -> None:
    t = tolerance(INCOMES, exit_year=2026, reduced=False, policy=POLICY)
    assert t.window == (2023, 2024, 2025)
    assert (t.natural_person_income, t.enterprise_income) == (D("900000.33"), D("260000.11"))
    # 10 % x 900,000.33 + 5 % x 260,000.11 = 90,000.033 + 13,000.0055 = 103,000.0385
    assert t.amount == D("103000.0385")
    assert fen(t.amount) == D("103000.04")
    assert t.missing_years == ()


def test_o26_sub_branch_heads_and_class1_officers_get_sixty_percent_of_the_rates() -> None:
    t = tolerance(INCOMES, exit_year=2026, reduced=True, policy=POLICY)
    assert (t.natural_person_rate, t.enterprise_rate) == (D("0.060"), D("0.030"))
    assert fen(t.amount) == D("61800.02")  # 54,000.0198 + 7,800.0033


def test_o26_missing_window_year_counts_zero_and_is_listed() -> None:
    t = tolerance(INCOMES, exit_year=2023, reduced=False, policy=POLICY)
    assert t.missing_years == (2020, 2021)
    assert t.amount == D("12000")


def test_o29_bands_of_the_over_tolerance_share() -> None:
    assert over_ratio(D("100"), D("100")) == 0
    assert over_ratio(D("120"), D("100")) == D("0.2")
    assert over_ratio(D("1"), D("0")) is None
    assert over_tolerance_share(D("0.2"), POLICY) == D("0.80")
    assert over_tolerance_share(D("0.2001"), POLICY) == D("0.50")
    assert over_tolerance_share(D("0.5"), POLICY) == D("0.50")
    assert over_tolerance_share(D("0.5001"), POLICY) == 0
    assert over_tolerance_share(None, POLICY) == 0


def test_o27_exit_year_next_year_and_later() -> None:
    kw = {
        "officer_rules_pay": D("30000"),
        "teller_average": D("35000"),
        "interest_income_pay": D("42000"),
        "new_post_pay": D("38000"),
    }
    assert exit_year_performance(0, **kw) == D("35000")
    assert exit_year_performance(1, **kw) == D("42000")
    assert exit_year_performance(2, **kw) == D("38000")


def test_o28_within_tolerance_keeps_exit_coefficient_and_teller_volume_performance() -> None:
    pay = within_tolerance_pay(D("1.8"), D("12345.67"))
    assert (pay.salary_coefficient, pay.performance_pay) == (D("1.8"), D("12345.67"))


def test_o29_missed_quarter_stops_next_advances_with_no_back_pay() -> None:
    q = Quarter(D("10000"), D("10000"), D("6000"), D("9000"))
    quarters = [
        q,
        replace(q, collected=D("8000")),  # missed, but >= 80 %: share still earned
        q,  # advances stopped (Q2 missed); target met again
        replace(q, collected=D("7999.99")),  # advances resume; < 80 %: no share
    ]
    pays = over_tolerance_pay(quarters, ratio=D("0.1"), policy=POLICY)
    assert [p.target_met for p in pays] == [True, False, True, False]
    assert [p.advance for p in pays] == [D("6000"), D("6000"), 0, D("6000")]
    assert [fen(p.performance) for p in pays] == [D("7200.00"), D("7200.00"), D("7200.00"), 0]
    assert sum(p.advance for p in pays) == D("18000")  # Q3's advances are never paid back


def test_o29_share_follows_how_far_over_tolerance() -> None:
    q = [Quarter(D("100"), D("100"), D("0"), D("1000"))]
    assert over_tolerance_pay(q, ratio=D("0.3"), policy=POLICY)[0].performance == D("500.00")
    assert over_tolerance_pay(q, ratio=D("0.6"), policy=POLICY)[0].performance == 0
    first = over_tolerance_pay(q, ratio=D("0"), policy=POLICY, previous_quarter_met=False)[0]
    assert first.advance == 0

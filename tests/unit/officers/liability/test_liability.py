"""O22 NPL counting, O23 county elimination, O24 exit evaluation, O25 age-exit transition."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.officers.kernel.rules import RuleError
from services.officers.kernel.vocabulary import Collateral, Gender, LoanClass, LoanState
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import (
    CountyEntry,
    ExitFacts,
    count_npl,
    eliminate,
    evaluate_exit,
    may_lend,
    milestones_met,
    responsible_npl_balance,
    transition_plan,
)

D = Decimal
POLICY = LiabilityPolicy.default()


def loan(
    loan_class: LoanClass = LoanClass.NORMAL,
    overdue: int = 0,
    collateral: Collateral = Collateral.UNSECURED,
    *,
    disposal: bool = False,
    balance: str = "1000",
    loan_id: str = "L",
) -> LoanState:
    return LoanState(loan_id, D(balance), loan_class, overdue, collateral, disposal)


@pytest.mark.parametrize("cls", [LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS])
def test_o22_bottom_three_classes_count(cls: LoanClass) -> None:
    assert count_npl(loan(cls), POLICY).counted


@pytest.mark.parametrize("cls", [LoanClass.NORMAL, LoanClass.SPECIAL_MENTION])
def test_o22_top_two_classes_do_not_count_until_overdue_over_a_year(cls: LoanClass) -> None:
    assert not count_npl(loan(cls, 365), POLICY).counted
    assert count_npl(loan(cls, 366), POLICY).counted


@pytest.mark.parametrize("collateral", [Collateral.MORTGAGE, Collateral.PLEDGE])
def test_o22_secured_loan_in_disposal_under_a_year_is_not_counted(collateral: Collateral) -> None:
    assert not count_npl(loan(LoanClass.LOSS, 200, collateral, disposal=True), POLICY).counted
    # Not in disposal, or over a year overdue: counted again.
    assert count_npl(loan(LoanClass.LOSS, 200, collateral), POLICY).counted
    assert count_npl(loan(LoanClass.LOSS, 366, collateral, disposal=True), POLICY).counted


def test_o22_guaranteed_loan_in_disposal_still_counts() -> None:
    assert count_npl(
        loan(LoanClass.DOUBTFUL, 10, Collateral.GUARANTEED, disposal=True), POLICY
    ).counted


def test_o22_responsible_balance_sums_counted_loans() -> None:
    loans = [
        loan(LoanClass.SUBSTANDARD, balance="100.10", loan_id="a"),
        loan(LoanClass.NORMAL, 400, balance="200.20", loan_id="b"),
        loan(LoanClass.NORMAL, balance="999", loan_id="c"),
        loan(LoanClass.LOSS, 30, Collateral.MORTGAGE, disposal=True, balance="5000", loan_id="d"),
    ]
    assert responsible_npl_balance(loans, POLICY) == D("300.30")


def test_o23_largest_ten_per_county_go_to_collection_duty_and_yellow_cards() -> None:
    entries = [CountyEntry(f"o{i:02d}", "Liwan", D(i * 100_000)) for i in range(1, 13)]
    entries.append(CountyEntry("x", "Other", D("1000000.01")))
    entries.append(CountyEntry("y", "Other", D("0")))
    results = {r.officer_id: r for r in eliminate(entries, POLICY)}
    duty = sorted(k for k, r in results.items() if r.collection_duty and r.county == "Liwan")
    assert duty == [f"o{i:02d}" for i in range(3, 13)]
    assert results["o12"].rank == 1
    assert results["o01"].rank == 12
    # Yellow card strictly above 1,000,000: o11 (1,100,000) and o12, not o10 (exactly 1,000,000).
    assert {k for k, r in results.items() if r.yellow_card} == {"o11", "o12", "x"}
    assert results["x"].collection_duty
    assert not results["y"].collection_duty


def test_o23_ties_at_the_cut_all_go_and_bottom_count_is_a_policy() -> None:
    policy = replace(POLICY, bottom_count=2)
    entries = [CountyEntry(k, "C", D(v)) for k, v in [("a", 5), ("b", 3), ("c", 3), ("d", 1)]]
    results = {r.officer_id: r for r in eliminate(entries, policy)}
    assert [k for k in "abcd" if results[k].collection_duty] == ["a", "b", "c"]
    assert results["b"].rank == results["c"].rank == 2


FACTS = ExitFacts(
    score=D("80"),
    failed_exams_in_row=0,
    sub_branch_unqualified=False,
    review_unqualified=False,
    gender=Gender.MALE,
    birth_date=date(1980, 6, 15),
)


def test_o24_no_condition_no_exit() -> None:
    assert evaluate_exit(FACTS, date(2026, 1, 1), POLICY) == ()


def test_o24_lists_every_condition_that_holds() -> None:
    facts = replace(
        FACTS,
        score=D("59.99"),
        failed_exams_in_row=2,
        sub_branch_unqualified=True,
        review_unqualified=True,
        illness=True,
        major_violation=True,
    )
    held = evaluate_exit(facts, date(2026, 1, 1), POLICY)
    assert len(held) == 6
    assert held[0].startswith("score 59.99 below 60")


def test_o24_age_above_55_for_men_45_for_women_unless_extended() -> None:
    man = FACTS
    assert evaluate_exit(man, date(2035, 6, 15), POLICY) == ()
    assert evaluate_exit(man, date(2035, 6, 16), POLICY) == ("above the exit age since 2035-06-15",)
    woman = replace(FACTS, gender=Gender.FEMALE)
    assert evaluate_exit(woman, date(2025, 6, 16), POLICY)
    assert evaluate_exit(replace(woman, age_extended=True), date(2025, 6, 16), POLICY) == ()


def test_o25_book_halves_each_year_and_lending_stops_after_two_years() -> None:
    plan = transition_plan(date(2026, 3, 1), D("1000000.01"), POLICY)
    assert [(m.deadline, m.ceiling) for m in plan.milestones] == [
        (date(2027, 3, 1), D("500000.01")),
        (date(2028, 3, 1), D("250000.00")),
    ]
    assert milestones_met(plan, [D("500000"), D("260000")]) == (True, False)
    assert may_lend(plan, date(2028, 2, 29))
    assert not may_lend(plan, date(2028, 3, 1))
    assert plan.collection_from == date(2027, 3, 1)


def test_o22_o35_policy_round_trips_and_names_the_rule() -> None:
    assert LiabilityPolicy.from_dict(POLICY.to_dict()) == POLICY
    with pytest.raises(RuleError) as exc:
        LiabilityPolicy.from_dict({"bottom_count": 0})
    assert (exc.value.rule, exc.value.field) == ("O23", "/bottom_count")

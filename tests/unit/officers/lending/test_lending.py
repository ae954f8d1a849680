"""O20 lending restrictions (and the O23 bar on officers on collection duty), pure rules:
worked examples with amounts and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.officers.kernel.vocabulary import Collateral
from services.officers.lending.rules import (
    BorrowerFacts,
    FamilyGuarantee,
    OfficerFacts,
    ProposedLoan,
    check_loan,
)
from services.officers.liability.policy import LiabilityPolicy

D = Decimal
ON = date(2026, 3, 10)
MIN = LiabilityPolicy.default().joint_guarantee_min_amount


def loan(amount: str = "8000.00", **kw: object) -> ProposedLoan:
    base: dict[str, object] = {
        "amount": D(amount),
        "collateral": Collateral.MORTGAGE,
        "on": ON,
        "family_guarantee": FamilyGuarantee.SPOUSE,
    }
    return ProposedLoan(**(base | kw))  # type: ignore[arg-type]


def codes(
    p: ProposedLoan, b: BorrowerFacts | None = None, o: OfficerFacts | None = None
) -> list[str]:
    return [v.code for v in check_loan(p, b, o, joint_guarantee_min=MIN)]


def test_o20_default_threshold_is_10000() -> None:
    assert MIN == D("10000")


def test_o20_clean_loan_is_allowed() -> None:
    assert codes(loan(), BorrowerFacts("B1"), OfficerFacts("OF-A")) == []


def test_o20_sued_borrower_gets_no_new_loan_from_the_suit_date() -> None:
    sued = BorrowerFacts("B1", sued=True, sued_on=date(2026, 2, 1))
    found = check_loan(loan(), sued, None, joint_guarantee_min=MIN)
    assert [v.code for v in found] == ["sued"]
    assert found[0].message() == "O20: borrower B1 sued on 2026-02-01: no new loans"
    # A suit dated after the loan date does not reach back.
    later = BorrowerFacts("B1", sued=True, sued_on=date(2026, 4, 1))
    assert codes(loan(), later) == []


def test_o20_interest_on_hold_blocks_the_borrower_and_its_household() -> None:
    assert codes(loan(), BorrowerFacts("B1", interest_on_hold=True)) == ["interest_on_hold"]
    member = BorrowerFacts("B2", household_id="H1", household_on_hold=("B1",))
    found = check_loan(loan(), member, None, joint_guarantee_min=MIN)
    assert [v.code for v in found] == ["household_interest_on_hold"]
    assert "household H1" in found[0].detail


def test_o20_10000_or_more_needs_a_family_joint_guarantee_or_proof_of_none() -> None:
    assert codes(loan("9999.99", family_guarantee=FamilyGuarantee.NONE)) == []
    assert codes(loan("10000.00", family_guarantee=FamilyGuarantee.NONE)) == ["joint_guarantee"]
    assert codes(loan("10000.00", family_guarantee=FamilyGuarantee.FAMILY_MEMBER)) == []
    assert codes(loan("50000", family_guarantee=FamilyGuarantee.NONE_PROVEN)) == [
        "joint_guarantee"
    ]  # no proof given
    proven = loan("50000", family_guarantee=FamilyGuarantee.NONE_PROVEN, proof_ref="VC-2026-17")
    assert codes(proven) == []
    # An event's loan: the guarantee is unknown, the rule is not judged.
    assert codes(loan("50000", family_guarantee=None)) == []


def test_o20_the_threshold_is_the_policys() -> None:
    p = loan("12000", family_guarantee=FamilyGuarantee.NONE)
    assert [v.code for v in check_loan(p, None, None, joint_guarantee_min=D("20000"))] == []


def test_o20_employee_rate_not_below_the_standard_rate() -> None:
    emp = BorrowerFacts("B9", employee_id="E-77")
    better = loan(rate=D("0.0400"), standard_rate=D("0.0435"))
    found = check_loan(better, emp, None, joint_guarantee_min=MIN)
    assert [v.code for v in found] == ["employee_better_terms"]
    assert "rate 0.0400 below the standard rate 0.0435" in found[0].detail
    assert codes(loan(rate=D("0.0435"), standard_rate=D("0.0435")), emp) == []
    # Not an employee: a lower rate is not this rule's business.
    assert codes(better, BorrowerFacts("B1")) == []


def test_o20_employee_relatives_get_no_unsecured_loans() -> None:
    rel = BorrowerFacts("B5", relative_of="E-77", relation="son")
    assert codes(loan(collateral=Collateral.UNSECURED), rel) == ["relative_unsecured"]
    assert codes(loan(collateral=Collateral.GUARANTEED), rel) == []


def test_o23_officer_on_collection_duty_loses_unsecured_lending_only() -> None:
    duty = OfficerFacts("OF-A", collection_duty=True, duty_year=2026)
    found = check_loan(loan(collateral=Collateral.UNSECURED), None, duty, joint_guarantee_min=MIN)
    assert [(v.rule, v.code) for v in found] == [("O23", "officer_on_duty_unsecured")]
    assert codes(loan(collateral=Collateral.MORTGAGE), None, duty) == []


def test_o23_officer_off_post_after_a_missed_plan_issues_nothing() -> None:
    off = OfficerFacts("OF-A", collection_duty=True, duty_year=2025, off_post_collection=True)
    assert codes(loan(collateral=Collateral.MORTGAGE), None, off) == ["officer_off_post"]


def test_o20_every_violation_is_listed() -> None:
    b = BorrowerFacts("B1", sued=True, interest_on_hold=True, relative_of="E-1")
    p = loan("20000", collateral=Collateral.UNSECURED, family_guarantee=FamilyGuarantee.NONE)
    o = OfficerFacts("OF-A", collection_duty=True, duty_year=2026)
    assert codes(p, b, o) == [
        "sued",
        "interest_on_hold",
        "relative_unsecured",
        "joint_guarantee",
        "officer_on_duty_unsecured",
    ]

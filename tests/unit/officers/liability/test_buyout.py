"""O33 retirement buy-out rates, O34 settlement order, O35 escrow, unmatured loans and funds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from services.officers.kernel.vocabulary import Collateral
from services.officers.liability.buyout import (
    BuyoutLoan,
    Disposition,
    Funds,
    retirement_buyout,
    settlement_order,
)
from services.officers.liability.policy import LiabilityPolicy

D = Decimal
POLICY = LiabilityPolicy.default()

A_2004 = BuyoutLoan("A", D("100000"), date(2003, 5, 10), Collateral.GUARANTEED, 2004)
B_2008 = BuyoutLoan(
    "B", D("200000"), date(2007, 3, 1), Collateral.UNSECURED, 2008, limitation_lapsed=True
)
C_2013 = BuyoutLoan("C", D("300000.50"), date(2012, 8, 20), Collateral.UNSECURED, 2013)
D_2013 = BuyoutLoan("D", D("50000"), date(2012, 1, 5), Collateral.MORTGAGE, 2013, in_disposal=True)


def test_o34_limitation_lapsed_first_then_unsecured_then_by_loan_date() -> None:
    order = settlement_order([A_2004, D_2013, C_2013, B_2008])
    assert [x.loan_id for x in order] == ["B", "C", "A", "D"]


def test_o33_o34_o35_worked_example_retiree_with_2004_2008_2013_npls() -> None:
    """Tolerance 120,000. B (2008, lapsed) 10 % = 20,000; C (2013, unsecured) takes the
    tolerance: 120,000 x 5 % + 180,000.50 x 30 % = 6,000 + 54,000.15; A (2004) 5 % = 5,000;
    D (2013 mortgage in disposal) is all above tolerance: 50,000 x 30 % = 15,000 into escrow.
    Funds: risk fund 30,000, then post deposit 40,000, then performance pay 25,000."""
    result = retirement_buyout(
        [A_2004, B_2008, C_2013, D_2013],
        tolerance_amount=D("120000"),
        funds=Funds(D("30000"), D("40000"), D("25000")),
        policy=POLICY,
    )
    rows = [
        (
            x.loan_id,
            x.order,
            x.within_tolerance,
            x.above_tolerance,
            x.amount,
            x.from_risk_fund,
            x.from_post_deposit,
            x.from_performance_pay,
            x.unfunded,
            x.disposition,
        )
        for x in result.loans
    ]
    assert rows == [
        ("B", 1, 0, 0, D("20000.00"), D("20000.00"), 0, 0, 0, Disposition.SETTLED),
        ("C", 2, D("120000"), D("180000.50"), D("60000.15"), D("10000.00"), D("40000"),
         D("10000.15"), 0, Disposition.SETTLED),
        ("A", 3, 0, 0, D("5000.00"), 0, 0, D("5000.00"), 0, Disposition.SETTLED),
        ("D", 4, 0, D("50000"), D("15000.00"), 0, 0, D("9999.85"), D("5000.15"),
         Disposition.ESCROW),
    ]  # fmt: skip
    assert (result.total, result.escrow, result.unfunded) == (
        D("100000.15"),
        D("15000.00"),
        D("5000.15"),
    )
    assert result.from_risk_fund + result.from_post_deposit + result.from_performance_pay == D(
        "95000.00"
    )


def test_o33_vintage_boundaries_2005_2006_2010_2011() -> None:
    loans = [
        replace(A_2004, loan_id=f"y{y}", formed_year=y, loan_date=date(y, 1, 1))
        for y in (2005, 2006, 2010, 2011)
    ]
    result = retirement_buyout(loans, tolerance_amount=D("0"), funds=Funds(), policy=POLICY)
    assert [x.amount for x in result.loans] == [
        D("5000.00"),
        D("10000.00"),
        D("10000.00"),
        D("30000.00"),
    ]
    assert result.unfunded == result.total


def test_o33_rounding_to_the_fen_half_up_only_at_the_end() -> None:
    loan = replace(C_2013, balance=D("0.05"))
    [x] = retirement_buyout([loan], tolerance_amount=D("0.04"), funds=Funds(), policy=POLICY).loans
    # 0.04 x 5 % + 0.01 x 30 % = 0.002 + 0.003 = 0.005 -> 0.01 (rounded once, half up)
    assert x.amount == D("0.01")


def test_o35_unmatured_loan_successor_releases_else_bought_out_by_overdue_year() -> None:
    unmatured = BuyoutLoan(
        "U", D("10000"), date(2025, 6, 1), Collateral.GUARANTEED, matured=False, overdue_year=2027
    )
    taken = replace(unmatured, loan_id="S", successor_accepted=True)
    result = retirement_buyout(
        [unmatured, taken], tolerance_amount=D("4000"), funds=Funds(), policy=POLICY
    )
    by_id = {x.loan_id: x for x in result.loans}
    assert by_id["S"].disposition is Disposition.SUCCESSOR
    assert by_id["S"].amount == 0
    # 2027 vintage: 4,000 within tolerance at 5 % + 6,000 above at 30 % = 200 + 1,800
    assert (by_id["U"].vintage, by_id["U"].amount) == (2027, D("2000.00"))


def test_o33_tolerance_taken_by_every_vintage_when_the_policy_says_so() -> None:
    policy = replace(POLICY, tolerance_counts_all_vintages=True)
    result = retirement_buyout(
        [B_2008, C_2013], tolerance_amount=D("200000"), funds=Funds(), policy=policy
    )
    # B (2008) eats the whole tolerance; C is all above: 300,000.50 x 30 %.
    assert [x.amount for x in result.loans] == [D("20000.00"), D("90000.15")]

"""O35 escrow planning: a retiree's mortgage loans in disposal are bought out into escrow from
the risk fund, the post deposit, then the retirement year's performance pay; released with no
loss, kept with a loss."""

from __future__ import annotations

from decimal import Decimal

from services.officers.funds.rules import Account, MovementKind, plan_escrow, plan_escrow_release

D = Decimal
RF, PD, SF, ES = Account.RISK_FUND, Account.POST_DEPOSIT, Account.SHORTFALL, Account.ESCROW


def test_o35_escrow_takes_risk_fund_then_deposit_then_performance_pay_then_shortfall() -> None:
    plan = plan_escrow(
        {RF: D("1000"), PD: D("500")}, [("M1", D("1200")), ("M2", D("800"))], D("200")
    )
    assert [(m.account, m.amount, m.loan_id) for m in plan.moves] == [
        (RF, D("-1000"), "M1"),
        (PD, D("-200"), "M1"),
        (ES, D("1200"), "M1"),
        (PD, D("-300"), "M2"),
        (ES, D("500"), "M2"),
        (SF, D("300"), "M2"),
    ]
    assert plan.from_performance_pay == {"M1": D(0), "M2": D("200")}
    assert {m.kind for m in plan.moves} == {MovementKind.ESCROW_IN, MovementKind.SHORTFALL}


def test_o35_release_with_no_loss_returns_escrow_accounts_and_cancels_the_shortfall() -> None:
    moves = plan_escrow_release(D("500"), {RF: D(0), PD: D("300")}, D("300"), "M2", loss=False)
    assert [(m.account, m.kind, m.amount) for m in moves] == [
        (ES, MovementKind.ESCROW_RELEASE, D("-500")),
        (PD, MovementKind.ESCROW_RELEASE, D("300")),
        (SF, MovementKind.ESCROW_RELEASE, D("-300")),
    ]


def test_o35_release_with_a_loss_keeps_the_escrow() -> None:
    moves = plan_escrow_release(D("500"), {PD: D("300")}, D("300"), "M2", loss=True)
    assert [(m.account, m.kind, m.amount) for m in moves] == [
        (ES, MovementKind.ESCROW_KEPT, D("-500"))
    ]

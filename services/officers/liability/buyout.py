"""Retirement buy-out: rates, settlement order, escrow, unmatured loans and funds
(spec officers.md O33-O35; seed piece 5, Art. 49-53).

Pure: no clock, no database. Money is `Decimal` yuan: each loan's buy-out amount is computed
exactly and rounded once to the fen with ROUND_HALF_UP; totals and the funds allocation work on
those rounded amounts, so a statement always adds up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from services.officers.kernel.vocabulary import Collateral
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.tolerance import fen

ZERO = Decimal(0)


@dataclass(frozen=True)
class BuyoutLoan:
    """A retiree's responsible NPL (or unmatured loan, O35) as the buy-out needs it.

    `formed_year` is the year the loan became non-performing; an unmatured loan without a
    successor uses `overdue_year`, the year it actually becomes overdue (O35)."""

    loan_id: str
    balance: Decimal
    loan_date: date
    collateral: Collateral
    formed_year: int | None = None
    limitation_lapsed: bool = False
    in_disposal: bool = False
    matured: bool = True
    overdue_year: int | None = None
    successor_accepted: bool = False


class Settleable(Protocol):
    """What O34 orders by."""

    @property
    def loan_id(self) -> str: ...
    @property
    def loan_date(self) -> date: ...
    @property
    def collateral(self) -> Collateral: ...
    @property
    def limitation_lapsed(self) -> bool: ...


def settlement_key(loan: Settleable) -> tuple[bool, bool, date, str]:
    """O34: limitation lapsed first, then unsecured loans, then by loan date (earliest first);
    the loan id breaks the remaining ties."""
    return (
        not loan.limitation_lapsed,
        loan.collateral is not Collateral.UNSECURED,
        loan.loan_date,
        loan.loan_id,
    )


def settlement_order(loans: Sequence[BuyoutLoan]) -> list[BuyoutLoan]:
    """O34: the loans in the order they are settled."""
    return sorted(loans, key=settlement_key)


class Disposition(StrEnum):
    SETTLED = "settled"
    ESCROW = "escrow"
    SUCCESSOR = "successor"


@dataclass(frozen=True)
class Funds:
    """O35 sources, used in this order until exhausted."""

    risk_fund: Decimal = ZERO
    post_deposit: Decimal = ZERO
    performance_pay: Decimal = ZERO


@dataclass(frozen=True)
class LoanBuyout:
    """One loan's buy-out: vintage, the parts within and above tolerance, the amount (fen)
    and where the money comes from."""

    loan_id: str
    order: int
    balance: Decimal
    vintage: int | None
    disposition: Disposition
    within_tolerance: Decimal
    above_tolerance: Decimal
    rate: str
    amount: Decimal
    from_risk_fund: Decimal
    from_post_deposit: Decimal
    from_performance_pay: Decimal
    unfunded: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class BuyoutResult:
    loans: tuple[LoanBuyout, ...]
    total: Decimal
    escrow: Decimal
    from_risk_fund: Decimal
    from_post_deposit: Decimal
    from_performance_pay: Decimal
    unfunded: Decimal


def vintage_of(loan: BuyoutLoan) -> int:
    """O33/O35: the year that sets the rate: the NPL's formation year, or for an unmatured
    loan without a successor the year it actually becomes overdue."""
    year = loan.formed_year if loan.matured else loan.overdue_year
    if year is None:
        field = "formed_year" if loan.matured else "overdue_year"
        raise ValueError(f"loan {loan.loan_id} needs {field}")
    return year


def _take(need: Decimal, available: Decimal) -> tuple[Decimal, Decimal]:
    used = min(need, available)
    return used, available - used


def retirement_buyout(
    loans: Sequence[BuyoutLoan],
    *,
    tolerance_amount: Decimal,
    funds: Funds,
    policy: LiabilityPolicy,
) -> BuyoutResult:
    """O33-O35: each loan in settlement order (O34) at the rate of its vintage (O33: up to
    2005 5 %, 2006-2010 10 %, from 2011 the part within tolerance 5 % and the part above 30 %;
    the tolerance is taken up by the 2011+ loans in settlement order, or by every loan when
    `tolerance_counts_all_vintages`); mortgage loans in disposal go to escrow; an unmatured
    loan with a volunteer successor is released (O35); amounts are paid from the risk fund,
    then the post deposit, then the retirement year's performance pay (O35)."""
    remaining_tolerance = max(tolerance_amount, ZERO)
    rf, pd, pp = funds.risk_fund, funds.post_deposit, funds.performance_pay
    out: list[LoanBuyout] = []
    for order, loan in enumerate(settlement_order(loans), start=1):
        reasons: list[str] = []
        if not loan.matured and loan.successor_accepted:
            reasons.append("O35: unmatured, a volunteer successor became first responsible")
            out.append(
                LoanBuyout(
                    loan.loan_id,
                    order,
                    loan.balance,
                    None,
                    Disposition.SUCCESSOR,
                    ZERO,
                    ZERO,
                    "0",
                    ZERO,
                    ZERO,
                    ZERO,
                    ZERO,
                    ZERO,
                    tuple(reasons),
                )
            )
            continue
        vintage = vintage_of(loan)
        if not loan.matured:
            reasons.append(f"O35: unmatured without successor, bought out as overdue {vintage}")
        within = above = ZERO
        counts_tolerance = vintage > policy.buyout_middle_until_year or (
            policy.tolerance_counts_all_vintages
        )
        if counts_tolerance:
            within, remaining_tolerance = _take(loan.balance, remaining_tolerance)
            above = loan.balance - within
        if vintage <= policy.buyout_early_until_year:
            exact = loan.balance * policy.buyout_early_rate
            rate = str(policy.buyout_early_rate)
            reasons.append(f"O33: formed {vintage} <= {policy.buyout_early_until_year}")
        elif vintage <= policy.buyout_middle_until_year:
            exact = loan.balance * policy.buyout_middle_rate
            rate = str(policy.buyout_middle_rate)
            reasons.append(f"O33: formed {vintage} <= {policy.buyout_middle_until_year}")
        else:
            exact = (
                within * policy.buyout_within_tolerance_rate
                + above * policy.buyout_above_tolerance_rate
            )
            rate = f"{policy.buyout_within_tolerance_rate}/{policy.buyout_above_tolerance_rate}"
            reasons.append(f"O33: formed {vintage}: within tolerance {within}, above {above}")
        amount = fen(exact)
        disposition = Disposition.SETTLED
        if loan.collateral is Collateral.MORTGAGE and loan.in_disposal:
            disposition = Disposition.ESCROW
            reasons.append("O35: mortgage in litigation or disposal: into escrow until it ends")
        from_rf, rf = _take(amount, rf)
        from_pd, pd = _take(amount - from_rf, pd)
        from_pp, pp = _take(amount - from_rf - from_pd, pp)
        unfunded = amount - from_rf - from_pd - from_pp
        out.append(
            LoanBuyout(
                loan.loan_id,
                order,
                loan.balance,
                vintage,
                disposition,
                within,
                above,
                rate,
                amount,
                from_rf,
                from_pd,
                from_pp,
                unfunded,
                tuple(reasons),
            )
        )
    return BuyoutResult(
        loans=tuple(out),
        total=sum((x.amount for x in out), ZERO),
        escrow=sum((x.amount for x in out if x.disposition is Disposition.ESCROW), ZERO),
        from_risk_fund=sum((x.from_risk_fund for x in out), ZERO),
        from_post_deposit=sum((x.from_post_deposit for x in out), ZERO),
        from_performance_pay=sum((x.from_performance_pay for x in out), ZERO),
        unfunded=sum((x.unfunded for x in out), ZERO),
    )

"""Compensation accounts of an officer: NPL risk fund, post risk deposit and the escrow of a
retiree's mortgage loans in disposal (spec officers.md O30-O31, O35; seed piece 5, Art. 33-38,
51-53).

Pure planning of the movements; `funds/service.py` writes them. There is no stored balance: an
account's balance is the sum of its movements. The `shortfall` account holds what a deduction
could not take; later deposits settle it first, oldest first (O30). Amounts are `Decimal`
yuan already in fen: every planned amount is an exact sum or difference of given fen amounts,
so nothing is rounded here.

The `escrow` account (O35) holds a retiree's buy-out of mortgage loans still in litigation or
disposal, paid from the risk fund, then the post deposit, then the retirement year's
performance pay (money from outside the accounts); what they cannot cover is a shortfall. When
disposal ends with no loss the escrow and everything the officer gave for the loan go back;
with a loss the escrow is kept (the buy-out stands).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.officers.kernel.vocabulary import Collateral

ZERO = Decimal(0)


class Account(StrEnum):
    RISK_FUND = "risk_fund"
    POST_DEPOSIT = "post_deposit"
    SHORTFALL = "shortfall"
    ESCROW = "escrow"


PAYING = (Account.RISK_FUND, Account.POST_DEPOSIT)


class MovementKind(StrEnum):
    DEPOSIT = "deposit"
    DEDUCTION = "deduction"
    SHORTFALL = "shortfall"
    SETTLEMENT = "settlement"
    REFUND = "refund"
    ESCROW_IN = "escrow_in"
    ESCROW_RELEASE = "escrow_release"
    ESCROW_KEPT = "escrow_kept"


@dataclass(frozen=True)
class Move:
    """One planned movement: + credits the account, - debits it."""

    account: Account
    kind: MovementKind
    amount: Decimal
    loan_id: str | None


def plan_deduction(
    balances: Mapping[Account, Decimal], amount: Decimal, loan_id: str | None
) -> list[Move]:
    """O30: take a compensation from the risk fund, then the post deposit; what they cannot
    cover is recorded as a shortfall carried forward."""
    moves: list[Move] = []
    left = amount
    for account in PAYING:
        take = min(left, max(balances.get(account, ZERO), ZERO))
        if take > 0:
            moves.append(Move(account, MovementKind.DEDUCTION, -take, loan_id))
            left -= take
    if left > 0:
        moves.append(Move(Account.SHORTFALL, MovementKind.SHORTFALL, left, loan_id))
    return moves


def plan_deposit(
    account: Account, amount: Decimal, outstanding: Sequence[tuple[str | None, Decimal]]
) -> list[Move]:
    """O30: credit a deposit, then settle outstanding shortfalls from it, oldest first
    (`outstanding`: per loan, in the order they arose)."""
    if account not in PAYING:
        raise ValueError("deposits go to the risk fund or the post deposit")
    moves = [Move(account, MovementKind.DEPOSIT, amount, None)]
    left = amount
    for loan_id, owed in outstanding:
        take = min(left, owed)
        if take <= 0:
            continue
        moves.append(Move(account, MovementKind.SETTLEMENT, -take, loan_id))
        moves.append(Move(Account.SHORTFALL, MovementKind.SETTLEMENT, -take, loan_id))
        left -= take
    return moves


def refundable(
    collateral: Collateral, *, became_npl: bool, interest_arrears_over_year: bool
) -> tuple[bool, str]:
    """O31: deductions are returned when the loan is repaid, except for an unsecured loan
    that became NPL or was over a year in interest arrears before recovery."""
    if collateral is Collateral.UNSECURED and (became_npl or interest_arrears_over_year):
        why = "became NPL" if became_npl else "was over a year in interest arrears"
        return False, f"O31: unsecured loan that {why}: deductions are not returned"
    return True, f"O31: {collateral.value} loan repaid: deductions are returned"


def plan_refund(taken: Mapping[Account, Decimal], owed: Decimal, loan_id: str) -> list[Move]:
    """O31: return what was taken for a loan to each account it came from, and cancel the
    loan's shortfall still outstanding."""
    moves = [
        Move(account, MovementKind.REFUND, taken[account], loan_id)
        for account in PAYING
        if taken.get(account, ZERO) > 0
    ]
    if owed > 0:
        moves.append(Move(Account.SHORTFALL, MovementKind.REFUND, -owed, loan_id))
    return moves


@dataclass(frozen=True)
class EscrowPlan:
    """O35 movements of an escrow buy-out and, per loan, the part the performance pay gave."""

    moves: list[Move]
    from_performance_pay: dict[str, Decimal]


def plan_escrow(
    balances: Mapping[Account, Decimal],
    loans: Sequence[tuple[str, Decimal]],
    performance_pay: Decimal,
) -> EscrowPlan:
    """O35: each loan's buy-out (in the order given) goes into escrow, paid from the risk fund,
    then the post deposit, then the retirement year's performance pay, until exhausted; the
    rest is a shortfall carried forward (O30)."""
    left = {a: max(balances.get(a, ZERO), ZERO) for a in PAYING}
    pay_left = performance_pay
    moves: list[Move] = []
    from_pay: dict[str, Decimal] = {}
    for loan_id, amount in loans:
        need = amount
        for account in PAYING:
            take = min(need, left[account])
            if take > 0:
                moves.append(Move(account, MovementKind.ESCROW_IN, -take, loan_id))
                left[account] -= take
                need -= take
        from_pay[loan_id] = min(need, pay_left)
        pay_left -= from_pay[loan_id]
        need -= from_pay[loan_id]
        if amount - need > 0:
            moves.append(Move(Account.ESCROW, MovementKind.ESCROW_IN, amount - need, loan_id))
        if need > 0:
            moves.append(Move(Account.SHORTFALL, MovementKind.SHORTFALL, need, loan_id))
    return EscrowPlan(moves, from_pay)


def plan_escrow_release(
    held: Decimal, taken: Mapping[Account, Decimal], owed: Decimal, loan_id: str, *, loss: bool
) -> list[Move]:
    """O35: disposal ended. No loss: the escrow is emptied, each account gets back what it gave
    for the loan (O31, a repaid mortgage) and the loan's outstanding shortfall is cancelled;
    the performance-pay part goes back to the officer. A loss: the escrow is kept."""
    if loss:
        return [Move(Account.ESCROW, MovementKind.ESCROW_KEPT, -held, loan_id)]
    moves = [Move(Account.ESCROW, MovementKind.ESCROW_RELEASE, -held, loan_id)]
    moves += [
        Move(account, MovementKind.ESCROW_RELEASE, taken[account], loan_id)
        for account in PAYING
        if taken.get(account, ZERO) > 0
    ]
    if owed > 0:
        moves.append(Move(Account.SHORTFALL, MovementKind.ESCROW_RELEASE, -owed, loan_id))
    return moves

"""Pure pieces of the loan ledger (O17, O22): the collateral of an event's free-text kind, the
overdue days of a loan on a date, and a loan's O22 contribution to its officer's responsible
NPL balance on a date with the next day it can change (issue 13). No clock, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.officers.kernel.vocabulary import SECURED_BY_ASSET, Collateral, LoanClass, LoanState
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import count_npl
from services.officers.responsibility.rules import effective_management

_WORDS: tuple[tuple[Collateral, tuple[str, ...]], ...] = (
    (Collateral.MORTGAGE, ("mortgage", "抵押")),
    (Collateral.PLEDGE, ("pledge", "质押")),
    (Collateral.GUARANTEED, ("guarant", "保证", "担保")),
)


def collateral_of(kind: str | None) -> Collateral:
    """The collateral class of an event's `collateral_kind`; none or an unknown kind is
    unsecured (no security the ledger can recognise)."""
    text = (kind or "").lower()
    for collateral, words in _WORDS:
        if any(w in text for w in words):
            return collateral
    return Collateral.UNSECURED


def overdue_days(overdue_since: date | None, balance: Decimal, on: date) -> int:
    """Days overdue on `on`: counted from the first missed due date while a balance remains."""
    if overdue_since is None or balance <= 0 or on <= overdue_since:
        return 0
    return (on - overdue_since).days


def loan_state(
    *,
    loan_id: str,
    balance: Decimal,
    five_class: str,
    overdue_since: date | None,
    collateral: str,
    in_disposal: bool,
    on: date,
) -> LoanState:
    """The O22 view of a ledger loan on a date."""
    return LoanState(
        loan_id,
        balance,
        LoanClass(five_class),
        overdue_days(overdue_since, balance, on),
        Collateral(collateral),
        in_disposal,
    )


def npl_next_change(
    *,
    overdue_since: date | None,
    balance: Decimal,
    collateral: str,
    in_disposal: bool,
    on: date,
    npl_overdue_days: int,
    disposal_grace_days: int,
) -> date | None:
    """O22: the first day after `on` on which the loan's counted verdict can change with the
    date alone (None: never). The verdict depends on the date only through the overdue days,
    so it can flip only when they pass `npl_overdue_days` (counted from then) or, for a
    mortgage / pledge loan in disposal, `disposal_grace_days` (no longer exempt from then)."""
    if overdue_since is None or balance <= 0:
        return None
    flips = [overdue_since + timedelta(days=npl_overdue_days + 1)]
    if in_disposal and Collateral(collateral) in SECURED_BY_ASSET:
        flips.append(overdue_since + timedelta(days=disposal_grace_days + 1))
    later = [d for d in flips if d > on]
    return min(later, default=None)


@dataclass(frozen=True)
class NplContribution:
    """O22 on one date: whom a ledger loan's balance counts for (None: not counted, or no
    officer and no office head up the tree), how much in fen, and the next day the verdict
    can change with the date alone."""

    officer_id: str | None
    fen: int | None
    next_change: date | None


def npl_contribution(
    *,
    loan_id: str,
    org_id: str,
    balance: Decimal,
    five_class: str,
    overdue_since: date | None,
    collateral: str,
    in_disposal: bool,
    management_responsible: str | None,
    heads: Mapping[str, str],
    on: date,
    policy: LiabilityPolicy,
) -> NplContribution:
    """O22 with O17: a loan counted on `on` counts its whole balance for its effective
    management officer (the named one, else the head of its office, Art. 27)."""
    state = loan_state(
        loan_id=loan_id,
        balance=balance,
        five_class=five_class,
        overdue_since=overdue_since,
        collateral=collateral,
        in_disposal=in_disposal,
        on=on,
    )
    who = None
    if count_npl(state, policy).counted:
        who = effective_management(management_responsible, org_id, heads).officer_id
    nxt = npl_next_change(
        overdue_since=overdue_since,
        balance=balance,
        collateral=collateral,
        in_disposal=in_disposal,
        on=on,
        npl_overdue_days=policy.npl_overdue_days,
        disposal_grace_days=policy.disposal_grace_days,
    )
    return NplContribution(who, None if who is None else to_fen(balance), nxt)


def to_fen(amount: Decimal) -> int:
    """Yuan with at most two decimals as whole fen (exact)."""
    fen = amount.scaleb(2)
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than 2 decimals")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    """Whole fen as yuan with two decimals."""
    return Decimal(fen).scaleb(-2)

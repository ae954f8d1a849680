"""Pure pieces of the loan ledger (O17, O22): the collateral of an event's free-text kind and
the overdue days of a loan on a date. No clock, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.officers.liability import Collateral, LoanClass, LoanState

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

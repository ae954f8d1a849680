"""O17/O22 ledger helpers: collateral of the event's free text, overdue days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.officers.kernel.vocabulary import Collateral
from services.officers.ledger.rules import collateral_of, overdue_days


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (None, Collateral.UNSECURED),
        ("credit", Collateral.UNSECURED),
        ("Residential mortgage", Collateral.MORTGAGE),
        ("房产抵押", Collateral.MORTGAGE),
        ("deposit pledge", Collateral.PLEDGE),
        ("joint guarantee", Collateral.GUARANTEED),
    ],
)
def test_o22_collateral_of_event_kind(kind: str | None, expected: Collateral) -> None:
    assert collateral_of(kind) is expected


def test_o22_overdue_days_while_a_balance_remains() -> None:
    since = date(2025, 1, 1)
    assert overdue_days(since, Decimal("1"), date(2026, 1, 2)) == 366
    assert overdue_days(since, Decimal("0"), date(2026, 1, 2)) == 0
    assert overdue_days(None, Decimal("1"), date(2026, 1, 2)) == 0
    assert overdue_days(since, Decimal("1"), date(2024, 12, 1)) == 0

"""Issue 13, O22: a loan's counted verdict changes with the date only on the day
`npl_next_change` names, so the kept ranking rolls a day forward by those loans alone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.officers.ledger.rules import (
    from_fen,
    loan_state,
    npl_contribution,
    npl_next_change,
    to_fen,
)
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import count_npl

DAY = date(2025, 6, 1)


def _counted(
    since: date | None,
    balance: Decimal,
    collateral: str,
    disposal: bool,
    on: date,
    policy: LiabilityPolicy,
) -> bool:
    state = loan_state(
        loan_id="L",
        balance=balance,
        five_class="normal",
        overdue_since=since,
        collateral=collateral,
        in_disposal=disposal,
        on=on,
    )
    return count_npl(state, policy).counted


@given(
    since=st.none() | st.integers(-900, 200).map(lambda d: DAY + timedelta(days=d)),
    balance=st.sampled_from([Decimal(0), Decimal("10.50")]),
    collateral=st.sampled_from(["unsecured", "guaranteed", "mortgage", "pledge"]),
    disposal=st.booleans(),
    limit=st.integers(1, 400),
    grace=st.integers(0, 400),
)
def test_o22_issue13_the_verdict_is_constant_until_the_next_change(
    since: date | None, balance: Decimal, collateral: str, disposal: bool, limit: int, grace: int
) -> None:
    policy = LiabilityPolicy(npl_overdue_days=limit, disposal_grace_days=grace)
    nxt = npl_next_change(
        overdue_since=since,
        balance=balance,
        collateral=collateral,
        in_disposal=disposal,
        on=DAY,
        npl_overdue_days=limit,
        disposal_grace_days=grace,
    )
    start = _counted(since, balance, collateral, disposal, DAY, policy)
    end = nxt if nxt is not None else DAY + timedelta(days=1500)
    assert nxt is None or nxt > DAY
    day = DAY
    while day < end:
        assert _counted(since, balance, collateral, disposal, day, policy) == start
        day += timedelta(days=1)


def test_o17_o22_issue13_a_counted_loan_counts_for_its_effective_officer() -> None:
    policy = LiabilityPolicy()
    common = {
        "loan_id": "L",
        "balance": Decimal("1200.50"),
        "overdue_since": DAY - timedelta(400),
        "collateral": "unsecured",
        "in_disposal": False,
        "on": DAY,
        "policy": policy,
    }
    named = npl_contribution(
        org_id="HO/GZ/LS03/OF1",
        five_class="normal",
        management_responsible="OF-A",
        heads={},
        **common,
    )
    assert (named.officer_id, named.fen, named.next_change) == ("OF-A", 120050, None)
    head = npl_contribution(
        org_id="HO/GZ/LS03/OF1",
        five_class="normal",
        management_responsible=None,
        heads={"HO/GZ/LS03": "OF-H"},
        **common,
    )
    assert head.officer_id == "OF-H"
    nobody = npl_contribution(
        org_id="HO/GZ/LS03", five_class="normal", management_responsible=None, heads={}, **common
    )
    assert (nobody.officer_id, nobody.fen) == (None, None)
    assert (to_fen(Decimal("0.07")), from_fen(5), str(from_fen(0))) == (7, Decimal("0.05"), "0.00")

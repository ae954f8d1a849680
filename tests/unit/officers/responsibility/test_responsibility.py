"""Pure responsibility rules (O17-O19, O21) with worked examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.officers.kernel.rules import RuleError
from services.officers.liability.policy import LiabilityPolicy
from services.officers.responsibility.rules import (
    OFFICE_HEAD,
    Effective,
    HandoverItemState,
    Limitation,
    RefinanceCase,
    add_years,
    check_acceptance,
    effective_management,
    handover_blockers,
    limitation,
    part_balances,
    plan_refinance,
    watch,
)
from shared.org import ancestors

D = Decimal
HEADS = {"HO/GZ/LS03": "OF-H", "HO/GZ": "OF-BR"}


def test_o17_ancestors_nearest_first() -> None:
    assert ancestors("HO/GZ/LS03/OF1") == ["HO/GZ/LS03/OF1", "HO/GZ/LS03", "HO/GZ", "HO"]


@pytest.mark.parametrize(
    ("management", "org", "expected"),
    [
        ("OF-A", "HO/GZ/LS03/OF1", Effective("OF-A", None, None)),
        # Art. 27: no management officer -> the head of the nearest node that has one
        (None, "HO/GZ/LS03/OF1", Effective("OF-H", OFFICE_HEAD, "HO/GZ/LS03")),
        (None, "HO/GZ/CH01", Effective("OF-BR", OFFICE_HEAD, "HO/GZ")),
        (None, "HO/SZ/BA02", Effective(None, OFFICE_HEAD, None)),
    ],
)
def test_o17_effective_management_falls_to_the_office_head(
    management: str | None, org: str, expected: Effective
) -> None:
    assert effective_management(management, org, HEADS) == expected


def test_o17_only_the_assigned_officer_signs() -> None:
    check_acceptance("OF-B", "OF-B")
    with pytest.raises(RuleError, match="O17"):
        check_acceptance("OF-B", "OF-A")


def test_o19_refinance_worked_example_splits_old_and_new_parts() -> None:
    """100,000 = old principal 80,000 + old interest 2,400.50 + new 17,599.50."""
    old, new = plan_refinance(
        loan_amount=D("100000.00"),
        old_principal=D("80000"),
        old_interest=D("2400.50"),
        new_amount=D("17599.50"),
        original_officer="OF-A",
        handling_officer="OF-B",
    )
    assert (old.part, old.amount, old.first_responsible) == ("old", D("82400.50"), "OF-A")
    assert (new.part, new.amount, new.first_responsible) == ("new", D("17599.50"), "OF-B")


def test_o19_parts_must_make_up_the_loan() -> None:
    with pytest.raises(RuleError) as caught:
        plan_refinance(
            loan_amount=D("100000"),
            old_principal=D("80000"),
            old_interest=D("0"),
            new_amount=D("10000"),
            original_officer="OF-A",
            handling_officer="OF-B",
        )
    assert (caught.value.rule, caught.value.field) == ("O19", "/new_amount")
    with pytest.raises(RuleError, match="O19"):
        plan_refinance(
            loan_amount=D("100"),
            old_principal=D("0"),
            old_interest=D("0"),
            new_amount=D("100"),
            original_officer="OF-A",
            handling_officer="OF-B",
        )


def test_o19_five_cases_of_art_30() -> None:
    assert len(RefinanceCase) == 5
    with pytest.raises(ValueError, match="friendly"):
        RefinanceCase("friendly_borrower")


@pytest.mark.parametrize(
    ("balance", "amounts", "expected"),
    [
        # 50,000.01 x 82,400.50 / 100,000 = 41,200.258... -> 41,200.26; the rest 8,799.75
        (D("50000.01"), [D("82400.50"), D("17599.50")], [D("41200.26"), D("8799.75")]),
        (D("100000.00"), [D("82400.50"), D("17599.50")], [D("82400.50"), D("17599.50")]),
        (D("0"), [D("1"), D("1")], [D("0.00"), D("0.00")]),
    ],
)
def test_o19_part_balances_pro_rata_add_up(
    balance: Decimal, amounts: list[Decimal], expected: list[Decimal]
) -> None:
    got = part_balances(balance, amounts)
    assert got == expected
    assert sum(got) == balance


def test_o21_add_years_leap_day() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert add_years(date(2024, 6, 30), 3) == date(2027, 6, 30)


@pytest.mark.parametrize(
    ("interruption", "overdue", "maturity", "start", "basis", "end"),
    [
        (
            date(2025, 2, 1),
            date(2024, 6, 30),
            date(2024, 12, 31),
            date(2025, 2, 1),
            "last",
            date(2028, 2, 1),
        ),
        (
            None,
            date(2024, 6, 30),
            date(2024, 12, 31),
            date(2024, 6, 30),
            "first missed",
            date(2027, 6, 30),
        ),
        (None, None, date(2024, 2, 29), date(2024, 2, 29), "maturity", date(2027, 3, 1)),
        # overdue only from maturity: the period runs from maturity
        (
            None,
            date(2024, 12, 31),
            date(2024, 12, 31),
            date(2024, 12, 31),
            "maturity",
            date(2027, 12, 31),
        ),
    ],
)
def test_o21_limitation_runs_three_years_from_the_last_interruption(
    interruption: date | None,
    overdue: date | None,
    maturity: date,
    start: date,
    basis: str,
    end: date,
) -> None:
    got = limitation(
        last_interruption=interruption, overdue_since=overdue, maturity=maturity, years=3
    )
    assert (got.start, got.end) == (start, end)
    assert got.basis.startswith(basis)


def test_o21_watch_window_of_90_days_keeps_lapsed_loans() -> None:
    on = date(2027, 5, 1)
    ending = Limitation(date(2024, 6, 30), "first missed due date", date(2027, 6, 30))
    entry = watch("L1", ending, on=on, within_days=90)
    assert entry is not None
    assert (entry.days_left, entry.lapsed) == (60, False)
    later = Limitation(date(2025, 2, 1), "last", date(2028, 2, 1))
    assert watch("L2", later, on=on, within_days=90) is None
    lapsed = Limitation(date(2024, 4, 1), "maturity", date(2027, 4, 1))
    entry = watch("L3", lapsed, on=on, within_days=90)
    assert entry is not None
    assert (entry.days_left, entry.lapsed) == (-30, True)
    edge = Limitation(date(2024, 7, 30), "maturity", date(2027, 7, 30))  # exactly 90 days
    assert watch("L4", edge, on=on, within_days=90) is not None


def test_o21_window_and_period_are_policy_parameters() -> None:
    policy = LiabilityPolicy()
    assert (policy.limitation_years, policy.limitation_watch_days) == (3, 90)
    assert LiabilityPolicy.from_dict({"limitation_watch_days": 120}).limitation_watch_days == 120
    with pytest.raises(RuleError, match="O21"):
        LiabilityPolicy.from_dict({"limitation_years": 0})


def test_o18_handover_completes_only_with_new_accepted_officers_and_confirmed_npls() -> None:
    ready = HandoverItemState("L1", npl=True, confirmed=True, new_officer="OF-B", accepted=True)
    assert handover_blockers("OF-A", [ready]) == []
    items = [
        HandoverItemState("L1", npl=True, confirmed=False, new_officer="OF-B", accepted=True),
        HandoverItemState("L2", npl=False, confirmed=False, new_officer=None, accepted=False),
        HandoverItemState("L3", npl=False, confirmed=False, new_officer="OF-C", accepted=False),
        HandoverItemState("L4", npl=False, confirmed=False, new_officer="OF-A", accepted=True),
    ]
    assert handover_blockers("OF-A", items) == [
        "L1: NPL without a confirmed collection / interruption date",
        "L2: no new management responsible officer",
        "L3: OF-C has not signed to accept",
        "L4: no new management responsible officer",
    ]

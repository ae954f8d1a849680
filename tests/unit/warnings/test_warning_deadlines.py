"""Reporting deadlines, overdue marking, monthly updates and the pre-maturity sweep
(warnings.md W5-W8, W11, W13, W14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.warnings.deadlines import (
    DeadlinePolicy,
    Deadlines,
    LoanMaturity,
    YearMonth,
    compute_deadlines,
    pre_maturity_check_tasks,
)
from services.warnings.vocabulary import MANAGEMENT_KINDS, RuleInputError, WarningKind

SH = ZoneInfo("Asia/Shanghai")
K = WarningKind
BUSINESS_KINDS = [k for k in WarningKind if k not in MANAGEMENT_KINDS]
quiet = settings(database=None, max_examples=300)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def money(text: str) -> Decimal:
    return Decimal(text)


DISCOVERED = sh(2025, 3, 1, 10)


def _deadlines(kind: WarningKind, amount: str, discovered: datetime, **kw: object) -> Deadlines:
    return compute_deadlines(kind, Decimal(amount), discovered, **kw)  # type: ignore[arg-type]


# -- W5 pre-maturity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "maturity", "branch", "head_office"),
    [
        # maturity 60 days out: maturity-25 = Apr 5, maturity-30 = Mar 31
        ("999999.99", date(2025, 4, 30), sh(2025, 4, 5, 23, 59, 59), None),
        ("1000000", date(2025, 4, 30), sh(2025, 3, 3, 10), sh(2025, 3, 5, 10)),
        ("4999999.99", date(2025, 4, 30), sh(2025, 3, 3, 10), sh(2025, 3, 5, 10)),
        ("5000000", date(2025, 4, 30), sh(2025, 3, 2, 10), sh(2025, 3, 3, 10)),
        # maturity 31 days out: maturity-30 (Mar 2 23:59:59) is earlier than discovery + 2 days
        ("999999.99", date(2025, 4, 1), sh(2025, 3, 7, 23, 59, 59), None),
        ("1000000", date(2025, 4, 1), sh(2025, 3, 2, 23, 59, 59), sh(2025, 3, 4, 23, 59, 59)),
        ("5000000", date(2025, 4, 1), sh(2025, 3, 2, 10), sh(2025, 3, 3, 10)),
        # maturity-25 is the discovery day: that evening
        ("500000", date(2025, 3, 26), sh(2025, 3, 1, 23, 59, 59), None),
    ],
)
def test_w5_pre_maturity_thresholds(
    amount: str, maturity: date, branch: datetime, head_office: datetime | None
) -> None:
    result = _deadlines(K.PRE_MATURITY, amount, DISCOVERED, maturity_date=maturity)
    assert result == Deadlines(branch, head_office is not None, head_office)


@pytest.mark.parametrize(
    ("amount", "maturity", "branch"),
    [
        ("2000000", date(2025, 3, 11), sh(2025, 3, 3, 10)),  # maturity in 10 days
        ("999999.99", date(2025, 3, 11), sh(2025, 3, 3, 10)),
        ("6000000", date(2025, 3, 11), sh(2025, 3, 2, 10)),
        ("500000", date(2025, 3, 25), sh(2025, 3, 3, 10)),  # maturity-25 was yesterday
        ("500000", date(2025, 2, 20), sh(2025, 3, 3, 10)),  # maturity already past
        ("5000000", date(2025, 2, 20), sh(2025, 3, 2, 10)),
    ],
)
def test_w5_window_already_passed_at_discovery(
    amount: str, maturity: date, branch: datetime
) -> None:
    result = _deadlines(K.PRE_MATURITY, amount, DISCOVERED, maturity_date=maturity)
    assert result.branch_deadline == branch


def test_w5_worked_example_two_million_maturing_in_ten_days() -> None:
    result = _deadlines(K.PRE_MATURITY, "2000000", DISCOVERED, maturity_date=date(2025, 3, 11))
    assert result == Deadlines(sh(2025, 3, 3, 10), True, sh(2025, 3, 5, 10))


@pytest.mark.parametrize(
    ("discovered", "branch"),
    [
        # maturity Apr 5 2025: maturity-25 = Mar 11
        (sh(2025, 3, 11, 23, 59, 59), sh(2025, 3, 11, 23, 59, 59)),  # equal: not yet passed
        (sh(2025, 3, 12, 0, 0, 0), sh(2025, 3, 14, 0, 0, 0)),  # passed: + 2 days
        (utc(2025, 3, 11, 15, 30), sh(2025, 3, 11, 23, 59, 59)),  # 23:30 in Shanghai
        (utc(2025, 3, 11, 16, 30), sh(2025, 3, 14, 0, 30)),  # already Mar 12 in Shanghai
    ],
)
def test_w5_discovery_at_day_edges_and_in_utc(discovered: datetime, branch: datetime) -> None:
    result = _deadlines(K.PRE_MATURITY, "800000", discovered, maturity_date=date(2025, 4, 5))
    assert result.branch_deadline == branch
    assert result.branch_deadline is not None
    assert result.branch_deadline.tzinfo is SH


@pytest.mark.parametrize(
    ("amount", "maturity", "discovered", "branch"),
    [
        ("500000", date(2024, 3, 25), sh(2024, 2, 1, 9), sh(2024, 2, 29, 23, 59, 59)),
        ("500000", date(2025, 3, 25), sh(2025, 2, 1, 9), sh(2025, 2, 28, 23, 59, 59)),
        ("1500000", date(2024, 3, 30), sh(2024, 2, 28, 9), sh(2024, 2, 29, 23, 59, 59)),
        ("1500000", date(2025, 3, 30), sh(2025, 2, 27, 9), sh(2025, 2, 28, 23, 59, 59)),
        ("1500000", date(2026, 1, 30), sh(2025, 12, 31, 23, 30), sh(2025, 12, 31, 23, 59, 59)),
    ],
)
def test_w5_named_days_across_month_ends(
    amount: str, maturity: date, discovered: datetime, branch: datetime
) -> None:
    result = _deadlines(K.PRE_MATURITY, amount, discovered, maturity_date=maturity)
    assert result.branch_deadline == branch


def test_w5_pre_maturity_needs_a_maturity_date() -> None:
    with pytest.raises(RuleInputError) as err:
        compute_deadlines(K.PRE_MATURITY, Decimal(100), DISCOVERED)
    assert (err.value.field, err.value.rule) == ("maturity_date", "W5")
    assert str(err.value).startswith("W5: maturity_date: ")


@pytest.mark.parametrize(
    ("amount", "field"),
    [(Decimal("-0.01"), "amount"), (Decimal("NaN"), "amount"), (Decimal("Infinity"), "amount")],
)
def test_w5_bad_amount_is_an_input_error(amount: Decimal, field: str) -> None:
    with pytest.raises(RuleInputError) as err:
        compute_deadlines(K.PRE_MATURITY, amount, DISCOVERED, maturity_date=date(2025, 4, 30))
    assert (err.value.field, err.value.rule) == (field, "W5")


@pytest.mark.parametrize("kind", list(WarningKind))
def test_w5_w8_naive_discovery_is_an_input_error(kind: WarningKind) -> None:
    with pytest.raises(RuleInputError) as err:
        compute_deadlines(
            kind, Decimal(1), datetime(2025, 3, 1, 10), maturity_date=date(2025, 5, 1)
        )
    assert err.value.field == "discovered_at"


# -- W6 other business warnings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("discovered", "branch"),
    [
        (sh(2025, 1, 31, 10), sh(2025, 1, 31, 23, 59, 59)),
        (sh(2025, 1, 1, 0, 0, 0), sh(2025, 1, 31, 23, 59, 59)),
        (sh(2023, 2, 28, 10), sh(2023, 2, 28, 23, 59, 59)),
        (sh(2024, 2, 28, 10), sh(2024, 2, 29, 23, 59, 59)),  # leap year
        (sh(2024, 2, 29, 10), sh(2024, 2, 29, 23, 59, 59)),
        (sh(2025, 12, 31, 23, 30), sh(2025, 12, 31, 23, 59, 59)),  # 29 min 59 s left
        (sh(2025, 3, 31, 23, 59, 59), sh(2025, 3, 31, 23, 59, 59)),
        (sh(2025, 4, 1, 0, 0, 0), sh(2025, 4, 30, 23, 59, 59)),
        (utc(2025, 1, 31, 16, 30), sh(2025, 2, 28, 23, 59, 59)),  # Feb 1 in Shanghai
        (utc(2025, 1, 31, 15, 59, 59), sh(2025, 1, 31, 23, 59, 59)),
    ],
)
def test_w6_classification_by_end_of_the_local_month(
    discovered: datetime, branch: datetime
) -> None:
    result = _deadlines(K.CLASSIFICATION, "100", discovered)
    assert result == Deadlines(branch, False, None)


@pytest.mark.parametrize(
    ("kind", "discovered", "branch"),
    [
        (K.INTEREST_ARREARS, sh(2025, 12, 31, 23, 30), sh(2026, 1, 2, 23, 30)),
        (K.INTEREST_ARREARS, sh(2024, 2, 28, 12), sh(2024, 3, 1, 12)),
        (K.INTEREST_ARREARS, sh(2025, 2, 28, 12), sh(2025, 3, 2, 12)),
        (K.MAJOR_EVENT, sh(2025, 3, 10, 23, 59, 59), sh(2025, 3, 11, 23, 59, 59)),
        (K.MAJOR_EVENT, sh(2025, 3, 10, 0, 0, 0), sh(2025, 3, 11, 0, 0, 0)),
        (K.MAJOR_EVENT, utc(2025, 3, 10, 16, 30), sh(2025, 3, 12, 0, 30)),
        (K.GROUP_CONTAGION, sh(2025, 1, 31, 8, 15, 30), sh(2025, 2, 2, 8, 15, 30)),
        (K.FINANCIAL_ANOMALY, sh(2025, 3, 1, 0, 0, 0), sh(2025, 3, 3, 0, 0, 0)),
        (K.FINANCIAL_ANOMALY, sh(2025, 3, 1, 23, 59, 59), sh(2025, 3, 3, 23, 59, 59)),
    ],
)
def test_w6_event_counted_windows(
    kind: WarningKind, discovered: datetime, branch: datetime
) -> None:
    result = _deadlines(kind, "0", discovered)
    assert result == Deadlines(branch, False, None)
    assert result.branch_deadline is not None
    assert result.branch_deadline.tzinfo is SH


def test_w6_deadline_is_to_the_second() -> None:
    discovered = datetime(2025, 3, 1, 10, 0, 0, 999_999, tzinfo=SH)
    assert _deadlines(K.MAJOR_EVENT, "1", discovered).branch_deadline == sh(2025, 3, 2, 10)


def test_w6_event_windows_are_absolute_hours_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on 2025-03-30
    discovered = datetime(2025, 3, 29, 12, tzinfo=berlin)
    major = compute_deadlines(K.MAJOR_EVENT, Decimal(1), discovered, tz=berlin)
    arrears = compute_deadlines(K.INTEREST_ARREARS, Decimal(1), discovered, tz=berlin)
    assert major.branch_deadline == datetime(2025, 3, 30, 13, tzinfo=berlin)
    assert arrears.branch_deadline == datetime(2025, 3, 31, 13, tzinfo=berlin)
    assert arrears.branch_deadline is not None
    assert arrears.branch_deadline.astimezone(UTC) - discovered.astimezone(UTC) == timedelta(
        hours=48
    )
    assert arrears.branch_deadline.utcoffset() == timedelta(hours=2)


# -- W7 branch -> head office -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reported", "head_office"),
    [
        ("999999.99", sh(2025, 3, 1, 15), None),
        ("1000000", sh(2025, 3, 1, 15), sh(2025, 3, 3, 15)),
        ("4999999.99", sh(2025, 3, 1, 15), sh(2025, 3, 3, 15)),
        ("5000000", sh(2025, 3, 1, 15), sh(2025, 3, 2, 15)),
        ("1000000", None, sh(2025, 3, 5, 10)),  # from the branch deadline Mar 3 10:00
        ("5000000", None, sh(2025, 3, 4, 10)),
        ("1000000", utc(2025, 3, 1, 16, 30), sh(2025, 3, 4, 0, 30)),
    ],
)
def test_w7_head_office_thresholds_and_base(
    amount: str, reported: datetime | None, head_office: datetime | None
) -> None:
    result = _deadlines(K.INTEREST_ARREARS, amount, DISCOVERED, branch_reported_at=reported)
    assert result == Deadlines(sh(2025, 3, 3, 10), head_office is not None, head_office)
    if result.head_office_deadline is not None:
        assert result.head_office_deadline.tzinfo is SH


def test_w7_classification_head_office_counts_from_end_of_month() -> None:
    result = _deadlines(K.CLASSIFICATION, "5000000", sh(2025, 12, 31, 23, 30))
    assert result == Deadlines(sh(2025, 12, 31, 23, 59, 59), True, sh(2026, 1, 1, 23, 59, 59))


def test_w7_branch_report_before_discovery_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as err:
        _deadlines(K.MAJOR_EVENT, "2000000", DISCOVERED, branch_reported_at=sh(2025, 3, 1, 9))
    assert (err.value.field, err.value.rule) == ("branch_reported_at", "W7")


def test_w7_naive_branch_report_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as err:
        _deadlines(K.MAJOR_EVENT, "2000000", DISCOVERED, branch_reported_at=datetime(2025, 3, 2))
    assert (err.value.field, err.value.rule) == ("branch_reported_at", "W7")


def test_w7_thresholds_come_from_the_policy() -> None:
    policy = DeadlinePolicy(head_office_threshold=Decimal(500000), large_threshold=Decimal(800000))
    result = compute_deadlines(K.MAJOR_EVENT, Decimal(800000), DISCOVERED, policy=policy)
    assert result == Deadlines(sh(2025, 3, 2, 10), True, sh(2025, 3, 3, 10))


# -- W8 management warnings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "head_office"),
    [
        (K.BEYOND_AUTHORITY, sh(2025, 3, 2, 10)),
        (K.DISGUISED_BEYOND_AUTHORITY, sh(2025, 3, 2, 10)),
        (K.RULE_BREAKING, sh(2025, 3, 2, 10)),
        (K.PRECONDITIONS_UNMET, sh(2025, 3, 3, 10)),
    ],
)
@pytest.mark.parametrize("amount", ["0", "999999.99", "1000000", "5000000"])
def test_w8_management_straight_to_head_office(
    kind: WarningKind, head_office: datetime, amount: str
) -> None:
    result = _deadlines(kind, amount, DISCOVERED, branch_reported_at=sh(2025, 3, 1, 11))
    assert result == Deadlines(None, True, head_office)


def test_w8_management_discovered_in_utc_late_evening() -> None:
    result = _deadlines(K.RULE_BREAKING, "1", utc(2025, 12, 31, 15, 59, 59))
    assert result.head_office_deadline == sh(2026, 1, 1, 23, 59, 59)


# -- W5-W8 policy -------------------------------------------------------------------------------


def test_w5_w8_deadline_policy_round_trips() -> None:
    policy = DeadlinePolicy(head_office_threshold=Decimal("2000000.50"))
    data = policy.to_dict()
    assert data["head_office_threshold"] == "2000000.50"
    assert data["major_event_window_seconds"] == 86400
    assert DeadlinePolicy.from_dict(data) == policy
    assert DeadlinePolicy.from_dict({}) == DeadlinePolicy()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"head_office_window": 3600}, "head_office_window"),  # windows are *_seconds
        ({"head_office_window_seconds": "1h"}, "head_office_window_seconds"),
        ({"head_office_window_seconds": 0}, "head_office_window"),
        ({"head_office_threshold": "lots"}, "head_office_threshold"),
        ({"head_office_threshold": True}, "head_office_threshold"),
        ({"large_threshold": "999999"}, "large_threshold"),
        ({"days_before_maturity": -1}, "days_before_maturity"),
    ],
)
def test_w5_w8_deadline_policy_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(RuleInputError) as err:
        DeadlinePolicy.from_dict(data)
    assert err.value.field == field


# -- W5-W8 properties ---------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
amounts = st.one_of(
    st.decimals(min_value=0, max_value=10**8, places=2),
    st.sampled_from([Decimal(x) for x in ("999999.99", "1000000", "4999999.99", "5000000")]),
)
offsets = st.integers(min_value=-400, max_value=400)


@quiet
@given(kind=st.sampled_from(list(WarningKind)), amount=amounts, at=moments, days=offsets)
def test_w5_w8_deadlines_never_before_discovery(
    kind: WarningKind, amount: Decimal, at: datetime, days: int
) -> None:
    maturity = at.astimezone(SH).date() + timedelta(days=days)
    result = compute_deadlines(kind, amount, at, maturity_date=maturity)
    floor = at.replace(microsecond=0)
    for deadline in (result.branch_deadline, result.head_office_deadline):
        if deadline is not None:
            assert deadline >= floor
            assert deadline.tzinfo is SH
            assert deadline.microsecond == 0
    if kind in MANAGEMENT_KINDS:
        assert result.branch_deadline is None
        assert result.head_office_required
    else:
        assert result.branch_deadline is not None
        assert result.head_office_required == (amount >= Decimal(1_000_000))
    if result.head_office_deadline is not None and result.branch_deadline is not None:
        window = timedelta(hours=24 if amount >= Decimal(5_000_000) else 48)
        assert result.head_office_deadline - result.branch_deadline == window


@quiet
@given(at=moments, days=offsets)
def test_w5_larger_amounts_never_get_later_deadlines_above_the_threshold(
    at: datetime, days: int
) -> None:
    maturity = at.astimezone(SH).date() + timedelta(days=days)
    branch = {
        amount: compute_deadlines(K.PRE_MATURITY, Decimal(amount), at, maturity_date=maturity)
        for amount in (1_000_000, 5_000_000)
    }
    mid, large = branch[1_000_000].branch_deadline, branch[5_000_000].branch_deadline
    assert mid is not None
    assert large is not None
    assert large <= mid
    floor = at.replace(microsecond=0)
    assert mid - floor <= timedelta(hours=48)
    assert large - floor <= timedelta(hours=24)


# -- W11/W14c monthly updates -------------------------------------------------------------------


def test_w11_year_month_rolls_over() -> None:
    assert YearMonth(2025, 12).next() == YearMonth(2026, 1)
    assert YearMonth(2025, 1).next() == YearMonth(2025, 2)
    assert YearMonth.of(utc(2025, 12, 31, 16), SH) == YearMonth(2026, 1)


# -- W14a pre-maturity check sweep --------------------------------------------------------------


def test_w14a_loans_maturing_within_30_days_inclusive() -> None:
    loans = [
        LoanMaturity("L-late", date(2025, 4, 1), Decimal(100)),  # day 31
        LoanMaturity("L-edge", date(2025, 3, 31), Decimal(100)),  # day 30
        LoanMaturity("L-today", date(2025, 3, 1), Decimal("0.01")),
        LoanMaturity("L-past", date(2025, 2, 28), Decimal(100)),
        LoanMaturity("L-repaid", date(2025, 3, 10), Decimal(0)),
        LoanMaturity("L-b", date(2025, 3, 10), Decimal(5)),
        LoanMaturity("L-a", date(2025, 3, 10), Decimal(5)),
    ]
    due = pre_maturity_check_tasks(loans, date(2025, 3, 1))
    assert [x.loan_id for x in due] == ["L-today", "L-a", "L-b", "L-edge"]
    assert [
        x.loan_id for x in pre_maturity_check_tasks(loans, date(2025, 3, 1), within_days=8)
    ] == ["L-today"]


def test_w14a_negative_window_is_an_input_error() -> None:
    with pytest.raises(RuleInputError):
        pre_maturity_check_tasks([], date(2025, 3, 1), within_days=-1)

"""Pure reporting-deadline rules (warnings.md W5-W8), overdue marking (W13), monthly progress
updates (W11, W14c) and the pre-maturity check sweep (W14a).

Times: every datetime must be aware. Deadlines come back aware in the bank's time zone (default
Asia/Shanghai, passed in), to the second. A deadline named by a day ends at 23:59:59 local time of
that day; one counted from an event runs exactly from its timestamp in absolute time (2 days = 48
hours, even across a daylight-saving change). Comparisons are to the second: a report at
23:59:59.999 meets a 23:59:59 deadline.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.warnings.vocabulary import MANAGEMENT_KINDS, RuleInputError, WarningKind

DEFAULT_BANK_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
TWO_DAYS = timedelta(days=2)
ONE_DAY = timedelta(hours=24)


@dataclass(frozen=True)
class DeadlinePolicy:
    """W5-W8 parameters (defaults from Art. 11-12), editable per company.

    Thresholds are inclusive: an amount equal to `head_office_threshold` needs head office.
    """

    head_office_threshold: Decimal = Decimal("1000000")
    large_threshold: Decimal = Decimal("5000000")
    small_days_before_maturity: int = 25
    days_before_maturity: int = 30
    pre_maturity_window: timedelta = TWO_DAYS
    pre_maturity_large_window: timedelta = ONE_DAY
    interest_arrears_window: timedelta = TWO_DAYS
    major_event_window: timedelta = ONE_DAY
    group_contagion_window: timedelta = TWO_DAYS
    financial_anomaly_window: timedelta = TWO_DAYS
    head_office_window: timedelta = TWO_DAYS
    head_office_large_window: timedelta = ONE_DAY
    beyond_authority_window: timedelta = ONE_DAY
    preconditions_unmet_window: timedelta = TWO_DAYS

    def __post_init__(self) -> None:
        if not self.head_office_threshold.is_finite() or self.head_office_threshold < 0:
            raise RuleInputError("head_office_threshold", "W7", "must be a finite amount >= 0")
        if (
            not self.large_threshold.is_finite()
            or self.large_threshold < self.head_office_threshold
        ):
            raise RuleInputError("large_threshold", "W7", "must be >= head_office_threshold")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and value < 0:
                raise RuleInputError(f.name, "W5", "must be >= 0 days")
            if isinstance(value, timedelta) and value <= timedelta(0):
                raise RuleInputError(f.name, "W5-W8", "must be a positive duration")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: amounts as decimal strings, days as integers, windows in seconds."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                out[f.name] = str(value)
            elif isinstance(value, timedelta):
                out[f"{f.name}_seconds"] = int(value.total_seconds())
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadlinePolicy:
        """Build from `to_dict` output; missing keys keep their default."""
        kinds = {f.name: type(getattr(cls(), f.name)) for f in fields(cls)}
        keys = {(f"{k}_seconds" if t is timedelta else k): k for k, t in kinds.items()}
        parsed: dict[str, Any] = {}
        for key, value in data.items():
            name = keys.get(key)
            if name is None:
                raise RuleInputError(key, "W5-W8", f"unknown field; expected one of {sorted(keys)}")
            parsed[name] = _parse(kinds[name], value, key)
        return cls(**parsed)


def _parse(kind: type, value: object, key: str) -> object:
    if isinstance(value, bool):
        raise RuleInputError(key, "W5-W8", f"{value!r} is not a number")
    if kind is Decimal and isinstance(value, str | int | float):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            pass
    elif isinstance(value, int):
        return timedelta(seconds=value) if kind is timedelta else value
    raise RuleInputError(key, "W5-W8", f"{value!r} is not a valid {kind.__name__}")


DEFAULT_DEADLINE_POLICY = DeadlinePolicy()


@dataclass(frozen=True)
class Deadlines:
    """W5-W8 outcome: branch deadline (None for management kinds) and the head-office step."""

    branch_deadline: datetime | None
    head_office_required: bool
    head_office_deadline: datetime | None


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """A deadline named by a day: 23:59:59 local time of that day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def after(moment: datetime, window: timedelta, tz: ZoneInfo) -> datetime:
    """A deadline counted from an event: exactly `window` later (absolute time), shown in `tz`."""
    return (moment.astimezone(UTC) + window).astimezone(tz)


def _to_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _instant(moment: datetime) -> datetime:
    # Compare in UTC: Python compares two datetimes sharing a tzinfo by wall clock.
    return _to_second(moment.astimezone(UTC))


def _aware(moment: datetime, name: str, rule: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleInputError(name, rule, "needs a time zone (naive datetime)")
    return moment


def _local(moment: datetime, name: str, rule: str, tz: ZoneInfo) -> datetime:
    return _to_second(_aware(moment, name, rule).astimezone(tz))


def compute_deadlines(
    kind: WarningKind,
    amount: Decimal,
    discovered_at: datetime,
    *,
    maturity_date: date | None = None,
    branch_reported_at: datetime | None = None,
    tz: ZoneInfo = DEFAULT_BANK_TZ,
    policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
) -> Deadlines:
    """W5-W8: report deadlines of a warning from its kind, amount (yuan) and discovery time.

    Business kinds: branch deadline per W5/W6; head office per W7 when the amount reaches the
    threshold, counted from `branch_reported_at`, else from the branch deadline. Management kinds
    (W8): no branch step, head office always, counted from discovery; `branch_reported_at` is
    ignored for them. For interest arrears W6 counts from the arrears, so pass their start.
    """
    rule = "W8" if kind in MANAGEMENT_KINDS else "W5" if kind is WarningKind.PRE_MATURITY else "W6"
    if not amount.is_finite() or amount < 0:
        raise RuleInputError("amount", rule, "must be a finite amount >= 0")
    start = _local(discovered_at, "discovered_at", rule, tz)
    if kind in MANAGEMENT_KINDS:
        window = (
            policy.preconditions_unmet_window
            if kind is WarningKind.PRECONDITIONS_UNMET
            else policy.beyond_authority_window
        )
        return Deadlines(None, True, after(start, window, tz))
    branch = branch_deadline(kind, amount, start, maturity_date=maturity_date, tz=tz, policy=policy)
    if amount < policy.head_office_threshold:
        return Deadlines(branch, False, None)
    base = branch
    if branch_reported_at is not None:
        base = _local(branch_reported_at, "branch_reported_at", "W7", tz)
        if _instant(base) < _instant(start):
            raise RuleInputError("branch_reported_at", "W7", "is before the discovery")
    return Deadlines(branch, True, head_office_deadline(amount, base, tz=tz, policy=policy))


def head_office_deadline(
    amount: Decimal, branch_reported_at: datetime, *, tz: ZoneInfo, policy: DeadlinePolicy
) -> datetime | None:
    """W7: branch -> head office within 2 days of the branch report (>= 5,000,000: 24 hours);
    None below the head-office threshold (no head-office report)."""
    if amount < policy.head_office_threshold:
        return None
    base = _local(branch_reported_at, "branch_reported_at", "W7", tz)
    large = amount >= policy.large_threshold
    window = policy.head_office_large_window if large else policy.head_office_window
    return after(base, window, tz)


def branch_deadline(
    kind: WarningKind,
    amount: Decimal,
    discovered_at: datetime,
    *,
    maturity_date: date | None = None,
    tz: ZoneInfo = DEFAULT_BANK_TZ,
    policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
) -> datetime:
    """W5/W6: the sub-branch -> branch deadline of a business warning."""
    start = _local(discovered_at, "discovered_at", "W6", tz)
    if kind is WarningKind.PRE_MATURITY:
        if maturity_date is None:
            raise RuleInputError("maturity_date", "W5", "a pre-maturity warning needs it")
        return _pre_maturity_deadline(amount, start, maturity_date, tz, policy)
    if kind is WarningKind.CLASSIFICATION:
        last = calendar.monthrange(start.year, start.month)[1]
        return end_of_day(start.date().replace(day=last), tz)
    windows = {
        WarningKind.INTEREST_ARREARS: policy.interest_arrears_window,
        WarningKind.MAJOR_EVENT: policy.major_event_window,
        WarningKind.GROUP_CONTAGION: policy.group_contagion_window,
        WarningKind.FINANCIAL_ANOMALY: policy.financial_anomaly_window,
    }
    if kind not in windows:
        raise RuleInputError("kind", "W6", f"{kind.value} has no branch step (W8)")
    return after(start, windows[kind], tz)


def _pre_maturity_deadline(
    amount: Decimal, start: datetime, maturity: date, tz: ZoneInfo, policy: DeadlinePolicy
) -> datetime:
    """W5: < 1M maturity-25 days; >= 1M the earlier of maturity-30 days and discovery+2 days
    (>= 5M +24 h); where that moment has passed at discovery, discovery+2 days (>= 5M +24 h).
    A deadline equal to the discovery second has not passed."""
    large = amount >= policy.large_threshold
    window = policy.pre_maturity_large_window if large else policy.pre_maturity_window
    fallback = after(start, window, tz)
    if amount < policy.head_office_threshold:
        deadline = end_of_day(maturity - timedelta(days=policy.small_days_before_maturity), tz)
    else:
        named = end_of_day(maturity - timedelta(days=policy.days_before_maturity), tz)
        deadline = min(named, fallback, key=_instant)
    return fallback if _instant(deadline) < _instant(start) else deadline


# -- monthly progress updates (W11, W14c) -------------------------------------------------------


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month in the bank's time zone."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo, *, name: str = "moment") -> YearMonth:
        """The local month of an aware moment (`name` labels a naive one in the error)."""
        local = _local(moment, name, "W11", tz)
        return cls(local.year, local.month)

    def next(self) -> YearMonth:
        """The following month."""
        return YearMonth(self.year + self.month // 12, self.month % 12 + 1)


# -- pre-maturity check sweep (W14a) ------------------------------------------------------------


@dataclass(frozen=True)
class LoanMaturity:
    """A loan as the W14a sweep sees it (balance in yuan)."""

    loan_id: str
    maturity_date: date
    balance: Decimal


def pre_maturity_check_tasks(
    loans: Iterable[LoanMaturity], today: date, *, within_days: int = 30
) -> tuple[LoanMaturity, ...]:
    """W14a: loans with a balance maturing from `today` to `today + within_days` inclusive,
    soonest first (then by loan id), for which the W1a repayment check is due."""
    if within_days < 0:
        raise RuleInputError("within_days", "W14", "must be >= 0")
    last = today + timedelta(days=within_days)
    due = [x for x in loans if today <= x.maturity_date <= last and x.balance > 0]
    return tuple(sorted(due, key=lambda x: (x.maturity_date, x.loan_id)))

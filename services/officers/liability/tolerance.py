"""NPL tolerance and pay after exit (spec officers.md O26-O29; seed piece 5, Art. 45-48).

Pure: no clock, no database. Money is `Decimal` yuan and stays exact through every step; only
the figures a caller reports are rounded, once, to the fen with ROUND_HALF_UP (`fen`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.officers.liability.policy import LiabilityPolicy

FEN = Decimal("0.01")
ZERO = Decimal(0)


def fen(value: Decimal) -> Decimal:
    """Round a money figure to the fen, ROUND_HALF_UP (the only rounding of these rules)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IncomeYear:
    """Interest income collected in one year, by borrower kind."""

    natural_person: Decimal
    enterprise: Decimal


@dataclass(frozen=True)
class Tolerance:
    """O26: the tolerance amount (exact) with what it was computed from."""

    window: tuple[int, ...]
    natural_person_income: Decimal
    enterprise_income: Decimal
    natural_person_rate: Decimal
    enterprise_rate: Decimal
    reduced: bool
    missing_years: tuple[int, ...]
    amount: Decimal


def tolerance(
    incomes: Mapping[int, IncomeYear],
    *,
    exit_year: int,
    reduced: bool,
    policy: LiabilityPolicy,
) -> Tolerance:
    """O26: natural-person rate x natural-person income + enterprise rate x enterprise income
    over the `tolerance_window_years` years before the exit year; `reduced` (sub-branch heads
    and class-1 officers) multiplies both rates by `tolerance_reduced_factor`. A window year
    without figures counts as zero income and is listed in `missing_years`."""
    window = tuple(range(exit_year - policy.tolerance_window_years, exit_year))
    factor = policy.tolerance_reduced_factor if reduced else Decimal(1)
    np_rate = policy.tolerance_rate_natural_person * factor
    ent_rate = policy.tolerance_rate_enterprise * factor
    np_income = sum((incomes[y].natural_person for y in window if y in incomes), ZERO)
    ent_income = sum((incomes[y].enterprise for y in window if y in incomes), ZERO)
    return Tolerance(
        window=window,
        natural_person_income=np_income,
        enterprise_income=ent_income,
        natural_person_rate=np_rate,
        enterprise_rate=ent_rate,
        reduced=reduced,
        missing_years=tuple(y for y in window if y not in incomes),
        amount=np_rate * np_income + ent_rate * ent_income,
    )


def over_ratio(npl_balance: Decimal, tolerance_amount: Decimal) -> Decimal | None:
    """O29: how far the NPL balance exceeds the tolerance, as a fraction of it (0 within
    tolerance; None when the tolerance is zero and the balance positive: beyond every band)."""
    if npl_balance <= tolerance_amount:
        return ZERO
    if tolerance_amount == 0:
        return None
    return (npl_balance - tolerance_amount) / tolerance_amount


def over_tolerance_share(ratio: Decimal | None, policy: LiabilityPolicy) -> Decimal:
    """O29: share of the teller average business-volume performance for an officer over
    tolerance (collection target met): <= 20 % over -> 80 %, <= 50 % -> 50 %, beyond -> 0."""
    if ratio is None:
        return policy.share_beyond
    if ratio <= policy.over_band_1:
        return policy.share_band_1
    if ratio <= policy.over_band_2:
        return policy.share_band_2
    return policy.share_beyond


def exit_year_performance(
    years_after_exit: int,
    *,
    officer_rules_pay: Decimal,
    teller_average: Decimal,
    interest_income_pay: Decimal,
    new_post_pay: Decimal,
) -> Decimal:
    """O27: year of exit (0): officer-rules pay, not below the teller average; next year (1):
    the higher of interest-income pay and the new post's; later: the new post's."""
    if years_after_exit < 0:
        raise ValueError("years_after_exit must be >= 0")
    if years_after_exit == 0:
        return max(officer_rules_pay, teller_average)
    if years_after_exit == 1:
        return max(interest_income_pay, new_post_pay)
    return new_post_pay


@dataclass(frozen=True)
class WithinTolerancePay:
    """O28: pay of an officer whose NPLs are within tolerance after leaving the post."""

    salary_coefficient: Decimal
    performance_pay: Decimal


def within_tolerance_pay(
    exit_grade_coefficient: Decimal, teller_volume_performance: Decimal
) -> WithinTolerancePay:
    """O28: the grade coefficient at exit; the teller average business-volume performance."""
    return WithinTolerancePay(exit_grade_coefficient, teller_volume_performance)


@dataclass(frozen=True)
class Quarter:
    """One quarter of an over-tolerance officer: collection target and result, and the teller
    figures the pay is measured against."""

    target: Decimal
    collected: Decimal
    teller_advance: Decimal
    teller_volume_performance: Decimal


@dataclass(frozen=True)
class QuarterPay:
    """O29 outcome of one quarter (amounts exact; round with `fen` to report)."""

    index: int
    target_met: bool
    advance: Decimal
    performance: Decimal
    reasons: tuple[str, ...]


def over_tolerance_pay(
    quarters: Sequence[Quarter],
    *,
    ratio: Decimal | None,
    policy: LiabilityPolicy,
    previous_quarter_met: bool = True,
) -> list[QuarterPay]:
    """O29, quarter by quarter: advances at the teller level are paid in a quarter only when
    the previous quarter's target was met (a missed quarter stops the next one's; never paid
    back later); with collection >= `collection_min_ratio` of the target the quarter earns the
    O29 band share of the teller average business-volume performance."""
    share = over_tolerance_share(ratio, policy)
    out: list[QuarterPay] = []
    met_before = previous_quarter_met
    for index, q in enumerate(quarters, start=1):
        met = q.collected >= q.target
        reasons: list[str] = []
        if met_before:
            advance = q.teller_advance
            reasons.append("advances paid: previous quarter's target met")
        else:
            advance = ZERO
            reasons.append("no advances: previous quarter's target missed (no back pay)")
        reached = q.target == 0 or q.collected >= q.target * policy.collection_min_ratio
        if reached:
            performance = q.teller_volume_performance * share
            reasons.append(f"collection >= {policy.collection_min_ratio} of target: share {share}")
        else:
            performance = ZERO
            reasons.append(f"collection below {policy.collection_min_ratio} of target: no share")
        out.append(QuarterPay(index, met, advance, performance, tuple(reasons)))
        met_before = met
    return out

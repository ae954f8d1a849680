"""Loan-liability policy (spec officers.md O22-O35; seed piece 5, Art. 39-53).

Every figure the spec calls "default" for NPL counting, elimination, exit, tolerance, pay after
exit and the retirement buy-out is a parameter here, stored per company and year through
`services.officers.kernel.policies` (kind `liability`). Ratios and rates are fractions (0.05 = 5 %).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.officers.kernel.rules import (
    RuleError,
    param,
    params_from_dict,
    params_to_dict,
    validate_params,
)

D = Decimal
RateTable = tuple[tuple[int, Decimal], ...]

# O32: the vintage buy-out ratio by the NPL's age in years (the spec gives no figures; the head
# office sets them): an age takes the rate of the largest age in the table not above it.
DEFAULT_VINTAGE_RATES: RateTable = (
    (11, D("0.30")),
    (12, D("0.35")),
    (13, D("0.40")),
    (14, D("0.45")),
    (15, D("0.50")),
)


@dataclass(frozen=True)
class LiabilityPolicy:
    """O21-O35 parameters with the spec defaults (fractions, yuan, days, years)."""

    limitation_years: int = param(3, rule="O21", minimum=1, maximum=30)
    limitation_watch_days: int = param(90, rule="O21", minimum=0, maximum=3650)
    npl_overdue_days: int = param(365, rule="O22", minimum=1)
    disposal_grace_days: int = param(365, rule="O22", minimum=0)
    bottom_count: int = param(10, rule="O23", minimum=1)
    yellow_card_balance: Decimal = param(D("1000000"), rule="O23", minimum=0)
    joint_guarantee_min_amount: Decimal = param(D("10000"), rule="O20", minimum=0)
    exit_min_score: Decimal = param(D("60"), rule="O24", minimum=0)
    exit_failed_exams_in_row: int = param(2, rule="O24", minimum=1)
    exit_age_men: int = param(55, rule="O24", minimum=18, maximum=80)
    exit_age_women: int = param(45, rule="O24", minimum=18, maximum=80)
    transition_years: int = param(2, rule="O25", minimum=1, maximum=10)
    transition_shrink_factor: Decimal = param(D("0.5"), rule="O25", minimum=0, maximum=1)
    no_post_collection_years: int = param(1, rule="O25", minimum=0)
    tolerance_window_years: int = param(3, rule="O26", minimum=1, maximum=10)
    tolerance_rate_natural_person: Decimal = param(D("0.10"), rule="O26", minimum=0, maximum=1)
    tolerance_rate_enterprise: Decimal = param(D("0.05"), rule="O26", minimum=0, maximum=1)
    tolerance_reduced_factor: Decimal = param(D("0.6"), rule="O26", minimum=0, maximum=1)
    collection_min_ratio: Decimal = param(D("0.80"), rule="O29", minimum=0, maximum=1)
    over_band_1: Decimal = param(D("0.20"), rule="O29", minimum=0)
    over_band_2: Decimal = param(D("0.50"), rule="O29", minimum=0)
    share_band_1: Decimal = param(D("0.80"), rule="O29", minimum=0, maximum=1)
    share_band_2: Decimal = param(D("0.50"), rule="O29", minimum=0, maximum=1)
    share_beyond: Decimal = param(D("0"), rule="O29", minimum=0, maximum=1)
    buyout_early_until_year: int = param(2005, rule="O33", minimum=1900, maximum=2100)
    buyout_early_rate: Decimal = param(D("0.05"), rule="O33", minimum=0, maximum=1)
    buyout_middle_until_year: int = param(2010, rule="O33", minimum=1900, maximum=2100)
    buyout_middle_rate: Decimal = param(D("0.10"), rule="O33", minimum=0, maximum=1)
    buyout_within_tolerance_rate: Decimal = param(D("0.05"), rule="O33", minimum=0, maximum=1)
    buyout_above_tolerance_rate: Decimal = param(D("0.30"), rule="O33", minimum=0, maximum=1)
    tolerance_counts_all_vintages: bool = param(False, rule="O33")
    vintage_offset_years: int = param(11, rule="O32", minimum=0, maximum=50)
    vintage_first_year: int = param(1999, rule="O32", minimum=1900, maximum=2100)
    vintage_full_buyout_rate: Decimal = param(D("1"), rule="O32", minimum=0, maximum=1)
    relative_compensation_rate: Decimal = param(D("1"), rule="O32", minimum=0, maximum=1)
    introducer_full_from_year: int = param(2008, rule="O32", minimum=1900, maximum=2100)
    introducer_full_rate: Decimal = param(D("1"), rule="O32", minimum=0, maximum=1)
    # Not a `param`: a table, normalised and checked in __post_init__ (JSON: {"11": "0.30"}).
    vintage_rates: RateTable = dataclasses.field(default=DEFAULT_VINTAGE_RATES)

    def __post_init__(self) -> None:
        validate_params(self)
        object.__setattr__(self, "vintage_rates", _rate_table(self.vintage_rates))
        if self.vintage_rates[0][0] > self.vintage_offset_years:
            raise RuleError(
                "O32",
                "vintage_rates must give a rate for the age vintage_offset_years "
                f"({self.vintage_offset_years})",
                field="/vintage_rates",
            )
        if not self.over_band_1 <= self.over_band_2:
            raise RuleError("O29", "over_band_1 must not exceed over_band_2", field="/over_band_1")
        if not self.buyout_early_until_year < self.buyout_middle_until_year:
            raise RuleError(
                "O33",
                "buyout_early_until_year must be before buyout_middle_until_year",
                field="/buyout_early_until_year",
            )

    @classmethod
    def default(cls) -> LiabilityPolicy:
        """The spec defaults (O22-O35)."""
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; Decimals as strings, the O32 table as {"age": "rate"}."""
        out = params_to_dict(self)
        out["vintage_rates"] = {str(age): str(rate) for age, rate in self.vintage_rates}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LiabilityPolicy:
        """Validated policy from a (partial) dict; missing keys take the defaults."""
        return params_from_dict(cls, data, rule="O22-O35")


def _rate_table(value: object) -> RateTable:
    """O32: the table as sorted (age, rate) pairs from a JSON object or pairs; rates are
    fractions in [0, 1] that never fall as the age rises."""
    pointer = "/vintage_rates"
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, tuple | list):
        items = [tuple(x) if isinstance(x, tuple | list) else (x, None) for x in value]
    else:
        raise RuleError("O32", "vintage_rates must be an object {age: rate}", field=pointer)
    pairs: dict[int, Decimal] = {}
    for item in items:
        if len(item) != 2:
            raise RuleError("O32", "vintage_rates entries are (age, rate) pairs", field=pointer)
        age, rate = _table_age(item[0]), item[1]
        where = f"{pointer}/{age}"
        try:
            parsed = rate if isinstance(rate, Decimal) else D(str(rate).strip())
        except (ArithmeticError, ValueError):
            parsed = D("NaN")
        if isinstance(rate, bool) or rate is None or not parsed.is_finite():
            raise RuleError("O32", f"rate for age {age} is not a number: {rate!r}", field=where)
        if not D(0) <= parsed <= D(1):
            raise RuleError("O32", f"rate for age {age} must be in [0, 1]", field=where)
        pairs[age] = parsed
    if not pairs:
        raise RuleError("O32", "vintage_rates needs at least one age", field=pointer)
    table = tuple(sorted(pairs.items()))
    for (_, low), (age, high) in zip(table, table[1:], strict=False):
        if high < low:
            raise RuleError(
                "O32", f"the rate must rise with age: age {age} is below", field=f"{pointer}/{age}"
            )
    return table


def _table_age(raw: object) -> int:
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdecimal() or len(text) > 3 or int(text) > 100:
        raise RuleError(
            "O32", f"vintage_rates age must be 0-100, got {raw!r}", field="/vintage_rates"
        )
    return int(text)

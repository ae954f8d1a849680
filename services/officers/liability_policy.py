"""Loan-liability policy (spec officers.md O22-O35; seed piece 5, Art. 39-53).

Every figure the spec calls "default" for NPL counting, elimination, exit, tolerance, pay after
exit and the retirement buy-out is a parameter here, stored per company and year through
`services.officers.policies` (kind `liability`). Ratios and rates are fractions (0.05 = 5 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.officers.rules_common import (
    RuleError,
    param,
    params_from_dict,
    params_to_dict,
    validate_params,
)

D = Decimal


@dataclass(frozen=True)
class LiabilityPolicy:
    """O22-O35 parameters with the spec defaults (fractions, yuan, days, years)."""

    npl_overdue_days: int = param(365, rule="O22", minimum=1)
    disposal_grace_days: int = param(365, rule="O22", minimum=0)
    bottom_count: int = param(10, rule="O23", minimum=1)
    yellow_card_balance: Decimal = param(D("1000000"), rule="O23", minimum=0)
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

    def __post_init__(self) -> None:
        validate_params(self)
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
        """JSON-ready dict; Decimals as strings."""
        return params_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LiabilityPolicy:
        """Validated policy from a (partial) dict; missing keys take the defaults."""
        return params_from_dict(cls, data, rule="O22-O35")

"""The loan and officer vocabulary every officers subdomain shares (spec officers.md O17-O25):
the five loan classes, the collateral kinds, a loan's state on a counting date, gender."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class LoanClass(StrEnum):
    """The five-category classification; the last three are non-performing."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


NPL_CLASSES = frozenset({LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS})


class Collateral(StrEnum):
    UNSECURED = "unsecured"
    GUARANTEED = "guaranteed"
    MORTGAGE = "mortgage"
    PLEDGE = "pledge"


SECURED_BY_ASSET = frozenset({Collateral.MORTGAGE, Collateral.PLEDGE})


@dataclass(frozen=True)
class LoanState:
    """What O22 needs of a loan on the counting date."""

    loan_id: str
    balance: Decimal
    loan_class: LoanClass
    overdue_days: int
    collateral: Collateral
    in_disposal: bool = False


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"

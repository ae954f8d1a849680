"""Warning vocabulary (warnings.md W1-W3): levels, categories, kinds and the signals the rules
read, plus the input error every warning rule raises.

Shared by `policy.py`, `rules.py` and `deadlines.py`; it imports none of them.
"""

from __future__ import annotations

from enum import Enum

# -- errors -------------------------------------------------------------------------------------


class RuleInputError(ValueError):
    """An input breaks a spec rule; `field` names the input and `rule` the rule (e.g. "W5")."""

    def __init__(self, field: str, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {field}: {detail}")
        self.field = field
        self.rule = rule
        self.detail = detail


# -- vocabulary (W1-W3) -------------------------------------------------------------------------


class WarningLevel(Enum):
    """W3 levels, ordered by severity: yellow < orange < red."""

    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        """1 for yellow, 2 for orange, 3 for red."""
        return _LEVEL_RANK[self]

    def __lt__(self, other: object) -> bool:
        return self.rank < other.rank if isinstance(other, WarningLevel) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.rank <= other.rank if isinstance(other, WarningLevel) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.rank > other.rank if isinstance(other, WarningLevel) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.rank >= other.rank if isinstance(other, WarningLevel) else NotImplemented


_LEVEL_RANK = {WarningLevel.YELLOW: 1, WarningLevel.ORANGE: 2, WarningLevel.RED: 3}


class WarningCategory(Enum):
    """W1 business-risk or W2 management-risk warning."""

    BUSINESS = "business"
    MANAGEMENT = "management"


class WarningKind(Enum):
    """What raised the warning: W1a-f business kinds, W2 management kinds."""

    PRE_MATURITY = "pre_maturity"
    CLASSIFICATION = "classification"
    INTEREST_ARREARS = "interest_arrears"
    MAJOR_EVENT = "major_event"
    GROUP_CONTAGION = "group_contagion"
    FINANCIAL_ANOMALY = "financial_anomaly"
    BEYOND_AUTHORITY = "beyond_authority"
    DISGUISED_BEYOND_AUTHORITY = "disguised_beyond_authority"
    RULE_BREAKING = "rule_breaking"
    PRECONDITIONS_UNMET = "preconditions_unmet"

    @property
    def category(self) -> WarningCategory:
        """W2 management for lending violations, W1 business for everything else."""
        if self in MANAGEMENT_KINDS:
            return WarningCategory.MANAGEMENT
        return WarningCategory.BUSINESS


MANAGEMENT_KINDS = frozenset(
    {
        WarningKind.BEYOND_AUTHORITY,
        WarningKind.DISGUISED_BEYOND_AUTHORITY,
        WarningKind.RULE_BREAKING,
        WarningKind.PRECONDITIONS_UNMET,
    }
)


class LoanClass(Enum):
    """Five-category loan classification (same values as `shared.events.FiveClass`)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


class PreMaturityOutcome(Enum):
    """The officer's 30-day pre-maturity check (W1a)."""

    EXPECTED_REPAID = "expected_repaid"
    CANNOT_CONFIRM = "cannot_confirm"
    EXPECTED_UNPAID = "expected_unpaid"


class MajorEventKind(Enum):
    """W1d major events (Art. 11 (1) 4, items 1-7)."""

    POLICY_CHANGE = "policy_change"
    STRUCTURE_CHANGE = "structure_change"
    GUARANTEE_OVER_CEILING = "guarantee_over_ceiling"
    ABILITY_TO_PAY = "ability_to_pay"
    MAJOR_LAWSUIT = "major_lawsuit"
    CROSS_DEFAULT = "cross_default"
    OTHER = "other"


class Direction(Enum):
    """Which move of a financial indicator is adverse (W1f)."""

    DECREASE = "decrease"
    INCREASE = "increase"
    EITHER = "either"

"""Pure warning rules: kinds and levels (warnings.md W1-W4), escalation (W4), group contagion
(W1e) and the warning lifecycle (W10).

Plain functions over frozen dataclasses and enums. Policy parameters come in as arguments; nothing
here reads settings, the clock, the database or Kafka. Reporting deadlines, overdue marking,
monthly updates and the pre-maturity sweep (W5-W8, W11, W13, W14) are in `deadlines.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

# -- errors -------------------------------------------------------------------------------------


class RuleInputError(ValueError):
    """An input breaks a spec rule; `field` names the input and `rule` the rule (e.g. "W5")."""

    def __init__(self, field: str, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {field}: {detail}")
        self.field = field
        self.rule = rule
        self.detail = detail


class TransitionError(Exception):
    """A lifecycle action that the warning's state does not allow (W10)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
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
_LEVELS_TEXT = "yellow, orange, red"


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


# -- level policy (W4) --------------------------------------------------------------------------

_Y, _O, _R = WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED


@dataclass(frozen=True)
class DayBand:
    """W4: from `from_days` days of interest arrears (inclusive) the level is `level`."""

    from_days: int
    level: WarningLevel


@dataclass(frozen=True)
class ChangeBand:
    """W4: from an adverse relative move of `from_change` (0.30 = 30 %, inclusive), `level`."""

    from_change: Decimal
    level: WarningLevel


@dataclass(frozen=True)
class IndicatorRule:
    """W1f/W4: the adverse direction of one indicator and its relative-change bands."""

    direction: Direction
    bands: tuple[ChangeBand, ...]


def _bands(yellow: str, orange: str, red: str) -> tuple[ChangeBand, ...]:
    return (
        ChangeBand(Decimal(yellow), _Y),
        ChangeBand(Decimal(orange), _O),
        ChangeBand(Decimal(red), _R),
    )


DEFAULT_INDICATORS: tuple[tuple[str, IndicatorRule], ...] = (
    ("revenue", IndicatorRule(Direction.DECREASE, _bands("0.20", "0.30", "0.50"))),
    ("net_profit", IndicatorRule(Direction.DECREASE, _bands("0.30", "0.50", "1.00"))),
    ("operating_cash_flow", IndicatorRule(Direction.DECREASE, _bands("0.30", "0.50", "1.00"))),
    ("debt_to_asset_ratio", IndicatorRule(Direction.INCREASE, _bands("0.10", "0.20", "0.30"))),
    ("current_ratio", IndicatorRule(Direction.DECREASE, _bands("0.15", "0.30", "0.50"))),
    ("quick_ratio", IndicatorRule(Direction.DECREASE, _bands("0.15", "0.30", "0.50"))),
    ("accounts_receivable", IndicatorRule(Direction.INCREASE, _bands("0.30", "0.50", "1.00"))),
    ("inventory", IndicatorRule(Direction.INCREASE, _bands("0.30", "0.50", "1.00"))),
)
"""Default W1f bands of the adverse relative move against the previous value.

Flows (revenue, profit, operating cash flow) warn on falls of 20/30/50 % (revenue) or 30/50/100 %
(profit and cash flow, 100 % = wiped out or worse); the debt-to-asset ratio on relative rises of
10/20/30 % (0.60 -> 0.66 yellow, -> 0.78 red); liquidity ratios on falls of 15/30/50 %;
receivables and inventory on rises of 30/50/100 % (build-ups that hide unsold goods or unpaid
sales). Any other indicator uses the fallback: a move of 30/50/100 % either way.
"""


@dataclass(frozen=True)
class PreMaturityLevels:
    """W4 levels for the 30-day pre-maturity check outcomes (W1a)."""

    cannot_confirm: WarningLevel = _Y
    expected_unpaid: WarningLevel = _O
    expected_unpaid_overdue_elsewhere: WarningLevel = _R


@dataclass(frozen=True)
class ClassificationLevels:
    """W4 levels for a predicted move to the bottom three classes, and watched special mention."""

    substandard: WarningLevel = _O
    doubtful: WarningLevel = _R
    loss: WarningLevel = _R
    special_mention_tiers: tuple[tuple[int, WarningLevel], ...] = ((3, _Y),)


@dataclass(frozen=True)
class FinancialAnomalyLevels:
    """W4 bands per indicator (lower-case names) and the fallback for unlisted indicators."""

    indicators: tuple[tuple[str, IndicatorRule], ...] = DEFAULT_INDICATORS
    fallback: IndicatorRule = IndicatorRule(Direction.EITHER, _bands("0.30", "0.50", "1.00"))

    def rule_for(self, indicator: str) -> IndicatorRule:
        """The rule of `indicator` (case-insensitive), else the fallback."""
        key = indicator.strip().lower()
        return next((rule for name, rule in self.indicators if name == key), self.fallback)


@dataclass(frozen=True)
class ManagementLevels:
    """W4 levels of the W2 management kinds: orange, red when beyond authority."""

    beyond_authority: WarningLevel = _R
    disguised_beyond_authority: WarningLevel = _R
    rule_breaking: WarningLevel = _O
    preconditions_unmet: WarningLevel = _O


@dataclass(frozen=True)
class LevelPolicy:
    """Every W4 default level rule, editable per company (stored as JSON, see `to_dict`).

    Major events are not here: the seed fixes them at red. Group contagion copies its source.
    """

    interest_arrears: tuple[DayBand, ...] = (DayBand(1, _Y), DayBand(31, _O), DayBand(91, _R))
    pre_maturity: PreMaturityLevels = PreMaturityLevels()
    classification: ClassificationLevels = ClassificationLevels()
    financial_anomaly: FinancialAnomalyLevels = FinancialAnomalyLevels()
    management: ManagementLevels = ManagementLevels()

    def __post_init__(self) -> None:
        _validate_policy(self)

    @classmethod
    def default(cls) -> LevelPolicy:
        """The W4 defaults."""
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (levels by name, changes as decimal strings); `from_dict` reverses it."""
        return {
            "interest_arrears": [
                {"from_days": b.from_days, "level": b.level.value} for b in self.interest_arrears
            ],
            "pre_maturity": _levels_to_dict(self.pre_maturity),
            "classification": {
                **_levels_to_dict(self.classification),
                "special_mention_tiers": {
                    str(tier): level.value
                    for tier, level in self.classification.special_mention_tiers
                },
            },
            "financial_anomaly": {
                "indicators": {
                    name: _rule_to_dict(rule) for name, rule in self.financial_anomaly.indicators
                },
                "fallback": _rule_to_dict(self.financial_anomaly.fallback),
            },
            "management": _levels_to_dict(self.management),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelPolicy:
        """Build from `to_dict` output; missing keys keep their default, a given list or map
        replaces the default whole. Raises `PolicyError` naming the field (e.g.
        `interest_arrears[1].from_days`)."""
        top = _obj(data, "", [f.name for f in fields(cls)])
        parsed: dict[str, Any] = {}
        if "interest_arrears" in top:
            parsed["interest_arrears"] = tuple(
                _day_band(item, f"interest_arrears[{i}]")
                for i, item in enumerate(_list(top["interest_arrears"], "interest_arrears"))
            )
        if "pre_maturity" in top:
            parsed["pre_maturity"] = _levels_from(
                PreMaturityLevels, top["pre_maturity"], "pre_maturity"
            )
        if "classification" in top:
            parsed["classification"] = _classification_from(top["classification"])
        if "financial_anomaly" in top:
            parsed["financial_anomaly"] = _anomaly_from(top["financial_anomaly"])
        if "management" in top:
            parsed["management"] = _levels_from(ManagementLevels, top["management"], "management")
        return cls(**parsed)


class PolicyError(RuleInputError):
    """A level policy that breaks W4 (or the W1 scope it must keep); `field` is its path."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(field, "W4", detail)


# -- policy (de)serialisation and validation ----------------------------------------------------

_T = TypeVar("_T")


def _levels_to_dict(section: Any) -> dict[str, str]:
    values = {f.name: getattr(section, f.name) for f in fields(section)}
    return {name: v.value for name, v in values.items() if isinstance(v, WarningLevel)}


def _rule_to_dict(rule: IndicatorRule) -> dict[str, Any]:
    return {
        "direction": rule.direction.value,
        "bands": [{"from_change": str(b.from_change), "level": b.level.value} for b in rule.bands],
    }


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _obj(value: object, path: str, keys: Collection[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(path or "(policy)", "must be an object")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise PolicyError(_join(path, unknown[0]), f"unknown field; expected one of {sorted(keys)}")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise PolicyError(path, "must be a list")
    return list(value)


def _level(value: object, path: str) -> WarningLevel:
    try:
        return WarningLevel(value)
    except (ValueError, TypeError):
        raise PolicyError(path, f"{value!r} is not one of {_LEVELS_TEXT}") from None


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(path, f"{value!r} is not an integer")
    return value


def _decimal(value: object, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PolicyError(path, f"{value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(path, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise PolicyError(path, "must be finite")
    return number


def _levels_from(cls: type[_T], value: object, path: str) -> _T:
    obj = _obj(value, path, [f.name for f in fields(cls)])  # type: ignore[arg-type]
    return cls(**{k: _level(v, f"{path}.{k}") for k, v in obj.items()})


def _day_band(value: object, path: str) -> DayBand:
    obj = _obj(value, path, ["from_days", "level"])
    for key in ("from_days", "level"):
        if key not in obj:
            raise PolicyError(_join(path, key), "is required")
    return DayBand(
        _int(obj["from_days"], f"{path}.from_days"), _level(obj["level"], f"{path}.level")
    )


def _classification_from(value: object) -> ClassificationLevels:
    path = "classification"
    obj = _obj(value, path, [f.name for f in fields(ClassificationLevels)])
    parsed: dict[str, Any] = {
        k: _level(v, f"{path}.{k}") for k, v in obj.items() if k != "special_mention_tiers"
    }
    if "special_mention_tiers" in obj:
        tiers_path = f"{path}.special_mention_tiers"
        tiers = obj["special_mention_tiers"]
        if not isinstance(tiers, Mapping):
            raise PolicyError(tiers_path, "must be an object of tier -> level")
        pairs = []
        for tier, level in tiers.items():
            where = f"{tiers_path}.{tier}"
            if not str(tier).isdigit():
                raise PolicyError(where, "tier must be 1, 2 or 3")
            pairs.append((int(tier), _level(level, where)))
        parsed["special_mention_tiers"] = tuple(sorted(pairs, key=lambda p: p[0]))
    return ClassificationLevels(**parsed)


def _rule_from(value: object, path: str) -> IndicatorRule:
    obj = _obj(value, path, ["direction", "bands"])
    try:
        direction = Direction(obj.get("direction"))
    except (ValueError, TypeError):
        raise PolicyError(f"{path}.direction", "must be decrease, increase or either") from None
    bands = []
    for i, item in enumerate(_list(obj.get("bands"), f"{path}.bands")):
        where = f"{path}.bands[{i}]"
        band = _obj(item, where, ["from_change", "level"])
        bands.append(
            ChangeBand(
                _decimal(band.get("from_change"), f"{where}.from_change"),
                _level(band.get("level"), f"{where}.level"),
            )
        )
    return IndicatorRule(direction, tuple(bands))


def _anomaly_from(value: object) -> FinancialAnomalyLevels:
    path = "financial_anomaly"
    obj = _obj(value, path, ["indicators", "fallback"])
    parsed: dict[str, Any] = {}
    if "indicators" in obj:
        indicators = obj["indicators"]
        if not isinstance(indicators, Mapping):
            raise PolicyError(f"{path}.indicators", "must be an object of indicator -> rule")
        parsed["indicators"] = tuple(
            (str(name), _rule_from(rule, f"{path}.indicators.{name}"))
            for name, rule in indicators.items()
        )
    if "fallback" in obj:
        parsed["fallback"] = _rule_from(obj["fallback"], f"{path}.fallback")
    return FinancialAnomalyLevels(**parsed)


def _check_ascending(
    thresholds: list[Any], levels: list[WarningLevel], path: str, key: str
) -> None:
    if not thresholds:
        raise PolicyError(path, "needs at least one band")
    for i in range(1, len(thresholds)):
        if thresholds[i] <= thresholds[i - 1]:
            raise PolicyError(f"{path}[{i}].{key}", "must be greater than the band before")
        if levels[i] < levels[i - 1]:
            raise PolicyError(f"{path}[{i}].level", "must not be lower than the band before")


def _validate_policy(policy: LevelPolicy) -> None:
    arrears = policy.interest_arrears
    days = [b.from_days for b in arrears]
    _check_ascending(days, [b.level for b in arrears], "interest_arrears", "from_days")
    if days[0] != 1:
        raise PolicyError("interest_arrears[0].from_days", "must be 1: any unpaid interest warns")
    tiers = [t for t, _ in policy.classification.special_mention_tiers]
    for tier in tiers:
        if tier not in (1, 2, 3) or tiers.count(tier) > 1:
            raise PolicyError(f"classification.special_mention_tiers.{tier}", "tier 1-3, once")
    names = [n for n, _ in policy.financial_anomaly.indicators]
    rules = [
        (f"financial_anomaly.indicators.{n}", r) for n, r in policy.financial_anomaly.indicators
    ]
    for name in names:
        if not name or name != name.strip().lower() or names.count(name) > 1:
            raise PolicyError(
                f"financial_anomaly.indicators.{name}", "lower-case, unique, non-empty"
            )
    for path, rule in [*rules, ("financial_anomaly.fallback", policy.financial_anomaly.fallback)]:
        changes = [b.from_change for b in rule.bands]
        _check_ascending(changes, [b.level for b in rule.bands], f"{path}.bands", "from_change")
        if changes[0] <= 0:
            raise PolicyError(f"{path}.bands[0].from_change", "must be greater than 0")


# -- signal -> level (W1, W4) -------------------------------------------------------------------


def level_for_interest_arrears(days: int, policy: LevelPolicy) -> WarningLevel | None:
    """W1c/W4 (kind interest_arrears): level for `days` of unpaid interest; None at 0 days."""
    if days < 0:
        raise RuleInputError("days", "W1c", "days of interest arrears cannot be negative")
    level = None
    for band in policy.interest_arrears:
        if days >= band.from_days:
            level = band.level
    return level


def level_for_pre_maturity(
    outcome: PreMaturityOutcome, overdue_elsewhere: bool, policy: LevelPolicy
) -> WarningLevel | None:
    """W1a/W4 (kind pre_maturity): level from the 30-day check; None when repayment is expected.

    `overdue_elsewhere` raises only "expected unpaid" (to red); with "cannot confirm" it does not
    change the level, because an overdue at another bank is itself a W1d cross-default (red).
    """
    levels = policy.pre_maturity
    if outcome is PreMaturityOutcome.EXPECTED_REPAID:
        return None
    if outcome is PreMaturityOutcome.CANNOT_CONFIRM:
        return levels.cannot_confirm
    return levels.expected_unpaid_overdue_elsewhere if overdue_elsewhere else levels.expected_unpaid


def level_for_classification(
    target_class: LoanClass, tier: int | None, policy: LevelPolicy
) -> WarningLevel | None:
    """W1b/W4 (kind classification): level for a (predicted) class and tier 1-3.

    None for normal and for special mention outside the watched tiers (default: tier 3 only).
    """
    if tier is not None and tier not in (1, 2, 3):
        raise RuleInputError("tier", "W1b", f"tier must be 1, 2 or 3, not {tier}")
    levels = policy.classification
    if target_class is LoanClass.SUBSTANDARD:
        return levels.substandard
    if target_class is LoanClass.DOUBTFUL:
        return levels.doubtful
    if target_class is LoanClass.LOSS:
        return levels.loss
    if target_class is LoanClass.SPECIAL_MENTION and tier is not None:
        return dict(levels.special_mention_tiers).get(tier)
    return None


def level_for_major_event(event: MajorEventKind) -> WarningLevel:  # noqa: ARG001
    """W1d/W4 (kind major_event): always red, whatever the event (fixed by Art. 11 (1) 4)."""
    return WarningLevel.RED


def level_for_group_contagion(source_level: WarningLevel) -> WarningLevel:
    """W1e/W4 (kind group_contagion): the related borrower's warning copies the source level."""
    return source_level


def adverse_change(direction: Direction, old: Decimal, new: Decimal) -> Decimal | None:
    """W1f: the adverse relative move of an indicator, (new - old) / |old| signed so that bad is
    positive; None when the move is not adverse. From an old value of 0 any adverse move is
    unbounded and returned as Decimal('Infinity')."""
    for name, value in (("old", old), ("new", new)):
        if not value.is_finite():
            raise RuleInputError(name, "W1f", "indicator values must be finite numbers")
    delta = new - old
    adverse = {Direction.DECREASE: -delta, Direction.INCREASE: delta}.get(direction, abs(delta))
    if adverse <= 0:
        return None
    return Decimal("Infinity") if old == 0 else adverse / abs(old)


def level_for_financial_anomaly(
    indicator: str, old: Decimal, new: Decimal, policy: LevelPolicy
) -> WarningLevel | None:
    """W1f/W4 (kind financial_anomaly): level of the highest band the adverse move reaches."""
    rule = policy.financial_anomaly.rule_for(indicator)
    change = adverse_change(rule.direction, old, new)
    if change is None:
        return None
    level = None
    for band in rule.bands:
        if change >= band.from_change:
            level = band.level
    return level


def level_for_management(kind: WarningKind, policy: LevelPolicy) -> WarningLevel:
    """W2/W4: level of a management warning (default orange, red when beyond authority)."""
    if kind not in MANAGEMENT_KINDS:
        raise RuleInputError("kind", "W2", f"{kind.value} is not a management warning kind")
    level: WarningLevel = getattr(policy.management, kind.value)
    return level


# -- escalation (W4) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """Outcome of a new signal on an open warning: the level it keeps and whether it rose."""

    level: WarningLevel
    escalated: bool


def decide_escalation(current: WarningLevel, incoming: WarningLevel) -> Escalation:
    """W4: an open warning rises to a higher incoming level; a lower or equal one is recorded by
    the caller but leaves the level unchanged. Closed warnings are not escalated (raise anew)."""
    if incoming > current:
        return Escalation(incoming, True)
    return Escalation(current, False)


# -- group contagion (W1e) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContagionTarget:
    """A related borrower that gets a group_contagion warning (W1e), and the group linking it."""

    borrower_id: str
    level: WarningLevel
    via_group: str


def group_contagion_targets(
    source_borrower_id: str,
    source_level: WarningLevel,
    *,
    source_kind: WarningKind,
    groups: Mapping[str, Collection[str]],
    borrowers_with_loans: Collection[str],
) -> tuple[ContagionTarget, ...]:
    """W1e: every other member of the source's groups that has loans here, at the source level.

    `groups` maps group id -> member borrower ids. One target per borrower (the first group id in
    sort order is kept), sorted by borrower id. Contagion does not chain: a group_contagion source
    spreads nothing (related members were already reached from the original source), and neither
    does a management warning (it concerns the bank's lending, not the enterprise).
    """
    if source_kind is WarningKind.GROUP_CONTAGION or source_kind in MANAGEMENT_KINDS:
        return ()
    with_loans = set(borrowers_with_loans)
    targets: dict[str, str] = {}
    for group_id in sorted(groups):
        members = set(groups[group_id])
        if source_borrower_id not in members:
            continue
        for member in members - {source_borrower_id}:
            if member in with_loans:
                targets.setdefault(member, group_id)
    return tuple(ContagionTarget(b, source_level, targets[b]) for b in sorted(targets))


# -- lifecycle (W10) ----------------------------------------------------------------------------


class WarningState(Enum):
    """W10 states; resolved and written_off are final."""

    RAISED = "raised"
    REPORTED_TO_BRANCH = "reported_to_branch"
    REPORTED_TO_HEAD_OFFICE = "reported_to_head_office"
    UNDER_MITIGATION = "under_mitigation"
    RESOLVED = "resolved"
    WRITTEN_OFF = "written_off"


class WarningAction(Enum):
    """W10 transitions (each recorded with who, when and the report content by the caller)."""

    REPORT_TO_BRANCH = "report_to_branch"
    REPORT_TO_HEAD_OFFICE = "report_to_head_office"
    START_MITIGATION = "start_mitigation"
    RESOLVE = "resolve"
    WRITE_OFF = "write_off"


class ResolutionReason(Enum):
    """W10: why a warning was resolved."""

    REPAID = "repaid"
    RESTRUCTURED = "restructured"
    RISK_CLEARED = "risk_cleared"


CLOSED_STATES = frozenset({WarningState.RESOLVED, WarningState.WRITTEN_OFF})


def is_open(state: WarningState) -> bool:
    """W10: a warning is open until resolved or written off."""
    return state not in CLOSED_STATES


def transitions(
    head_office_required: bool, category: WarningCategory = WarningCategory.BUSINESS
) -> dict[tuple[WarningState, WarningAction], WarningState]:
    """W10 transition table for one warning.

    Business: raised -> reported_to_branch [-> reported_to_head_office when W7 requires it].
    Management: raised -> reported_to_head_office (W8: no branch step, head office always).
    Then: -> under_mitigation -> resolved | written_off. Resolving is allowed as soon as every
    required report is made (a loan repaid meanwhile needs no mitigation); writing off only
    after mitigation.
    """
    s, a = WarningState, WarningAction
    table: dict[tuple[WarningState, WarningAction], WarningState] = {
        (s.UNDER_MITIGATION, a.RESOLVE): s.RESOLVED,
        (s.UNDER_MITIGATION, a.WRITE_OFF): s.WRITTEN_OFF,
    }
    if category is WarningCategory.MANAGEMENT:
        table[(s.RAISED, a.REPORT_TO_HEAD_OFFICE)] = s.REPORTED_TO_HEAD_OFFICE
        reported = s.REPORTED_TO_HEAD_OFFICE
    else:
        table[(s.RAISED, a.REPORT_TO_BRANCH)] = s.REPORTED_TO_BRANCH
        reported = s.REPORTED_TO_BRANCH
        if head_office_required:
            table[(s.REPORTED_TO_BRANCH, a.REPORT_TO_HEAD_OFFICE)] = s.REPORTED_TO_HEAD_OFFICE
            reported = s.REPORTED_TO_HEAD_OFFICE
    table[(reported, a.START_MITIGATION)] = s.UNDER_MITIGATION
    table[(reported, a.RESOLVE)] = s.RESOLVED
    return table


def allowed_actions(
    current: WarningState,
    head_office_required: bool,
    category: WarningCategory = WarningCategory.BUSINESS,
) -> frozenset[WarningAction]:
    """W10: the actions `next_state` accepts from `current`."""
    table = transitions(head_office_required, category)
    return frozenset(action for state, action in table if state is current)


def next_state(
    current: WarningState,
    action: WarningAction,
    head_office_required: bool,
    *,
    category: WarningCategory = WarningCategory.BUSINESS,
) -> WarningState:
    """W10: the state after `action`, or TransitionError naming the rule that forbids it.

    Management warnings always require head office (W8), whatever `head_office_required` says.
    """
    if current in CLOSED_STATES:
        raise TransitionError("W10", f"cannot {_verb(action)}: the warning is {current.value}")
    target = transitions(head_office_required, category).get((current, action))
    if target is None:
        raise TransitionError("W10", _refusal(current, action, head_office_required, category))
    return target


def _verb(action: WarningAction) -> str:
    return action.value.replace("_", " ")


def _refusal(
    current: WarningState,
    action: WarningAction,
    head_office_required: bool,
    category: WarningCategory,
) -> str:
    s, a = WarningState, WarningAction
    management = category is WarningCategory.MANAGEMENT
    if action is a.REPORT_TO_BRANCH and management:
        return "management warnings have no branch step; report to head office (W8)"
    if action is a.REPORT_TO_BRANCH:
        return "the warning was already reported to the branch"
    if action is a.REPORT_TO_HEAD_OFFICE and not (management or head_office_required):
        return "no head-office report below the W7 amount threshold"
    if action is a.REPORT_TO_HEAD_OFFICE and current is s.RAISED:
        return "report to the branch before head office"
    if action is a.REPORT_TO_HEAD_OFFICE:
        return "the warning was already reported to head office"
    if current is s.RAISED:
        where = "head office (W8)" if management else "the branch"
        return f"cannot {_verb(action)} a warning that was never reported to {where}"
    if current is s.REPORTED_TO_BRANCH and head_office_required:
        return f"cannot {_verb(action)} before the head-office report W7 requires"
    if action is a.START_MITIGATION:
        return "mitigation is already under way"
    return "a write-off follows mitigation; start mitigation first"

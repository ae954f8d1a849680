"""The warning level policy (warnings.md W4): every default level rule, editable per company.

`LevelPolicy` and its building blocks, the defaults, the JSON round-trip (`to_dict`/`from_dict`)
and the validation that refuses a policy breaking W4. The rules that apply it are in `rules.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from services.warnings.vocabulary import Direction, RuleInputError, WarningLevel

# -- level policy (W4) --------------------------------------------------------------------------

_Y, _O, _R = WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED
_LEVELS_TEXT = "yellow, orange, red"


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

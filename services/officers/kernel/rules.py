"""Shared pieces of the officers' pure rules: the rule error, point rounding, policy parameters.

Policies are frozen dataclasses whose fields are declared with `param(...)`; the field metadata
names the spec rule each parameter belongs to and its bounds, so one validator and one
(de)serialiser serve every policy (stored per company and year as JSON).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar, cast, get_type_hints

T = TypeVar("T")
P = TypeVar("P")

POINTS_QUANTUM = Decimal("0.01")


class RuleError(ValueError):
    """A spec rule refuses an input, a parameter or a transition.

    `rule` is the spec rule id ("O8"), `field` an optional JSON pointer to the offending value
    ("/officers/3/loans_issued"), `detail` a human-readable reason. The message starts with the
    rule so it survives any generic rendering.
    """

    def __init__(self, rule: str, detail: str, *, field: str | None = None) -> None:
        self.rule = rule
        self.detail = detail
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(f"{rule}: {detail}{where}")


def quantize_points(value: Decimal) -> Decimal:
    """Round points to 2 decimals, ROUND_HALF_UP (the only rounding the rules apply)."""
    return value.quantize(POINTS_QUANTUM, rounding=ROUND_HALF_UP)


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(9)}


def fmt(value: Decimal, places: int = 2) -> str:
    """Format a Decimal for explanations, rounded ROUND_HALF_UP to `places` (0-8) decimals."""
    return str(value.quantize(_QUANTA[places], rounding=ROUND_HALF_UP))


def param(
    default: T,
    *,
    rule: str,
    minimum: int | Decimal | None = None,
    maximum: int | Decimal | None = None,
    positive: bool = False,
) -> T:
    """Declare a policy parameter: its default, the rule it belongs to and its bounds."""
    meta = {"rule": rule, "minimum": minimum, "maximum": maximum, "positive": positive}
    return dataclasses.field(default=default, metadata=meta)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _check_type(value: object, kind: Any, *, rule: str, name: str) -> None:
    pointer = f"/{name}"
    if kind is bool:
        if not isinstance(value, bool):
            raise RuleError(rule, f"{name} must be a boolean", field=pointer)
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(rule, f"{name} must be an integer", field=pointer)
    elif kind is Decimal:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise RuleError(rule, f"{name} must be a finite Decimal", field=pointer)
    else:  # pragma: no cover - a programming error in a policy class
        raise TypeError(f"unsupported parameter type {kind!r} for {name}")


def validate_params(obj: object) -> None:
    """Check every `param` field of a policy instance for type and bounds."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(cast(Any, obj)):
        meta = f.metadata
        if "rule" not in meta:
            continue
        rule, value = meta["rule"], getattr(obj, f.name)
        _check_type(value, hints[f.name], rule=rule, name=f.name)
        if isinstance(value, bool):
            continue
        pointer = f"/{f.name}"
        if meta["positive"] and not value > 0:
            raise RuleError(rule, f"{f.name} must be greater than 0, got {value}", field=pointer)
        if meta["minimum"] is not None and value < meta["minimum"]:
            raise RuleError(
                rule, f"{f.name} must be at least {meta['minimum']}, got {value}", field=pointer
            )
        if meta["maximum"] is not None and value > meta["maximum"]:
            raise RuleError(
                rule, f"{f.name} must be at most {meta['maximum']}, got {value}", field=pointer
            )


def params_to_dict(obj: object) -> dict[str, Any]:
    """JSON-ready dict of a policy: Decimals as strings (exact), ints and booleans as is."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cast(Any, obj)):
        value = getattr(obj, f.name)
        out[f.name] = str(value) if isinstance(value, Decimal) else value
    return out


def _parse(value: object, kind: Any, *, rule: str, name: str) -> object:
    """Convert a JSON value to the parameter's type; floats go through their shortest repr."""
    pointer = f"/{name}"
    if kind is Decimal and not isinstance(value, bool):
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int | float | str):
            try:
                parsed = Decimal(str(value).strip())
            except InvalidOperation:
                raise RuleError(rule, f"{name} is not a number: {value!r}", field=pointer) from None
            if not parsed.is_finite():
                raise RuleError(rule, f"{name} must be finite, got {value!r}", field=pointer)
            return parsed
        raise RuleError(rule, f"{name} must be a decimal number or string", field=pointer)
    return value  # ints and booleans are checked by validate_params


def params_from_dict(cls: type[P], data: Mapping[str, Any], *, rule: str) -> P:
    """Build a policy from a (possibly partial) dict; missing keys take the defaults.

    Unknown keys are refused (a typo would otherwise silently fall back to a default).
    `rule` names the rules the whole policy belongs to, for errors not tied to one field.
    """
    if not isinstance(data, Mapping):
        raise RuleError(rule, "policy must be a JSON object", field="")
    hints = _hints(cls)
    known = {f.name: f for f in dataclasses.fields(cast(Any, cls))}
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        if key not in known:
            raise RuleError(rule, f"unknown policy parameter {key!r}", field=f"/{key}")
        f_rule = known[key].metadata.get("rule", rule)
        kwargs[key] = _parse(value, hints[key], rule=f_rule, name=key)
    return cls(**kwargs)

"""The body of `POST /v1/grading/compute` parsed into plain data (contract, O6-O14).

Pure: every problem is collected with its JSON pointer and rule; the grading rules themselves
(negative figures, duplicates) are checked by `grade_all`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.officers.grading.figures import parse_count, parse_money
from services.officers.grading.items import BranchClass, OfficerFigures
from services.officers.grading.policy import GradingPolicy, Post
from services.officers.kernel.rules import RuleError

MAX_OFFICERS = 20_000
# The contract's columns and the rule each belongs to; `post` (O14) is an optional extension.
REQUIRED = {
    "officer_id": "O13",
    "county": "O7",
    "branch_class": "O7",
    "loans_issued": "O8",
    "interest_income": "O9",
    "new_npl_balance": "O10",
    "managed_balance": "O10",
}
OPTIONAL = {
    "failed_exams": "O11",
    "fines": "O11",
    "criticisms": "O11",
    "serious_violations": "O11",
    "post": "O14",
}
MONEY = ("interest_income", "new_npl_balance", "managed_balance")
COUNTS = ("loans_issued", "failed_exams", "fines", "criticisms", "serious_violations")


@dataclass(frozen=True)
class Problem:
    pointer: str
    rule: str
    detail: str


@dataclass(frozen=True)
class ComputeInput:
    year: int
    policy: GradingPolicy
    figures: list[OfficerFigures]


def _officer(index: int, item: object, problems: list[Problem]) -> OfficerFigures | None:
    base = f"/officers/{index}"
    if not isinstance(item, Mapping):
        problems.append(Problem(base, "O13", "each officer must be a JSON object"))
        return None
    values: dict[str, Any] = {}
    before = len(problems)
    for key in item:
        if key not in REQUIRED and key not in OPTIONAL:
            problems.append(Problem(f"{base}/{key}", "O13", f"unknown field {key!r}"))
    for name, rule in (*REQUIRED.items(), *OPTIONAL.items()):
        pointer = f"{base}/{name}"
        if name not in item:
            if name in REQUIRED:
                problems.append(Problem(pointer, rule, f"{name} is required"))
            continue
        value = item[name]
        try:
            values[name] = _value(name, value)
        except ValueError as exc:
            problems.append(Problem(pointer, rule, f"{name} {exc}"))
    if len(problems) > before:
        return None
    return OfficerFigures(**values)


def _value(name: str, value: object) -> object:
    if name in MONEY:
        return parse_money(value)
    if name in COUNTS:
        return parse_count(value, text=False)
    if name == "branch_class":
        if isinstance(value, bool) or value not in (1, 2, 3):
            raise ValueError("must be 1, 2 or 3")
        return BranchClass(value)
    if name == "post":
        try:
            return Post(str(value))
        except ValueError:
            raise ValueError(f"must be one of {', '.join(p.value for p in Post)}") from None
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def parse_compute(payload: object) -> tuple[ComputeInput | None, list[Problem]]:
    """The what-if request, or the problems that refuse it (pointer, rule, detail)."""
    problems: list[Problem] = []
    if not isinstance(payload, Mapping):
        return None, [Problem("", "O13", "the body must be a JSON object")]
    for key in payload:
        if key not in ("year", "policy", "officers"):
            problems.append(Problem(f"/{key}", "O13", f"unknown field {key!r}"))
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        problems.append(Problem("/year", "O15", "year must be an integer 1990..2100"))
    policy = GradingPolicy.default()
    try:
        policy = GradingPolicy.from_dict(payload.get("policy") or {})
    except RuleError as exc:
        problems.append(Problem(f"/policy{exc.field or ''}", exc.rule, exc.detail))
    officers = payload.get("officers")
    figures: list[OfficerFigures] = []
    if not isinstance(officers, list) or not officers:
        problems.append(Problem("/officers", "O13", "officers must be a non-empty array"))
    elif len(officers) > MAX_OFFICERS:
        problems.append(Problem("/officers", "O13", f"at most {MAX_OFFICERS} officers"))
    else:
        for index, item in enumerate(officers):
            fig = _officer(index, item, problems)
            if fig is not None:
                figures.append(fig)
    if problems:
        return None, problems
    assert isinstance(year, int)
    return ComputeInput(year, policy, figures), []

"""The validator of the O22/O23 ranking's ETag (issue 13): the kept state of `ranking_state`
and the year's liability policy, read in one statement so a 304 costs one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true

from services.officers.kernel import policies
from services.officers.liability.ranking_state import REVISION, STATE, Kept
from services.officers.models.grading import Policy


@dataclass(frozen=True)
class Validator:
    """What the ranking's ETag is made of, read in one statement: the kept state and the
    year's liability policy (its latest stored version; 0 and no body: the spec defaults)."""

    kept: Kept
    policy_version: int
    policy_body: dict[str, Any] | None
    policy_created_at: Any


_POLICY = (
    select(Policy.version, Policy.body, Policy.created_at)
    .where(
        Policy.company == policies.COMPANY,
        Policy.kind == policies.PolicyKind.LIABILITY.value,
        Policy.year == bindparam("year"),
    )
    .order_by(Policy.version.desc())
    .limit(1)
    .subquery()
)
_VALIDATOR = (
    select(
        STATE.c.on_date,
        STATE.c.npl_overdue_days,
        STATE.c.disposal_grace_days,
        STATE.c.generation,
        select(func.coalesce(func.sum(REVISION.c.revision), 0)).scalar_subquery(),
        _POLICY.c.version,
        _POLICY.c.body,
        _POLICY.c.created_at,
    )
    .select_from(STATE.outerjoin(_POLICY, true()))
    .where(STATE.c.id == 1)
)


def validator_query(year: int) -> tuple[Select[Any], dict[str, Any]]:
    """The ranking's validator for `year` as one statement (issue 13: a 304 costs one round
    trip on the read pool) and its parameters; `validator_of` reads its row."""
    return _VALIDATOR, {"year": year}


def validator_of(row: Sequence[Any]) -> Validator:
    """The `Validator` of a `validator_query` row."""
    kept = Kept(row[0], int(row[1]), int(row[2]), int(row[3]), int(row[4]))
    if row[5] is None:
        return Validator(kept, 0, None, None)
    return Validator(kept, int(row[5]), row[6], row[7])

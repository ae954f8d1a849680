"""The company's policies (W4 level rules, W5-W8 deadline parameters) stored in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.warnings import store
from services.warnings.deadlines import DEFAULT_DEADLINE_POLICY, DeadlinePolicy
from services.warnings.models import Policy
from services.warnings.policy import LevelPolicy
from services.warnings.vocabulary import RuleInputError
from shared.errors import InvalidInput

LEVELS = "levels"
DEADLINES = "deadlines"


@dataclass(frozen=True)
class Policies:
    levels: LevelPolicy
    deadlines: DeadlinePolicy


async def load(session: AsyncSession) -> Policies:
    """The stored policies, or the W4 / W5-W8 defaults where none is stored."""
    levels = await store.get_policy(session, LEVELS)
    deadlines = await store.get_policy(session, DEADLINES)
    return Policies(
        LevelPolicy.from_dict(levels.document) if levels else LevelPolicy.default(),
        DeadlinePolicy.from_dict(deadlines.document) if deadlines else DEFAULT_DEADLINE_POLICY,
    )


def parse(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """Validate a policy document; return its normalised form (422 naming the field)."""
    try:
        if name == LEVELS:
            return LevelPolicy.from_dict(document).to_dict()
        return DeadlinePolicy.from_dict(document).to_dict()
    except RuleInputError as exc:
        pointer = "/" + exc.field.replace(".", "/").replace("[", "/").replace("]", "")
        raise InvalidInput(exc.detail, pointer=pointer, rule=exc.rule) from None


async def replace(
    session: AsyncSession, name: str, document: dict[str, Any], *, by: str, now: datetime
) -> Policy:
    """Store a new version of a policy (the old one is replaced; its version number rises)."""
    normalised = parse(name, document)
    row = await store.get_policy(session, name)
    if row is None:
        row = Policy(name=name, document=normalised, version=1, updated_at=now, updated_by=by)
        session.add(row)
    else:
        row.document, row.version = normalised, row.version + 1
        row.updated_at, row.updated_by = now, by
    await session.flush()
    return row


def current(name: str, row: Policy | None) -> dict[str, Any]:
    """The document in force (the default when none was stored)."""
    if row is not None:
        return row.document
    return (LevelPolicy.default() if name == LEVELS else DEFAULT_DEADLINE_POLICY).to_dict()

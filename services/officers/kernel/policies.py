"""Yearly policies stored per company (spec officers.md: every "default" is a parameter).

Kinds: `grading` (GradingPolicy, O4-O14), `ranking` (RankingPolicy, O36) and `liability`
(LiabilityPolicy, O22-O35). A year without a
stored policy uses the spec defaults (version 0). Every change adds a version; nothing is
overwritten, and a run keeps a copy of the policy it used (O15).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.grading.policy import GradingPolicy
from services.officers.liability.policy import LiabilityPolicy
from services.officers.models.grading import Policy
from services.officers.records.rules import RankingPolicy

# One deployment serves one company: its organisation tree is rooted at the head office "HO".
COMPANY = "HO"


class PolicyKind(StrEnum):
    GRADING = "grading"
    RANKING = "ranking"
    LIABILITY = "liability"


_CLASSES: dict[PolicyKind, Any] = {
    PolicyKind.GRADING: GradingPolicy,
    PolicyKind.RANKING: RankingPolicy,
    PolicyKind.LIABILITY: LiabilityPolicy,
}


@dataclass(frozen=True)
class StoredPolicy:
    """A policy as used for a year: its parameters, version (0 = spec defaults) and origin."""

    kind: PolicyKind
    year: int
    version: int
    body: dict[str, Any]
    created_by: str | None
    created_at: datetime | None


async def _latest(session: AsyncSession, kind: PolicyKind, year: int) -> Policy | None:
    stmt = (
        select(Policy)
        .where(Policy.company == COMPANY, Policy.kind == kind.value, Policy.year == year)
        .order_by(Policy.version.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def current(session: AsyncSession, kind: PolicyKind, year: int) -> StoredPolicy:
    """The year's policy: the latest stored version, else the spec defaults (version 0)."""
    row = await _latest(session, kind, year)
    if row is None:
        body = _CLASSES[kind]().to_dict()
        return StoredPolicy(kind, year, 0, body, None, None)
    # Validated again so a policy stored by an older release still gets every parameter.
    body = _CLASSES[kind].from_dict(row.body).to_dict()
    return StoredPolicy(kind, year, row.version, body, row.created_by, row.created_at)


async def grading_policy(session: AsyncSession, year: int) -> tuple[GradingPolicy, int]:
    """O6-O14 parameters for a year and the version they come from."""
    stored = await current(session, PolicyKind.GRADING, year)
    return GradingPolicy.from_dict(stored.body), stored.version


async def ranking_policy(session: AsyncSession, year: int) -> RankingPolicy:
    """O36 parameters for a year."""
    stored = await current(session, PolicyKind.RANKING, year)
    return RankingPolicy.from_dict(stored.body)


async def liability_policy(session: AsyncSession, year: int) -> LiabilityPolicy:
    """O22-O35 parameters for a year."""
    stored = await current(session, PolicyKind.LIABILITY, year)
    return LiabilityPolicy.from_dict(stored.body)


async def put(
    session: AsyncSession,
    kind: PolicyKind,
    year: int,
    data: Mapping[str, Any],
    *,
    by: str,
    at: datetime,
) -> tuple[StoredPolicy, bool]:
    """Store a year's policy (missing keys take the spec defaults); raises RuleError naming
    the parameter. Storing the same parameters again adds no version."""
    body = _CLASSES[kind].from_dict(data).to_dict()
    latest = await _latest(session, kind, year)
    if latest is not None and _CLASSES[kind].from_dict(latest.body).to_dict() == body:
        return StoredPolicy(
            kind, year, latest.version, body, latest.created_by, latest.created_at
        ), False
    version = 1 if latest is None else latest.version + 1
    session.add(
        Policy(
            company=COMPANY,
            kind=kind.value,
            year=year,
            version=version,
            body=body,
            created_by=by,
            created_at=at,
        )
    )
    await session.flush()
    return StoredPolicy(kind, year, version, body, by, at), True


async def history(session: AsyncSession, kind: PolicyKind, year: int) -> list[StoredPolicy]:
    """Every stored version of a year's policy, oldest first."""
    stmt = (
        select(Policy)
        .where(Policy.company == COMPANY, Policy.kind == kind.value, Policy.year == year)
        .order_by(Policy.version)
    )
    return [
        StoredPolicy(kind, year, p.version, p.body, p.created_by, p.created_at)
        for p in await session.scalars(stmt)
    ]

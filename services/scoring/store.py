"""Queries of the scoring service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import Rating, ScoringModel
from shared.paging import keyset

RATING: Table = Rating.__table__  # type: ignore[assignment]


async def get_model(session: AsyncSession, model_id: str) -> ScoringModel | None:
    return await session.get(ScoringModel, model_id)


async def next_version(session: AsyncSession, name: str) -> int:
    """1 + the highest version of `name` (1 for a new name)."""
    top = await session.scalar(
        select(func.max(ScoringModel.version)).where(ScoringModel.name == name)
    )
    return int(top or 0) + 1


async def list_models(
    session: AsyncSession, *, name: str | None, limit: int, cursor: str | None
) -> Sequence[ScoringModel]:
    """A page (up to `limit + 1` rows) of model versions by name, newest version first."""
    stmt = select(ScoringModel)
    if name is not None:
        stmt = stmt.where(ScoringModel.name == name)
    order = [(ScoringModel.name, False), (ScoringModel.version, True)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def model_in_use(session: AsyncSession, model_id: str) -> bool:
    """True once a stored rating used the version (it is immutable either way)."""
    return bool(await session.scalar(select(exists().where(Rating.model_id == model_id))))


async def add_ratings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rating rows (one statement, executemany)."""
    if rows:
        await session.execute(insert(RATING), list(rows))


async def get_rating(session: AsyncSession, rating_id: str) -> Rating | None:
    return await session.get(Rating, rating_id)


async def list_ratings(
    session: AsyncSession,
    *,
    under: str,
    enterprise_id: str | None,
    limit: int,
    cursor: str | None,
) -> Sequence[Rating]:
    """A page (up to `limit + 1` rows) of the ratings in the subtree `under`, newest first,
    after the cursor."""
    stmt = select(Rating).where(
        or_(Rating.org == under, Rating.org.startswith(under + "/", autoescape=True))
    )
    if enterprise_id is not None:
        stmt = stmt.where(Rating.enterprise_id == enterprise_id)
    order = [(Rating.created_at, True), (Rating.id, True)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()

"""Queries of the officers service; they take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.models import Officer, OrgNode


async def get_org(session: AsyncSession, org_id: str) -> OrgNode | None:
    return await session.get(OrgNode, org_id)


async def list_orgs(session: AsyncSession, *, under: str | None) -> Sequence[OrgNode]:
    """Nodes of the subtree rooted at `under` (all when None), in path order."""
    stmt = select(OrgNode).order_by(OrgNode.id)
    if under:
        stmt = stmt.where(or_(OrgNode.id == under, OrgNode.id.startswith(under + "/")))
    return (await session.scalars(stmt)).all()


async def get_officer(session: AsyncSession, officer_id: str) -> Officer | None:
    return await session.get(Officer, officer_id)


async def list_officers(
    session: AsyncSession, *, under: str | None, limit: int, after: str | None
) -> Sequence[Officer]:
    """Officers whose node lies in the subtree `under`, ordered by id, after a cursor."""
    stmt = select(Officer).order_by(Officer.id).limit(limit)
    if under:
        stmt = stmt.where(or_(Officer.org_id == under, Officer.org_id.startswith(under + "/")))
    if after:
        stmt = stmt.where(Officer.id > after)
    return (await session.scalars(stmt)).all()

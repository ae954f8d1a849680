"""Load -> decide -> persist for the officers service's organisation and people records."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.officers import store
from services.officers.models import Officer, OrgNode
from services.officers.schemas import (
    KIND_BY_DEPTH,
    OfficerCreate,
    OfficerRead,
    OrgNodeCreate,
    OrgNodeRead,
)
from shared.errors import Conflict, InvalidInput
from shared.org import depth


async def create_org(session: AsyncSession, data: OrgNodeCreate) -> tuple[OrgNodeRead, bool]:
    """Create a node under an existing parent; repeating the same create is a no-op.

    Returns the node and whether it was created now."""
    parent_id = data.id.rsplit("/", 1)[0] if "/" in data.id else None
    existing = await store.get_org(session, data.id)
    if existing is not None:
        read = OrgNodeRead.model_validate(existing)
        same = (read.name, read.county, read.sub_branch_class) == (
            data.name,
            data.county,
            data.sub_branch_class,
        )
        if not same:
            raise Conflict(f"organisation node {data.id} already exists with other details")
        return read, False
    if parent_id is not None and await store.get_org(session, parent_id) is None:
        raise InvalidInput(f"parent node {parent_id} does not exist", pointer="/id")
    node = OrgNode(
        id=data.id,
        parent_id=parent_id,
        kind=KIND_BY_DEPTH[depth(data.id)].value,
        name=data.name,
        county=data.county,
        sub_branch_class=data.sub_branch_class,
    )
    session.add(node)
    await session.flush()
    return OrgNodeRead.model_validate(node), True


async def create_officer(session: AsyncSession, data: OfficerCreate) -> tuple[OfficerRead, bool]:
    """Register an officer at an existing node; repeating the same create is a no-op."""
    existing = await store.get_officer(session, data.id)
    if existing is not None:
        read = OfficerRead.model_validate(existing)
        if read.model_dump() != data.model_dump():
            raise Conflict(f"officer {data.id} already exists with other details")
        return read, False
    if await store.get_org(session, data.org_id) is None:
        raise InvalidInput(f"organisation node {data.org_id} does not exist", pointer="/org_id")
    officer = Officer(**data.model_dump())
    session.add(officer)
    await session.flush()
    return OfficerRead.model_validate(officer), True

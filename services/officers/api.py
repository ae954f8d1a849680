"""HTTP routes of the officers service: organisation tree and officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.officers import service, store
from services.officers.schemas import OfficerCreate, OfficerRead, OrgNodeCreate, OrgNodeRead
from shared.auth import Caller, Forbidden, Role, allow, narrowest
from shared.db import SessionDep
from shared.errors import NotFound
from shared.events import Id
from shared.org import ORG_PATTERN, OrgPath

router = APIRouter(prefix="/v1")

ANYONE_BUT_PRODUCERS = (
    Role.OFFICER,
    Role.SUB_BRANCH,
    Role.BRANCH,
    Role.HEAD_OFFICE,
    Role.RISK,
    Role.COMMITTEE,
    Role.VIEWER,
)
ReaderDep = Annotated[Caller, Depends(allow(*ANYONE_BUT_PRODUCERS))]
OrgAdminDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE))]
StaffAdminDep = Annotated[Caller, Depends(allow(Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE))]


@router.post("/orgs", status_code=201, response_model=OrgNodeRead, tags=["organisation"])
async def create_org(
    data: OrgNodeCreate, session: SessionDep, caller: OrgAdminDep, response: Response
) -> OrgNodeRead:
    """Add a node to the organisation tree (its parent must exist); a repeat returns it (200)."""
    if not caller.sees(data.id):
        raise Forbidden(f"G4: /id: {data.id} is outside your subtree {caller.org}")
    node, created = await service.create_org(session, data)
    if not created:
        response.status_code = 200
    return node


@router.get("/orgs", response_model=list[OrgNodeRead], tags=["organisation"])
async def list_orgs(
    session: SessionDep, caller: ReaderDep, under: Annotated[OrgPath | None, Query()] = None
) -> list[OrgNodeRead]:
    """The caller's part of the organisation tree, or the subtree under one of its nodes."""
    root = narrowest(caller, under)
    return [OrgNodeRead.model_validate(n) for n in await store.list_orgs(session, under=root)]


@router.get("/orgs/{org_id:path}", response_model=OrgNodeRead, tags=["organisation"])
async def get_org(
    session: SessionDep, caller: ReaderDep, org_id: Annotated[str, Path(pattern=ORG_PATTERN)]
) -> OrgNodeRead:
    """One organisation node."""
    node = await store.get_org(session, org_id)
    if node is None or not caller.sees(node.id):
        raise NotFound(f"organisation node {org_id} does not exist")
    return OrgNodeRead.model_validate(node)


@router.post("/officers", status_code=201, response_model=OfficerRead, tags=["officers"])
async def create_officer(
    data: OfficerCreate, session: SessionDep, caller: StaffAdminDep, response: Response
) -> OfficerRead:
    """Register an officer; a repeat of the same registration returns it (200)."""
    if not caller.sees(data.org_id):
        raise Forbidden(f"G4: /org_id: {data.org_id} is outside your subtree {caller.org}")
    officer, created = await service.create_officer(session, data)
    if not created:
        response.status_code = 200
    return officer


@router.get("/officers", response_model=list[OfficerRead], tags=["officers"])
async def list_officers(
    session: SessionDep,
    caller: ReaderDep,
    org: Annotated[OrgPath | None, Query(description="subtree root")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[
        Id | None, Query(description="cursor: the last id of the previous page")
    ] = None,
) -> list[OfficerRead]:
    """Officers in a subtree, ordered by id, a page at a time."""
    rows = await store.list_officers(
        session, under=narrowest(caller, org), limit=limit, after=after
    )
    return [OfficerRead.model_validate(o) for o in rows]


@router.get("/officers/{officer_id}", response_model=OfficerRead, tags=["officers"])
async def get_officer(
    session: SessionDep, caller: ReaderDep, officer_id: Annotated[Id, Path()]
) -> OfficerRead:
    """One officer."""
    officer = await store.get_officer(session, officer_id)
    if officer is None or not caller.sees(officer.org_id):
        raise NotFound(f"officer {officer_id} does not exist")
    return OfficerRead.model_validate(officer)

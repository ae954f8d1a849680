"""HTTP routes of the officers service: organisation tree, officers, post history, standing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.officers.certification.schemas import (
    CertificateRead,
    CollectionAssignmentRead,
    QualificationRead,
    ReviewRead,
)
from services.officers.certification.service import has_certificate_on
from services.officers.deps import (
    HeadOfficeDep,
    OfficerId,
    RuleRoute,
    StaffDep,
    TodayDep,
    rule,
    visible_officer,
)
from services.officers.grading.protection import protection_end
from services.officers.kernel import policies
from services.officers.org import service, store
from services.officers.org.schemas import (
    OfficerCreate,
    OfficerRead,
    OfficerUpdate,
    OfficerUpdated,
    OrgNodeCreate,
    OrgNodeRead,
    OrgNodeUpdate,
    PostPeriodRead,
)
from services.officers.responsibility import handovers as handover_service
from shared.auth import Forbidden, ReaderDep, narrowest
from shared.db import SessionDep
from shared.errors import NotFound
from shared.openapi import also
from shared.org import ORG_PATTERN, OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)


@router.post(
    "/orgs",
    status_code=201,
    responses=also(200, model=OrgNodeRead, description="a repeat of the same node returns it"),
    response_model=OrgNodeRead,
    tags=["organisation"],
    openapi_extra=rule("O7"),
)
async def create_org(
    data: OrgNodeCreate, session: SessionDep, caller: HeadOfficeDep, response: Response
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
    """The caller's part of the organisation tree, or the subtree under one of its nodes.
    A plain list (issue 13): the tree is the bank's offices, bounded by the organisation,
    not by the book or by time."""
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


@router.patch(
    "/orgs/{org_id:path}",
    response_model=OrgNodeRead,
    tags=["organisation"],
    openapi_extra=rule("O7"),
)
async def update_org(
    data: OrgNodeUpdate,
    session: SessionDep,
    caller: HeadOfficeDep,
    org_id: Annotated[str, Path(pattern=ORG_PATTERN)],
) -> OrgNodeRead:
    """Rename a node, or change a sub-branch's county or class (O7: its peer group in runs
    computed from now on)."""
    node = await store.get_org(session, org_id)
    if node is None or not caller.sees(node.id):
        raise NotFound(f"organisation node {org_id} does not exist")
    return service.update_org(node, data)


@router.post(
    "/officers",
    status_code=201,
    responses=also(200, model=OfficerRead, description="a repeat of the same officer returns it"),
    response_model=OfficerRead,
    tags=["officers"],
    openapi_extra=rule("O2"),
)
async def create_officer(
    data: OfficerCreate, session: SessionDep, caller: StaffDep, response: Response
) -> OfficerRead:
    """Register an officer (a candidate until appointed, O2); a repeat returns it (200)."""
    if not caller.sees(data.org_id):
        raise Forbidden(f"G4: /org_id: {data.org_id} is outside your subtree {caller.org}")
    officer, created = await service.create_officer(session, data, by=caller.subject)
    if not created:
        response.status_code = 200
    return officer


@router.get("/officers", response_model=Page[OfficerRead], tags=["officers"])
async def list_officers(
    session: SessionDep,
    caller: ReaderDep,
    org: Annotated[OrgPath | None, Query(description="subtree root")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OfficerRead]:
    """Officers in a subtree, ordered by id, a page at a time (issue 13)."""
    rows = await store.list_officers(
        session, under=narrowest(caller, org), limit=limit, cursor=cursor
    )
    items, after = page_of(rows, limit, lambda o: (o.id,))
    return Page(items=[OfficerRead.model_validate(o) for o in items], next_cursor=after)


@router.get("/officers/{officer_id}", response_model=OfficerRead, tags=["officers"])
async def get_officer(session: SessionDep, caller: ReaderDep, officer_id: OfficerId) -> OfficerRead:
    """One officer."""
    return OfficerRead.model_validate(await visible_officer(session, caller, officer_id))


@router.patch(
    "/officers/{officer_id}",
    response_model=OfficerUpdated,
    tags=["officers"],
    openapi_extra=rule("O16"),
)
async def update_officer(
    data: OfficerUpdate,
    session: SessionDep,
    caller: StaffDep,
    today: TodayDep,
    officer_id: OfficerId,
) -> OfficerUpdated:
    """Edit an officer; a change of post or node is recorded in the post history, effective
    on `effective_date` (default today), and in the dossier, and opens the handover list of
    the loans the officer manages (O18: `handover_id`)."""
    officer = await visible_officer(session, caller, officer_id)
    if data.org_id is not None and not caller.sees(data.org_id):
        raise Forbidden(f"G4: /org_id: {data.org_id} is outside your subtree {caller.org}")
    left = officer.org_id
    read, moved = await service.update_officer(
        session, officer, data, by=caller.subject, today=today
    )
    handover = None
    if moved:
        handover = await handover_service.open_on_move(
            session, officer.id, org_id=left, on=data.effective_date or today, by=caller.subject
        )
    return OfficerUpdated(**read.model_dump(), handover_id=handover.id if handover else None)


@router.get("/officers/{officer_id}/posts", response_model=list[PostPeriodRead], tags=["officers"])
async def post_history(
    session: SessionDep, caller: ReaderDep, officer_id: OfficerId
) -> list[PostPeriodRead]:
    """The officer's post history: node, post and status per period, oldest first. A plain
    list (issue 13): one officer's periods, a handful over a career."""
    await visible_officer(session, caller, officer_id)
    return [PostPeriodRead.model_validate(p) for p in await store.post_history(session, officer_id)]


@router.get(
    "/officers/{officer_id}/qualification", response_model=QualificationRead, tags=["certification"]
)
async def qualification(
    session: SessionDep, caller: ReaderDep, today: TodayDep, officer_id: OfficerId
) -> QualificationRead:
    """O1-O5 standing: certificates, whether the officer may hold loans (O1), protection
    period (O4), annual reviews (O3) and collection assignments (O5)."""
    officer = await visible_officer(session, caller, officer_id)
    certificates = await store.certificates_of(session, officer_id)
    certified = has_certificate_on(certificates, today)
    end, protected = None, False
    if officer.first_appointment_date is not None:
        policy, _v = await policies.grading_policy(session, today.year)
        end = protection_end(officer.first_appointment_date, policy)
        protected = officer.first_appointment_date <= today < end
    return QualificationRead(
        officer_id=officer.id,
        status=officer.status,
        certified=certified,
        may_hold_loans=certified and officer.status == "on_post",
        first_appointment_date=officer.first_appointment_date,
        protection_end=end,
        protected_today=protected,
        certificates=[CertificateRead.model_validate(c) for c in certificates],
        reviews=[ReviewRead.model_validate(r) for r in await store.reviews_of(session, officer_id)],
        collection_assignments=[
            CollectionAssignmentRead.model_validate(a)
            for a in await store.collection_assignments_of(session, officer_id)
        ],
    )

"""Routes of loan responsibility (O17, O19): office heads, year-start / post-change management
assignments and the new officer's signature, refinancing splits and the head-office waiver of
a first responsible officer. Handovers and the limitation watch (O18, O21) are in
`api_handovers` and served under this router."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from services.officers.deps import (
    HeadOfficeDep,
    LoanId,
    OfficerId,
    RowId,
    RuleRoute,
    StaffDep,
    TodayDep,
    invalid,
    rule,
    visible_loan,
    visible_officer,
)
from services.officers.kernel.rules import RuleError
from services.officers.ledger.api import loan_read
from services.officers.ledger.schemas import LoanRead
from services.officers.models.people import OrgNode
from services.officers.models.responsibility import AssignmentBatch, ManagementAssignment, OrgHead
from services.officers.responsibility import api_handovers
from services.officers.responsibility import service as responsibility_service
from services.officers.responsibility.rules import check_acceptance, plan_refinance
from services.officers.responsibility.schemas import (
    AssignmentRead,
    BatchIn,
    BatchRead,
    OrgHeadIn,
    OrgHeadRead,
    RefinanceIn,
    WaiverIn,
)
from shared.auth import Caller, Forbidden, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.org import ORG_PATTERN
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
router.include_router(api_handovers.router)
OrgId = Annotated[str, Path(pattern=ORG_PATTERN)]
OfficerDep = Annotated[Caller, Depends(allow(Role.OFFICER))]


async def assignable(
    session: SessionDep, caller: Caller, officer_id: str, pointer: str, rule_name: str
) -> None:
    """The officer exists in the caller's subtree; a 422 naming the field otherwise."""
    found = await responsibility_service.officer(session, officer_id)
    if found is None or not caller.sees(found.org_id):
        raise InvalidInput(
            f"{rule_name}: officer {officer_id} does not exist", pointer=pointer, rule=rule_name
        )


@router.put(
    "/org-heads/{org_id:path}",
    response_model=OrgHeadRead,
    tags=["responsibility"],
    openapi_extra=rule("O17"),
)
async def set_org_head(
    session: SessionDep, caller: StaffDep, org_id: OrgId, body: OrgHeadIn
) -> OrgHeadRead:
    """O17 / Art. 27: name the head of a node; loans of the node (or below, up to the next node
    with a head) without a management officer fall to them."""
    node = await session.get(OrgNode, org_id)
    if node is None or not caller.sees(org_id):
        raise NotFound(f"organisation node {org_id} does not exist")
    await assignable(session, caller, body.officer_id, "/officer_id", "O17")
    head = await responsibility_service.set_head(
        session, org_id, officer_id=body.officer_id, since=body.since, by=caller.subject
    )
    return OrgHeadRead.model_validate(head)


@router.get("/org-heads/{org_id:path}", response_model=OrgHeadRead, tags=["responsibility"])
async def get_org_head(session: SessionDep, caller: ReaderDep, org_id: OrgId) -> OrgHeadRead:
    """O17 / Art. 27: the head of a node."""
    head = await session.get(OrgHead, org_id)
    if head is None or not caller.sees(org_id):
        raise NotFound(f"organisation node {org_id} has no head")
    return OrgHeadRead.model_validate(head)


async def _batch_read(session: SessionDep, batch: AssignmentBatch) -> BatchRead:
    rows = await responsibility_service.batch_assignments(session, batch.id)
    return BatchRead(
        batch_id=batch.id,
        kind=batch.kind,
        effective_on=batch.effective_on,
        reason=batch.reason,
        assignments=[AssignmentRead.model_validate(r) for r in rows],
    )


@router.post(
    "/assignment-batches",
    status_code=201,
    response_model=BatchRead,
    tags=["responsibility"],
    openapi_extra=rule("O17"),
)
async def create_batch(
    session: SessionDep, caller: StaffDep, body: BatchIn, response: Response
) -> BatchRead:
    """O17: reassign management responsibility at year start or on a post change: one pending
    assignment per loan, effective when the new officer signs to accept. A repeat of the same
    batch is a replay (200); the same id with another body a 409."""
    seen: set[str] = set()
    loans = []
    for index, item in enumerate(body.items):
        if item.loan_id in seen:
            raise InvalidInput(
                f"O17: loan {item.loan_id} appears twice",
                pointer=f"/items/{index}/loan_id",
                rule="O17",
            )
        seen.add(item.loan_id)
        loans.append(await visible_loan(session, caller, item.loan_id))
        await assignable(session, caller, item.officer_id, f"/items/{index}/officer_id", "O17")
    batch, created = await responsibility_service.create_batch(
        session, body.model_dump(mode="json"), loans, by=caller.subject
    )
    if not created:
        response.status_code = 200
    return await _batch_read(session, batch)


@router.get("/assignment-batches/{batch_id}", response_model=BatchRead, tags=["responsibility"])
async def get_batch(
    session: SessionDep, caller: ReaderDep, batch_id: Annotated[str, Path(max_length=64)]
) -> BatchRead:
    """O17: a reassignment batch and the state of each assignment."""
    batch = await session.get(AssignmentBatch, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    read = await _batch_read(session, batch)
    for a in read.assignments:  # a batch outside the caller's subtree is not theirs to see
        await visible_loan(session, caller, a.loan_id)
    return read


@router.get(
    "/officers/{officer_id}/assignments",
    response_model=Page[AssignmentRead],
    tags=["responsibility"],
)
async def officer_assignments(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    status: Annotated[Literal["pending", "accepted", "superseded"] | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AssignmentRead]:
    """O17: the management responsibilities offered to an officer (e.g. those to sign),
    oldest first, a page at a time (issue 13)."""
    await visible_officer(session, caller, officer_id)
    rows = await responsibility_service.officer_assignments(
        session, officer_id, status, limit=limit, cursor=cursor
    )
    page, after = page_of(rows, limit, lambda r: (r.id,))
    return Page(items=[AssignmentRead.model_validate(r) for r in page], next_cursor=after)


@router.post(
    "/assignments/{assignment_id}/accept",
    response_model=AssignmentRead,
    tags=["responsibility"],
    openapi_extra=rule("O17"),
)
async def accept_assignment(
    session: SessionDep,
    caller: OfficerDep,
    assignment_id: RowId,
) -> AssignmentRead:
    """O17: the assigned officer signs to accept (only that officer: anyone else is a 403
    naming O17); the responsibility takes effect now, a handover's on its completion (O18).
    Signing again is a replay."""
    # Locked: two signatures at once must not write the period twice.
    row = await session.get(ManagementAssignment, assignment_id, with_for_update=True)
    if row is None:
        raise NotFound(f"assignment {assignment_id} does not exist")
    loan = await visible_loan(session, caller, row.loan_id)
    try:
        check_acceptance(row.officer_id, caller.subject)
    except RuleError as exc:
        raise Forbidden(str(exc)) from None
    await responsibility_service.accept(session, row, loan, signer=caller.subject)
    return AssignmentRead.model_validate(row)


@router.post(
    "/loans/{loan_id}/refinance",
    response_model=LoanRead,
    tags=["responsibility"],
    openapi_extra=rule("O19"),
)
async def refinance(
    session: SessionDep, caller: StaffDep, loan_id: LoanId, body: RefinanceIn, today: TodayDep
) -> LoanRead:
    """O19 / Art. 30: split a refinanced loan (收旧贷新, one of the five approved cases) into
    the old part (old principal and interest; the original first responsible officer) and the
    new part (the newly added amount; the handling officer). A repeat is a replay."""
    loan = await visible_loan(session, caller, loan_id)
    await assignable(session, caller, body.handling_officer_id, "/handling_officer_id", "O19")
    original = body.original_officer_id or loan.first_responsible
    try:
        parts = plan_refinance(
            loan_amount=loan.amount,
            old_principal=body.old_principal,
            old_interest=body.old_interest,
            new_amount=body.new_amount,
            original_officer=original,
            handling_officer=body.handling_officer_id,
        )
    except RuleError as exc:
        raise invalid(exc) from None
    data = body.model_dump() | {"loan_id": loan.loan_id, "case": body.case.value}
    await responsibility_service.refinance(session, loan, data, parts, by=caller.subject)
    return await loan_read(session, loan, today, history=True)


@router.post(
    "/loans/{loan_id}/first-responsible-waiver",
    response_model=LoanRead,
    tags=["responsibility"],
    openapi_extra=rule("O17"),
)
async def waive_first_responsible(
    session: SessionDep, caller: HeadOfficeDep, loan_id: LoanId, body: WaiverIn, today: TodayDep
) -> LoanRead:
    """O17 / Art. 19: head-office approval that a restructured loan whose original officer
    retired or was dismissed has only a management officer (recorded in the history)."""
    loan = await visible_loan(session, caller, loan_id)
    data = body.model_dump() | {"departure": body.departure.value}
    await responsibility_service.waive_first(session, loan, data, by=caller.subject)
    return await loan_read(session, loan, today, history=True)

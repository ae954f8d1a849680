"""Routes of handovers (O18), limitation events and the limitation watch (O21); included in
`responsibility.api.router` (prefix /v1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.officers.deps import (
    LoanId,
    OfficerId,
    RuleRoute,
    StaffDep,
    TodayDep,
    rule,
    visible_loan,
    visible_officer,
)
from services.officers.ledger.service import loans_of
from services.officers.models.ledger import LedgerLoan
from services.officers.models.responsibility import Handover, HandoverItem, LimitationEvent
from services.officers.responsibility import handovers as handover_service
from services.officers.responsibility.schemas import (
    AssigneeIn,
    AssignmentRead,
    ConfirmIn,
    EffectiveRead,
    HandoverIn,
    HandoverItemRead,
    HandoverRead,
    LimitationEventIn,
    LimitationEventRead,
    WatchListRead,
    WatchRead,
)
from services.officers.responsibility.service import fallback_loans, officer
from shared.auth import Caller, ReaderDep, Role, allow, narrowest
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.openapi import also
from shared.org import OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(route_class=RuleRoute)
HandoverId = Annotated[str, Path(min_length=1, max_length=64)]
RecorderDep = Annotated[
    Caller, Depends(allow(Role.OFFICER, Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE))
]
WatchDays = Annotated[int | None, Query(ge=0, le=3650, description="override the policy window")]


async def _handover(
    session: SessionDep, caller: Caller, handover_id: str, *, lock: bool = False
) -> Handover:
    found = await session.get(Handover, handover_id, with_for_update=lock)
    if found is None or not caller.sees(found.org_id):
        raise NotFound(f"handover {handover_id} does not exist")
    return found


async def _item(session: SessionDep, handover: Handover, loan_id: str) -> HandoverItem:
    found = await session.get(HandoverItem, (handover.id, loan_id))
    if found is None:
        raise NotFound(f"loan {loan_id} is not on handover {handover.id}")
    return found


async def _read(session: SessionDep, handover: Handover) -> HandoverRead:
    items = []
    for item in await handover_service.items(session, handover.id):
        offer = await handover_service.assignment(session, item)
        items.append(
            HandoverItemRead(
                loan_id=item.loan_id,
                balance=item.balance,
                five_class=item.five_class,
                npl=item.npl,
                npl_reason=item.npl_reason,
                last_event_id=item.last_event_id,
                last_event_kind=item.last_event_kind,
                last_event_date=item.last_event_date,
                accountant_name=item.accountant_name,
                confirmed_on=item.confirmed_on,
                confirmed_by=item.confirmed_by,
                assignment=None if offer is None else AssignmentRead.model_validate(offer),
            )
        )
    return HandoverRead(
        handover_id=handover.id,
        officer_id=handover.officer_id,
        org_id=handover.org_id,
        kind=handover.kind,
        on=handover.handover_on,
        reason=handover.reason,
        status=handover.status,
        created_by=handover.created_by,
        completed_by=handover.completed_by,
        completed_at=handover.completed_at,
        items=items,
    )


@router.post(
    "/handovers",
    status_code=201,
    response_model=HandoverRead,
    responses=also(200, model=HandoverRead, description="a replay of the same handover id"),
    tags=["responsibility"],
    openapi_extra=rule("O18"),
)
async def create_handover(
    session: SessionDep, caller: StaffDep, body: HandoverIn, response: Response
) -> HandoverRead:
    """O18 / Art. 28: an officer leaves or moves: the handover list of every loan they manage,
    each NPL with its last collection notice or limitation interruption. A repeat is a
    replay (200)."""
    leaving = await visible_officer(session, caller, body.officer_id)
    handover, created = await handover_service.create(
        session, body.model_dump(), org_id=leaving.org_id, by=caller.subject
    )
    if not created:
        response.status_code = 200
    return await _read(session, handover)


@router.get("/handovers/{handover_id}", response_model=HandoverRead, tags=["responsibility"])
async def get_handover(
    session: SessionDep, caller: ReaderDep, handover_id: HandoverId
) -> HandoverRead:
    """O18: a handover list with its items."""
    return await _read(session, await _handover(session, caller, handover_id))


@router.put(
    "/handovers/{handover_id}/items/{loan_id}/confirmation",
    response_model=HandoverRead,
    tags=["responsibility"],
    openapi_extra=rule("O18"),
)
async def confirm_item(
    session: SessionDep, caller: StaffDep, handover_id: HandoverId, loan_id: LoanId, body: ConfirmIn
) -> HandoverRead:
    """O18: the credit accountant confirms an item's last collection notice or interruption
    date from the vouchers (name and date recorded)."""
    handover = await _handover(session, caller, handover_id)
    item = await _item(session, handover, loan_id)
    await handover_service.confirm(session, handover, item, body.model_dump(), by=caller.subject)
    return await _read(session, handover)


@router.put(
    "/handovers/{handover_id}/items/{loan_id}/assignee",
    response_model=HandoverRead,
    tags=["responsibility"],
    openapi_extra=rule("O18"),
)
async def assign_item(
    session: SessionDep,
    caller: StaffDep,
    handover_id: HandoverId,
    loan_id: LoanId,
    body: AssigneeIn,
) -> HandoverRead:
    """O18: the loan's new management officer (who then signs to accept, O17)."""
    handover = await _handover(session, caller, handover_id)
    item = await _item(session, handover, loan_id)
    if body.officer_id == handover.officer_id:
        raise InvalidInput(
            f"O18: {body.officer_id} is the officer handing over", pointer="/officer_id", rule="O18"
        )
    found = await officer(session, body.officer_id)
    if found is None or not caller.sees(found.org_id):
        raise InvalidInput(
            f"O18: officer {body.officer_id} does not exist", pointer="/officer_id", rule="O18"
        )
    await handover_service.assign(session, handover, item, body.officer_id, by=caller.subject)
    return await _read(session, handover)


@router.post(
    "/handovers/{handover_id}/complete",
    response_model=HandoverRead,
    tags=["responsibility"],
    openapi_extra=rule("O18"),
)
async def complete_handover(
    session: SessionDep, caller: StaffDep, handover_id: HandoverId
) -> HandoverRead:
    """O18: complete the handover (409 naming O18 until every loan has a new, accepted
    management officer and every NPL a confirmed date); writes the responsibility history."""
    handover = await _handover(session, caller, handover_id, lock=True)
    await handover_service.complete(session, handover, by=caller.subject)
    return await _read(session, handover)


def _event_read(row: LimitationEvent) -> LimitationEventRead:
    return LimitationEventRead(
        event_id=row.id,
        loan_id=row.loan_id,
        kind=row.kind,
        on=row.on_date,
        evidence=row.evidence,
        served_by=row.served_by,
        recorded_by=row.recorded_by,
    )


@router.post(
    "/loans/{loan_id}/limitation-events",
    status_code=201,
    response_model=LimitationEventRead,
    responses=also(200, model=LimitationEventRead, description="a replay of the same event id"),
    tags=["responsibility"],
    openapi_extra=rule("O21"),
)
async def add_limitation_event(
    session: SessionDep,
    caller: RecorderDep,
    loan_id: LoanId,
    body: LimitationEventIn,
    response: Response,
    today: TodayDep,
) -> LimitationEventRead:
    """O18, O21: record a collection notice served or a limitation interruption (idempotent by
    `event_id`: a repeat is a replay (200), other facts a 409)."""
    loan = await visible_loan(session, caller, loan_id)
    if body.on > today:
        raise InvalidInput(f"O21: {body.on} is in the future", pointer="/on", rule="O21")
    row, created = await handover_service.add_event(
        session, loan, body.model_dump(), by=caller.subject
    )
    if not created:
        response.status_code = 200
    return _event_read(row)


@router.get(
    "/loans/{loan_id}/limitation-events",
    response_model=Page[LimitationEventRead],
    tags=["responsibility"],
)
async def limitation_events(
    session: SessionDep,
    caller: ReaderDep,
    loan_id: LoanId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[LimitationEventRead]:
    """O21: a loan's collection notices and interruptions, latest first, a page at a time
    (issue 13)."""
    loan = await visible_loan(session, caller, loan_id)
    rows = await handover_service.event_page(session, loan.loan_id, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda r: (r.on_date, r.id))
    return Page(items=[_event_read(r) for r in page], next_cursor=after)


async def _watch(
    session: SessionDep, loans: list[LedgerLoan], on: date, days: int | None
) -> tuple[list[WatchRead], int, int]:
    found, years, window = await handover_service.watch_list(
        session, loans, on=on, within_days=days
    )
    rows = [
        WatchRead(
            loan_id=w.loan.loan_id,
            org_id=w.loan.org_id,
            balance=w.loan.balance,
            effective_management=EffectiveRead(
                officer_id=w.effective.officer_id,
                fallback=w.effective.fallback,
                head_of=w.effective.head_of,
            ),
            limitation_start=w.entry.limitation.start,
            limitation_basis=w.entry.limitation.basis,
            limitation_end=w.entry.limitation.end,
            days_left=w.entry.days_left,
            lapsed=w.entry.lapsed,
        )
        for w in found
    ]
    return rows, years, window


@router.get(
    "/officers/{officer_id}/limitation-watch",
    response_model=WatchListRead,
    tags=["responsibility"],
    openapi_extra=rule("O21"),
)
async def officer_watch(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    today: TodayDep,
    on: Annotated[date | None, Query()] = None,
    days: WatchDays = None,
) -> WatchListRead:
    """O21: the loans the officer manages (or that fall to them as office head) whose
    limitation period ends within the policy window (default 90 days; lapsed ones included)."""
    await visible_officer(session, caller, officer_id)
    loans = {x.loan_id: x for x in await loans_of(session, officer_id, "management")}
    loans |= {x.loan_id: x for x in await fallback_loans(session, officer_id)}
    day = on or today
    rows, years, window = await _watch(session, list(loans.values()), day, days)
    return WatchListRead(
        on=day, officer_id=officer_id, limitation_years=years, within_days=window, loans=rows
    )


@router.get(
    "/limitation-watch",
    response_model=WatchListRead,
    tags=["responsibility"],
    openapi_extra=rule("O21"),
)
async def subtree_watch(
    session: SessionDep,
    caller: ReaderDep,
    today: TodayDep,
    org: Annotated[OrgPath | None, Query()] = None,
    on: Annotated[date | None, Query()] = None,
    days: WatchDays = None,
) -> WatchListRead:
    """O21: the same list for every loan of an organisation subtree (default: the caller's)."""
    root = narrowest(caller, org)
    day = on or today
    loans = await handover_service.subtree_loans(session, root)
    rows, years, window = await _watch(session, loans, day, days)
    return WatchListRead(on=day, org=root, limitation_years=years, within_days=window, loans=rows)

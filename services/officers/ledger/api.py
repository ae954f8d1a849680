"""Routes of the loan ledger (O17, O22): loans with balance, class and overdue days, their
responsibility history, management reassignment, corrections, and the officer's loan book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import TypeAdapter, ValidationError

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
from services.officers.kernel import policies
from services.officers.ledger import service as ledger_service
from services.officers.ledger.rules import loan_state, overdue_days
from services.officers.ledger.schemas import (
    CorrectionIn,
    LoanRead,
    OfficerBookRead,
    ReassignIn,
    ResponsibilityRead,
)
from services.officers.lending import service as lending_service
from services.officers.liability.rules import count_npl
from services.officers.models.ledger import LedgerLoan, ProcessedEvent
from services.officers.responsibility import service as responsibility_service
from services.officers.responsibility.schemas import EffectiveRead, PartRead
from shared.auth import Caller, Forbidden, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import InvalidInput, invalid_from_pydantic
from shared.events import INCOMING_TYPES, EventId, IncomingEvent
from shared.inbox import apply_once

router = APIRouter(prefix="/v1", route_class=RuleRoute)
CorrectorDep = Annotated[Caller, Depends(allow(Role.RISK, Role.HEAD_OFFICE))]
_batch = TypeAdapter(list[IncomingEvent])


async def loan_read(session: SessionDep, loan: LedgerLoan, on: date, *, history: bool) -> LoanRead:
    p = await policies.liability_policy(session, on.year)
    verdict = count_npl(
        loan_state(
            loan_id=loan.loan_id,
            balance=loan.balance,
            five_class=loan.five_class,
            overdue_since=loan.overdue_since,
            collateral=loan.collateral,
            in_disposal=loan.in_disposal,
            on=on,
        ),
        p,
    )
    rows = await ledger_service.responsibility(session, loan.loan_id) if history else None
    who = await responsibility_service.effective(session, loan)
    parts = responsibility_service.split(
        loan, await responsibility_service.parts_of(session, loan.loan_id)
    )
    return LoanRead(
        loan_id=loan.loan_id,
        org_id=loan.org_id,
        borrower_id=loan.borrower_id,
        amount=loan.amount,
        balance=loan.balance,
        five_class=loan.five_class,
        collateral=loan.collateral,
        collateral_kind=loan.collateral_kind,
        loan_date=loan.loan_date,
        maturity_date=loan.maturity_date,
        overdue_since=loan.overdue_since,
        overdue_days=overdue_days(loan.overdue_since, loan.balance, on),
        interest_arrears_since=loan.interest_arrears_since,
        in_disposal=loan.in_disposal,
        first_responsible=loan.first_responsible,
        management_responsible=loan.management_responsible,
        npl_counted=verdict.counted,
        npl_reason=f"O22: {verdict.reason}",
        effective_management=EffectiveRead(
            officer_id=who.officer_id, fallback=who.fallback, head_of=who.head_of
        ),
        parts=[
            PartRead(part=p.part, amount=p.amount, balance=b, first_responsible=p.first_responsible)
            for p, b in parts
        ]
        or None,
        responsibility=None
        if rows is None
        else [ResponsibilityRead.model_validate(r) for r in rows],
    )


@router.post("/ledger/events", tags=["ledger"], openapi_extra=rule("O17"))
async def post_events(
    request: Request,
    session: SessionDep,
    caller: Annotated[Caller, Depends(allow(Role.PRODUCER))],
    payload: Annotated[Any, Body()],
) -> dict[str, int]:
    """Apply loan and repayment events to the ledger directly (embedded mode and corrections);
    the same exactly-once table as the `officers` consumer group, so no event counts twice."""
    if not isinstance(payload, list) or not 1 <= len(payload) <= 1000:
        raise InvalidInput("O17: the body must be an array of 1-1000 events", pointer="")
    try:
        events = _batch.validate_python(payload)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, rule="W17", drop=INCOMING_TYPES) from None
    for index, event in enumerate(events):
        if not caller.sees(event.org):
            raise Forbidden(f"G4: /{index}/org: {event.org} is outside your subtree {caller.org}")
    settings = request.app.state.settings
    applied = await apply_once(
        session,
        ledger_service.PROCESSED_TABLE,
        settings.consumer_group,
        events,
        ledger_service.event_handler(
            settings.time_zone, on_disbursed=lending_service.flag_event_loan
        ),
    )
    return {"accepted": len(events), "applied": len(applied)}


@router.get("/ledger/processed/{event_id}", tags=["ledger"])
async def processed(
    request: Request, session: SessionDep, _caller: ReaderDep, event_id: Annotated[EventId, Path()]
) -> dict[str, bool]:
    """Whether the ledger has applied an event (exactly once)."""
    key = (request.app.state.settings.consumer_group, event_id)
    return {"applied": await session.get(ProcessedEvent, key) is not None}


@router.get("/loans/{loan_id}", response_model=LoanRead, tags=["ledger"])
async def get_loan(
    session: SessionDep, caller: ReaderDep, loan_id: LoanId, today: TodayDep
) -> LoanRead:
    """A ledger loan: balance, class, overdue days, O22 status, responsibility history."""
    loan = await visible_loan(session, caller, loan_id)
    return await loan_read(session, loan, today, history=True)


@router.put(
    "/loans/{loan_id}/management",
    response_model=LoanRead,
    tags=["ledger"],
    openapi_extra=rule("O17"),
)
async def reassign(
    session: SessionDep, caller: StaffDep, loan_id: LoanId, body: ReassignIn, today: TodayDep
) -> LoanRead:
    """O17: a new management responsible officer (year start or post change), signed as
    accepted; the first responsible officer never changes. The same officer again is a no-op."""
    loan = await visible_loan(session, caller, loan_id)
    await ledger_service.reassign_management(
        session,
        loan,
        officer_id=body.officer_id,
        effective_on=body.effective_on,
        reason=body.reason,
        accepted_by=body.accepted_by,
        by=caller.subject,
    )
    return await loan_read(session, loan, today, history=True)


@router.patch(
    "/loans/{loan_id}", response_model=LoanRead, tags=["ledger"], openapi_extra=rule("O22")
)
async def correct(
    session: SessionDep, caller: CorrectorDep, loan_id: LoanId, body: CorrectionIn, today: TodayDep
) -> LoanRead:
    """Correct a ledger loan by hand (risk, head office): balance, class, collateral, overdue
    start, disposal (O22 inputs)."""
    loan = await visible_loan(session, caller, loan_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is None and field in {"balance", "five_class", "collateral", "in_disposal"}:
            raise InvalidInput(f"O22: {field} cannot be null", pointer=f"/{field}", rule="O22")
        setattr(loan, field, value.value if hasattr(value, "value") else value)
    await session.flush()
    return await loan_read(session, loan, today, history=True)


@router.get("/officers/{officer_id}/loans", response_model=OfficerBookRead, tags=["ledger"])
async def officer_book(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    today: TodayDep,
    role: Annotated[Literal["first", "management"], Query()] = "management",
) -> OfficerBookRead:
    """The loans an officer is responsible for now, with the O22 responsible NPL balance:
    management includes loans falling to the officer as office head (O17), first counts only
    the officer's part of a refinanced loan (O19)."""
    await visible_officer(session, caller, officer_id)
    rows = []
    for entry in await responsibility_service.book(session, officer_id, role):
        row = await loan_read(session, entry.loan, today, history=False)
        row.responsible_balance = entry.share
        rows.append(row)
    return OfficerBookRead(
        officer_id=officer_id,
        role=role,
        on=today,
        loans=rows,
        balance=sum((r.responsible_balance or Decimal(0) for r in rows), Decimal(0)),
        npl_balance=sum(
            (r.responsible_balance or Decimal(0) for r in rows if r.npl_counted), Decimal(0)
        ),
    )

"""Routes of O23 collection duty and plans: the yearly duty run (who is on collection duty,
who has a yellow card), the plans officers sign, their quarterly results, and each officer's
resulting pay, post and lending status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.officers.collection import service as collection_service
from services.officers.collection.rules import CollectionStatus, PlanOutcome, validate_targets
from services.officers.collection.schemas import (
    DutyRead,
    DutyRunIn,
    DutyRunRead,
    PlanIn,
    PlanRead,
    QuarterIn,
    QuarterRead,
    StatusRead,
)
from services.officers.deps import (
    OfficerId,
    RuleRoute,
    TodayDep,
    invalid,
    now_utc,
    rule,
    visible_officer,
)
from services.officers.kernel.rules import RuleError
from services.officers.models.borrowers import CollectionDuty, CollectionPlan, CollectionQuarter
from shared.auth import Caller, Forbidden, ReaderDep, Role, allow, narrowest
from shared.db import SessionDep
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import Id
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
DutyDep = Annotated[Caller, Depends(allow(Role.BRANCH, Role.HEAD_OFFICE, Role.RISK))]
SignerDep = Annotated[Caller, Depends(allow(Role.OFFICER))]
Year = Annotated[int, Path(ge=1990, le=2100)]


def _plan_read(plan: CollectionPlan, verdict: PlanOutcome) -> PlanRead:
    return PlanRead(
        id=plan.id,
        officer_id=plan.officer_id,
        year=plan.year,
        targets=collection_service.targets_of(plan),
        signed_on=plan.signed_on,
        signed_by=plan.signed_by,
        status=verdict.status.value,
        year_target=verdict.year_target,
        collected=verdict.collected,
        shortfall=verdict.shortfall,
        quarters=[
            QuarterRead(
                quarter=q.quarter,
                target=q.target,
                collected=q.collected,
                met=q.met,
                cumulative_target=q.cumulative_target,
                cumulative_collected=q.cumulative_collected,
            )
            for q in verdict.quarters
        ],
        reason=verdict.reason,
    )


@router.post(
    "/collection/duty/{year}",
    response_model=DutyRunRead,
    tags=["collection"],
    openapi_extra=rule("O23"),
)
async def run_duty(
    session: SessionDep,
    caller: DutyDep,
    year: Year,
    today: TodayDep,
    body: DutyRunIn | None = None,
) -> DutyRunRead:
    """O23: rank the counties of the caller's subtree by responsible NPL balance and store the
    year's collection duty (largest `bottom_count`) and yellow cards (above
    `yellow_card_balance`). Idempotent: a repeat over the same ledger changes nothing."""
    body = body or DutyRunIn()
    on = body.on or min(today, date(year, 12, 31))
    if on.year != year:
        raise InvalidInput(f"O23: on must lie in {year}", pointer="/on", rule="O23")
    rows, changed = await collection_service.run_duty(
        session, year=year, on=on, scope=caller.org, county=body.county, by=caller.subject
    )
    return DutyRunRead(
        year=year, on=on, changed=changed, officers=[DutyRead.model_validate(r) for r in rows]
    )


@router.get("/collection/duty/{year}", response_model=Page[DutyRead], tags=["collection"])
async def list_duty(
    session: SessionDep,
    caller: ReaderDep,
    year: Year,
    org: Annotated[str | None, Query(max_length=140)] = None,
    county: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[DutyRead]:
    """O23: the stored duty of a year in the caller's (or `org`'s) subtree, by county, rank
    and officer id, a page at a time (issue 13)."""
    scope = narrowest(caller, org)
    rows = await collection_service.duty_rows(
        session, year=year, scope=scope, county=county, limit=limit, cursor=cursor
    )
    duty, after = page_of(rows, limit, lambda r: (r.county, r.rank, r.officer_id))
    return Page(items=[DutyRead.model_validate(r) for r in duty], next_cursor=after)


async def _duty_for_plan(session: SessionDep, body: PlanIn) -> CollectionDuty:
    duty = await collection_service.duty_of(session, body.officer_id, body.year)
    if duty is None or duty.year != body.year or not (duty.collection_duty or duty.yellow_card):
        raise Conflict(
            f"O23: officer {body.officer_id} has neither collection duty nor a yellow card "
            f"for {body.year} (run POST /v1/collection/duty/{body.year} first)"
        )
    return duty


@router.post(
    "/collection-plans",
    response_model=PlanRead,
    status_code=201,
    tags=["collection"],
    openapi_extra=rule("O23"),
)
async def sign_plan(
    session: SessionDep, caller: SignerDep, body: PlanIn, response: Response
) -> PlanRead:
    """O23: the officer signs its collection plan for a duty year (quarterly targets). The
    same plan again answers 200; another plan for the same officer and year is a 409."""
    await visible_officer(session, caller, body.officer_id)
    if Role.ADMIN not in caller.roles and caller.subject != body.officer_id:
        raise Forbidden(f"O23: only officer {body.officer_id} signs its own collection plan")
    try:
        validate_targets(body.targets)
    except RuleError as exc:
        raise invalid(exc) from None
    await _duty_for_plan(session, body)
    q = body.targets
    existing = await session.get(CollectionPlan, body.id)
    other = await collection_service.plan_of(session, body.officer_id, body.year)
    if existing is not None or other is not None:
        plan = existing or other
        assert plan is not None
        same = (plan.id, plan.officer_id, plan.year, collection_service.targets_of(plan)) == (
            body.id,
            body.officer_id,
            body.year,
            q,
        ) and plan.signed_on == body.signed_on
        if not same:
            raise Conflict(f"O23: plan {plan.id} already signed for {plan.officer_id}/{plan.year}")
        response.status_code = 200
        return _plan_read(plan, await collection_service.outcome(session, plan))
    plan = CollectionPlan(
        id=body.id,
        officer_id=body.officer_id,
        year=body.year,
        q1_target=q[0],
        q2_target=q[1],
        q3_target=q[2],
        q4_target=q[3],
        signed_on=body.signed_on,
        signed_by=caller.subject,
    )
    session.add(plan)
    await collection_service.flush_or_conflict(session, "O23", f"plan {body.id}")
    return _plan_read(plan, await collection_service.outcome(session, plan))


async def _visible_plan(session: SessionDep, caller: Caller, plan_id: str) -> CollectionPlan:
    plan = await session.get(CollectionPlan, plan_id)
    if plan is None:
        raise NotFound(f"collection plan {plan_id} does not exist")
    try:
        await visible_officer(session, caller, plan.officer_id)
    except NotFound:
        raise NotFound(f"collection plan {plan_id} does not exist") from None
    return plan


@router.get("/collection-plans/{plan_id}", response_model=PlanRead, tags=["collection"])
async def get_plan(
    session: SessionDep, caller: ReaderDep, plan_id: Annotated[Id, Path()]
) -> PlanRead:
    """O23: a collection plan with its quarters and verdict."""
    plan = await _visible_plan(session, caller, plan_id)
    return _plan_read(plan, await collection_service.outcome(session, plan))


@router.post(
    "/collection-plans/{plan_id}/quarters/{quarter}",
    response_model=PlanRead,
    tags=["collection"],
    openapi_extra=rule("O23"),
)
async def record_quarter(
    session: SessionDep,
    caller: DutyDep,
    plan_id: Annotated[Id, Path()],
    quarter: Annotated[int, Path(ge=1, le=4)],
    body: QuarterIn,
) -> PlanRead:
    """O23: the amount collected in a quarter of the plan. Recording the same amount again
    changes nothing; another amount for a recorded quarter is a 409."""
    plan = await _visible_plan(session, caller, plan_id)
    row = await session.get(CollectionQuarter, (plan_id, quarter))
    if row is None:
        session.add(
            CollectionQuarter(
                plan_id=plan_id,
                quarter=quarter,
                collected=body.collected,
                recorded_by=caller.subject,
                recorded_at=now_utc(),
            )
        )
        await collection_service.flush_or_conflict(session, "O23", f"quarter {quarter}")
    elif row.collected != body.collected:
        raise Conflict(
            f"O23: quarter {quarter} of plan {plan_id} is already recorded at {row.collected}"
        )
    return _plan_read(plan, await collection_service.outcome(session, plan))


def _status_read(
    officer_id: str,
    year: int,
    duty: CollectionDuty | None,
    plan: PlanRead | None,
    state: CollectionStatus,
) -> StatusRead:
    return StatusRead(
        officer_id=officer_id,
        year=year,
        duty_year=duty.year if duty else None,
        state=state.state.value,
        collection_duty=state.collection_duty,
        yellow_card=state.yellow_card,
        pay=state.pay,
        post=state.post,
        unsecured_lending=state.unsecured_lending,
        lending=state.lending,
        reasons=list(state.reasons),
        plan=plan,
    )


@router.get("/officers/{officer_id}/collection", response_model=StatusRead, tags=["collection"])
async def officer_collection(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    today: TodayDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> StatusRead:
    """O23: the officer's duty in force, plan verdict, pay, post and lending rights."""
    await visible_officer(session, caller, officer_id)
    y = year or today.year
    duty, plan, verdict, state = await collection_service.status(session, officer_id, y)
    read = _plan_read(plan, verdict) if plan is not None and verdict is not None else None
    return _status_read(officer_id, y, duty, read, state)

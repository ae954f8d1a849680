"""Routes of exit and what follows it: O24 exit evaluation (what-if and from stored data), the
O25 age-exit transition, O27-O29 pay after exit and over tolerance, the O32 vintage buy-out.
The computes store nothing; the year's liability policy (overridable in the body) applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.officers.deps import OfficerId, RuleRoute, TodayDep, rule, visible_officer
from services.officers.exit import service as exit_service
from services.officers.exit.schemas import (
    ConditionRead,
    ExitEvaluateIn,
    ExitRead,
    MilestoneRead,
    PayComputeIn,
    PayerTotal,
    PayRead,
    SkippedRead,
    TransitionIn,
    TransitionRead,
    VintageComputeIn,
    VintageLoanRead,
    VintagePostedRead,
    VintageRead,
    VintageRecordIn,
    VintageRecordRead,
)
from services.officers.exit.service import (
    Condition,
    exit_conditions,
    officer_gender,
    pay_after_exit,
    stored_facts,
)
from services.officers.funds import service as funds_service
from services.officers.liability.api import unique_ids, whatif_policy
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import (
    ExitFacts,
    exit_age_date,
    may_lend,
    milestones_met,
    transition_plan,
)
from services.officers.liability.vintage import VintageLoan, vintage_buyout
from shared.auth import Caller, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import InvalidInput
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
BuyoutWriterDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE, Role.RISK))]


def _exit_read(
    facts: ExitFacts, on: date, p: LiabilityPolicy, conditions: list[Condition], officer: str | None
) -> ExitRead:
    return ExitRead(
        officer_id=officer,
        on=on,
        exits=any(c.holds for c in conditions),
        exit_age_date=exit_age_date(facts.gender, facts.birth_date, p),
        conditions=[
            ConditionRead(
                condition=c.condition, holds=c.holds, rule=c.rule, detail=c.detail, source=c.source
            )
            for c in conditions
        ],
        held=[c.condition for c in conditions if c.holds],
    )


@router.post("/exit/evaluate", response_model=ExitRead, tags=["exit"], openapi_extra=rule("O24"))
async def evaluate_exit(session: SessionDep, _caller: ReaderDep, body: ExitEvaluateIn) -> ExitRead:
    """What-if O24: which exit conditions hold on `on` for the facts given, each with its rule
    text (any one holding: the officer leaves the post)."""
    if body.birth_date >= body.on:
        raise InvalidInput("birth_date must be before on", pointer="/birth_date", rule="O24")
    p = await whatif_policy(session, body.on.year, body.policy)
    facts = ExitFacts(
        score=body.score,
        failed_exams_in_row=body.failed_exams_in_row,
        sub_branch_unqualified=body.sub_branch_unqualified,
        review_unqualified=body.review_unqualified,
        gender=body.gender,
        birth_date=body.birth_date,
        age_extended=body.age_extended,
        illness=body.illness,
        major_violation=body.major_violation,
    )
    return _exit_read(facts, body.on, p, exit_conditions(facts, body.on, p), None)


@router.get(
    "/officers/{officer_id}/exit", response_model=ExitRead, tags=["exit"], openapi_extra=rule("O24")
)
async def officer_exit(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    today: TodayDep,
    on: Annotated[date | None, Query(description="default: today")] = None,
    sub_branch_unqualified: Annotated[bool, Query()] = False,
    age_extended: Annotated[bool, Query()] = False,
    illness: Annotated[bool, Query()] = False,
    major_violation: Annotated[bool, Query()] = False,
) -> ExitRead:
    """O24 for a stored officer: age from its birth date and gender, the latest approved
    grading score, qualification exams failed in a row and the latest annual review come from
    the service's records; facts it does not keep (sub-branch appraisal, extension, illness,
    major violation) come from the query."""
    officer = await visible_officer(session, caller, officer_id)
    day = on or today
    p = await whatif_policy(session, day.year, None)
    kept = await stored_facts(session, officer, day)
    facts = ExitFacts(
        score=kept.score,
        failed_exams_in_row=kept.failed_in_row,
        sub_branch_unqualified=sub_branch_unqualified,
        review_unqualified=kept.review_unqualified,
        gender=officer_gender(officer),
        birth_date=officer.birth_date,
        age_extended=age_extended,
        illness=illness,
        major_violation=major_violation,
    )
    sources = {
        "score": kept.score_source,
        "failed_exams": kept.exams_source,
        "review_unqualified": kept.review_source,
        "age": "stored: birth date and gender",
        "sub_branch_unqualified": "query",
        "illness": "query",
        "major_violation": "query",
    }
    return _exit_read(facts, day, p, exit_conditions(facts, day, p, sources), officer_id)


@router.post(
    "/exit/transition/compute",
    response_model=TransitionRead,
    tags=["exit"],
    openapi_extra=rule("O25"),
)
async def compute_transition(
    session: SessionDep, _caller: ReaderDep, body: TransitionIn
) -> TransitionRead:
    """What-if O25: the yearly ceilings of the first-responsible book (halved each year), the
    date lending stops and full-time collection starts without a post; with `balances`, whether
    each milestone reached was met; with `on`, whether the officer may still lend."""
    p = await whatif_policy(session, body.start.year, body.policy)
    plan = transition_plan(body.start, body.book, p)
    if len(body.balances) > len(plan.milestones):
        raise InvalidInput(
            f"at most {len(plan.milestones)} balances (one per transition year)",
            pointer=f"/balances/{len(plan.milestones)}",
            rule="O25",
        )
    met = milestones_met(plan, body.balances)
    return TransitionRead(
        start=plan.start,
        book=plan.book,
        milestones=[
            MilestoneRead(
                year=m.year,
                deadline=m.deadline,
                ceiling=m.ceiling,
                actual=body.balances[i] if i < len(met) else None,
                met=met[i] if i < len(met) else None,
            )
            for i, m in enumerate(plan.milestones)
        ],
        lending_stops=plan.lending_stops,
        collection_from=plan.collection_from,
        may_lend=None if body.on is None else may_lend(plan, body.on),
        all_met=all(met) if met else None,
        rules=[
            f"O25: the first-responsible book shrinks by {p.transition_shrink_factor} each year "
            f"of the {p.transition_years}-year transition",
            f"O25: lending stops on {plan.lending_stops.isoformat()}",
            f"O25: no post after {p.no_post_collection_years} year(s): full-time collection "
            f"from {plan.collection_from.isoformat()}",
        ],
    )


@router.post("/exit/pay/compute", response_model=PayRead, tags=["exit"], openapi_extra=rule("O27"))
async def compute_pay(session: SessionDep, _caller: ReaderDep, body: PayComputeIn) -> PayRead:
    """What-if O27-O29: performance pay by year after exit (O27); within tolerance the grade
    coefficient at exit and the teller average performance (O28); over tolerance the teller
    coefficient, monthly advances only after a met quarter (a missed quarter stops the next
    one's, never paid back) and the O29 share with collection >= 80 % of target."""
    if (body.tolerance is None) != (body.npl_balance is None):
        missing = "/npl_balance" if body.npl_balance is None else "/tolerance"
        raise InvalidInput("give both tolerance and npl_balance", pointer=missing, rule="O29")
    if body.quarters and body.tolerance is None:
        raise InvalidInput(
            "quarters need tolerance and npl_balance", pointer="/tolerance", rule="O29"
        )
    seen: set[int] = set()
    for i, y in enumerate(body.years):
        if y.year < body.exit_year or y.year in seen:
            raise InvalidInput(
                "years must be distinct and not before exit_year",
                pointer=f"/years/{i}/year",
                rule="O27",
            )
        seen.add(y.year)
    p = await whatif_policy(session, body.exit_year, body.policy)
    return pay_after_exit(body, p)


@router.post(
    "/buyouts/vintage/compute",
    response_model=VintageRead,
    tags=["liability"],
    openapi_extra=rule("O32"),
)
async def compute_vintage_buyout(
    session: SessionDep, _caller: ReaderDep, body: VintageComputeIn
) -> VintageRead:
    """What-if O32: in year Y the vintage Y-11 (policy) becomes buy-out-able at the rate of its
    age (policy table); with consent the officer buys out all its NPLs (recoveries then go to
    the buyer); relatives' loans are compensated in full; loans introduced or guaranteed by an
    employee are the introducer's (100 % from 2008-01-01). Each loan says who pays what, why."""
    unique_ids([x.loan_id for x in body.loans], "O32")
    for i, x in enumerate(body.loans):
        if x.formed_year > body.year:
            raise InvalidInput(
                "formed after the buy-out year", pointer=f"/loans/{i}/formed_year", rule="O32"
            )
        if x.loan_date.year > x.formed_year:
            raise InvalidInput(
                "an NPL cannot form before its loan date",
                pointer=f"/loans/{i}/formed_year",
                rule="O32",
            )
    p = await whatif_policy(session, body.year, body.policy)
    loans = [VintageLoan(**x.model_dump()) for x in body.loans]
    result = vintage_buyout(loans, year=body.year, full_buyout=body.full_buyout_consent, policy=p)
    return VintageRead(
        year=result.year,
        due_vintage=result.due_vintage,
        total=result.total,
        by_payer=[PayerTotal(payer_id=k, amount=v) for k, v in result.by_payer],
        loans=[
            VintageLoanRead(
                loan_id=d.loan_id,
                vintage=d.vintage,
                age=d.age,
                due_year=d.due_year,
                status=d.status.value,
                payer=d.payer.value,
                payer_id=d.payer_id,
                rate=d.rate,
                amount=d.amount,
                recoveries_to=d.recoveries_to,
                rule=d.rule,
            )
            for d in result.loans
        ],
    )


@router.post(
    "/officers/{officer_id}/buyouts/vintage",
    status_code=201,
    response_model=VintagePostedRead,
    tags=["liability"],
    openapi_extra=rule("O32"),
)
async def record_vintage_buyout(
    session: SessionDep,
    caller: BuyoutWriterDep,
    officer_id: OfficerId,
    body: VintageRecordIn,
    response: Response,
) -> VintagePostedRead:
    """O32 stored: the officer's first-responsible loans bought out in `year` (each loan once;
    one bought out before counts as already bought out). Each buy-out or full compensation is
    recorded with its payer and who the recoveries belong to (the officer after a full buy-out
    with consent); the officer's own amounts are deducted from its risk fund, then post
    deposit, the rest a shortfall (O30). `operation_id` makes a retry a replay (200)."""
    await visible_officer(session, caller, officer_id)
    unique_ids([x.loan_id for x in body.loans], "O32")
    for i, x in enumerate(body.loans):
        if x.formed_year > body.year or x.loan_date.year > x.formed_year:
            raise InvalidInput(
                "formed after the buy-out year or before the loan date",
                pointer=f"/loans/{i}/formed_year",
                rule="O32",
            )
    p = await whatif_policy(session, body.year, None)
    posted = await exit_service.record_vintage(
        session, officer_id=officer_id, body=body, policy=p, by=caller.subject
    )
    response.status_code = 200 if posted.replayed else 201
    balances = await funds_service.balances(session, officer_id)
    return VintagePostedRead(
        operation_id=body.operation_id,
        replayed=posted.replayed,
        recorded=[VintageRecordRead.model_validate(r) for r in posted.rows],
        skipped=[SkippedRead(loan_id=a, status=b, rule=c) for a, b, c in posted.skipped],
        deducted=sum((r.amount for r in posted.rows if r.payer_id == officer_id), Decimal(0)),
        balances={a.value: v for a, v in balances.items()},
    )


@router.get(
    "/officers/{officer_id}/buyouts/vintage",
    response_model=Page[VintageRecordRead],
    tags=["liability"],
)
async def list_vintage_buyouts(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[VintageRecordRead]:
    """O32: the officer's recorded buy-outs and full compensations, with who pays and who the
    recoveries belong to; by loan id, a page at a time (issue 13)."""
    await visible_officer(session, caller, officer_id)
    rows = await exit_service.vintage_page(session, officer_id, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda r: (r.loan_id,))
    return Page(items=[VintageRecordRead.model_validate(r) for r in page], next_cursor=after)

"""The O22/O23 county ranking over the loan ledger: each officer's responsible NPL balance
(management responsible loans counted by O22), ranked per county, with collection duty and
yellow cards (O23). Computed on request from the ledger; stores nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers import policies
from services.officers.api_common import ReaderDep, RuleRoute, TodayDep, rule
from services.officers.ledger import loan_state
from services.officers.liability import CountyEntry, LoanState, eliminate, responsible_npl_balance
from services.officers.models import CollectionAssignment, Officer, OrgNode
from services.officers.models_ledger import LedgerLoan
from services.officers.run_inputs import sub_branch_of
from shared.auth import narrowest
from shared.db import SessionDep
from shared.org import is_within

router = APIRouter(prefix="/v1", route_class=RuleRoute)
FEN = Decimal("0.01")


class RankingPolicyRead(BaseModel):
    npl_overdue_days: int
    disposal_grace_days: int
    bottom_count: int
    yellow_card_balance: Decimal


class RankedOfficerRead(BaseModel):
    officer_id: str
    name: str
    org: str
    county: str
    npl_balance: Decimal = Field(description="O22 responsible NPL balance (management)")
    rank: int = Field(description="O23 rank in the county, 1 = largest NPL balance")
    collection_duty: bool
    yellow_card: bool
    reasons: list[str]
    status: str = Field(description="the officer's status (`collection`: O5 assignment)")
    collection_until: date | None = Field(description="end of the open O5 assignment")


class LiabilityRankingRead(BaseModel):
    year: int
    on: date
    org: str
    county: str | None
    policy: RankingPolicyRead
    officers: list[RankedOfficerRead]


async def _counties(session: AsyncSession) -> dict[str, str]:
    """Each sub-branch's county (O7/O23)."""
    stmt = select(OrgNode.id, OrgNode.county).where(OrgNode.county.is_not(None))
    return {node: str(county) for node, county in (await session.execute(stmt)).all()}


async def _books(session: AsyncSession, on: date) -> dict[str, list[LoanState]]:
    """The O22 view of every ledger loan on `on`, by management responsible officer."""
    stmt = select(LedgerLoan).where(LedgerLoan.management_responsible.is_not(None))
    out: dict[str, list[LoanState]] = defaultdict(list)
    for loan in await session.scalars(stmt):
        out[str(loan.management_responsible)].append(
            loan_state(
                loan_id=loan.loan_id,
                balance=loan.balance,
                five_class=loan.five_class,
                overdue_since=loan.overdue_since,
                collateral=loan.collateral,
                in_disposal=loan.in_disposal,
                on=on,
            )
        )
    return out


async def _open_assignments(session: AsyncSession, ids: list[str]) -> dict[str, date]:
    """O5: the end date of each officer's latest open collection assignment."""
    out: dict[str, date] = {}
    for start in range(0, len(ids), 900):
        stmt = (
            select(CollectionAssignment)
            .where(
                CollectionAssignment.officer_id.in_(ids[start : start + 900]),
                CollectionAssignment.status == "open",
            )
            .order_by(CollectionAssignment.start_date, CollectionAssignment.id)
        )
        out.update({a.officer_id: a.end_date for a in await session.scalars(stmt)})
    return out


@router.get(
    "/liability/ranking",
    response_model=LiabilityRankingRead,
    tags=["liability"],
    openapi_extra=rule("O23"),
)
async def liability_ranking(
    session: SessionDep,
    caller: ReaderDep,
    today: TodayDep,
    org: Annotated[str | None, Query(max_length=140)] = None,
    county: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> LiabilityRankingRead:
    """O22/O23: each officer's responsible NPL balance from the ledger, ranked per county
    (over the whole county), the largest `bottom_count` to collection duty, a yellow card
    above `yellow_card_balance`; lists the officers of the caller's (or `org`'s) subtree."""
    scope = narrowest(caller, org)
    policy = await policies.liability_policy(session, year or today.year)
    counties = await _counties(session)
    officers: dict[str, tuple[Officer, str]] = {}
    for o in await session.scalars(select(Officer).order_by(Officer.id)):
        sub = sub_branch_of(o.org_id)
        where = counties.get(sub) if sub else None
        if where is not None and (county is None or where == county):
            officers[o.id] = (o, where)
    listed = {i for i, (o, _c) in officers.items() if is_within(o.org_id, scope)}
    wanted = {c for i, (_o, c) in officers.items() if i in listed}
    books = await _books(session, today)
    entries = [
        CountyEntry(i, c, responsible_npl_balance(books.get(i, ()), policy))
        for i, (_o, c) in officers.items()
        if c in wanted
    ]
    until = await _open_assignments(session, sorted(listed))
    rows = []
    for r in eliminate(entries, policy):
        if r.officer_id not in listed:
            continue
        o = officers[r.officer_id][0]
        rows.append(
            RankedOfficerRead(
                officer_id=o.id,
                name=o.name,
                org=o.org_id,
                county=r.county,
                npl_balance=r.npl_balance.quantize(FEN),
                rank=r.rank,
                collection_duty=r.collection_duty,
                yellow_card=r.yellow_card,
                reasons=list(r.reasons),
                status=o.status,
                collection_until=until.get(o.id),
            )
        )
    return LiabilityRankingRead(
        year=year or today.year,
        on=today,
        org=scope,
        county=county,
        policy=RankingPolicyRead(
            npl_overdue_days=policy.npl_overdue_days,
            disposal_grace_days=policy.disposal_grace_days,
            bottom_count=policy.bottom_count,
            yellow_card_balance=policy.yellow_card_balance,
        ),
        officers=rows,
    )

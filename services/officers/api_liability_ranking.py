"""The O22/O23 county ranking over the loan ledger: each officer's responsible NPL balance
(management responsible loans counted by O22), ranked per county, with collection duty and
yellow cards (O23). Computed on request from the ledger; stores nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers import policies
from services.officers.api_common import ReaderDep, RuleRoute, TodayDep, rule
from services.officers.liability_ranking import rank_counties
from services.officers.models import CollectionAssignment
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
    ranking = await rank_counties(session, on=today, policy=policy, scope=scope, county=county)
    officers = ranking.officers
    listed = {i for i, (o, _c) in officers.items() if is_within(o.org_id, scope)}
    until = await _open_assignments(session, sorted(listed))
    rows = []
    for r in ranking.results:
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

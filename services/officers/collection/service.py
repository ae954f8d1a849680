"""O23 collection duty and plans over the database: the yearly duty run (the county ranking of
`liability.ranking`, stored), the officers' plans and quarters,
and each officer's resulting status. Store functions never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.collection.rules import (
    CollectionStatus,
    PlanOutcome,
    judge_plan,
    officer_status,
)
from services.officers.kernel import policies
from services.officers.liability.ranking import rank_counties
from services.officers.models.borrowers import CollectionDuty, CollectionPlan, CollectionQuarter
from services.officers.org.store import within
from shared.errors import Conflict
from shared.paging import keyset

FEN = Decimal("0.01")


async def run_duty(
    session: AsyncSession, *, year: int, on: date, scope: str, county: str | None, by: str
) -> tuple[list[CollectionDuty], int]:
    """O23: rank every county with an officer in `scope` (or only `county`) by responsible NPL
    balance on `on` and store who is on collection duty and who has a yellow card for `year`.
    Idempotent: a re-run updates the year's rows; returns them and how many changed."""
    policy = await policies.liability_policy(session, year)
    ranking = await rank_counties(session, on=on, policy=policy, scope=scope, county=county)
    placed = ranking.officers
    stmt = select(CollectionDuty).where(
        CollectionDuty.year == year,
        CollectionDuty.officer_id.in_([r.officer_id for r in ranking.results]),
    )
    existing = {d.officer_id: d for d in await session.scalars(stmt)}
    rows: list[CollectionDuty] = []
    changed = 0
    for r in ranking.results:
        values = {
            "county": r.county,
            "org_id": placed[r.officer_id][0].org_id,
            "npl_balance": r.npl_balance.quantize(FEN),
            "rank": r.rank,
            "collection_duty": r.collection_duty,
            "yellow_card": r.yellow_card,
            "reasons": list(r.reasons),
        }
        row = existing.get(r.officer_id)
        if row is None:
            row = CollectionDuty(year=year, officer_id=r.officer_id, counted_on=on, run_by=by)
            session.add(row)
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            changed += 1
        else:
            rows.append(row)
            continue
        for k, v in values.items():
            setattr(row, k, v)
        row.counted_on, row.run_by = on, by
        rows.append(row)
    await flush_or_conflict(session, "O23", f"the {year} duty")
    return sorted(rows, key=lambda d: (d.county, d.rank, d.officer_id)), changed


async def duty_rows(
    session: AsyncSession,
    *,
    year: int,
    scope: str,
    county: str | None,
    limit: int,
    cursor: str | None,
) -> Sequence[CollectionDuty]:
    """A page (up to `limit + 1` rows) of the stored O23 duty rows of a year in `scope`, by
    county, rank and officer id."""
    stmt = select(CollectionDuty).where(
        CollectionDuty.year == year, within(CollectionDuty.org_id, scope)
    )
    if county is not None:
        stmt = stmt.where(CollectionDuty.county == county)
    order = [
        (CollectionDuty.county, False),
        (CollectionDuty.rank, False),
        (CollectionDuty.officer_id, False),
    ]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def duty_of(session: AsyncSession, officer_id: str, year: int) -> CollectionDuty | None:
    """O23: the officer's row of the latest duty run up to `year` (a run lasts until the
    next year's)."""
    stmt = (
        select(CollectionDuty)
        .where(CollectionDuty.officer_id == officer_id, CollectionDuty.year <= year)
        .order_by(CollectionDuty.year.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


def targets_of(plan: CollectionPlan) -> list[Decimal]:
    return [plan.q1_target, plan.q2_target, plan.q3_target, plan.q4_target]


async def quarters_of(session: AsyncSession, plan_id: str) -> dict[int, CollectionQuarter]:
    stmt = select(CollectionQuarter).where(CollectionQuarter.plan_id == plan_id)
    return {q.quarter: q for q in await session.scalars(stmt)}


async def outcome(session: AsyncSession, plan: CollectionPlan) -> PlanOutcome:
    """O23: the plan's verdict from its quarters."""
    got = await quarters_of(session, plan.id)
    return judge_plan(targets_of(plan), {q: r.collected for q, r in got.items()})


async def plan_of(session: AsyncSession, officer_id: str, year: int) -> CollectionPlan | None:
    stmt = select(CollectionPlan).where(
        CollectionPlan.officer_id == officer_id, CollectionPlan.year == year
    )
    return (await session.scalars(stmt)).first()


async def status(
    session: AsyncSession, officer_id: str, year: int
) -> tuple[CollectionDuty | None, CollectionPlan | None, PlanOutcome | None, CollectionStatus]:
    """O23: the officer's duty row in force for `year`, its plan, the verdict and the status."""
    duty = await duty_of(session, officer_id, year)
    if duty is None:
        return None, None, None, officer_status(collection_duty=False, yellow_card=False, plan=None)
    plan = await plan_of(session, officer_id, duty.year)
    verdict = await outcome(session, plan) if plan else None
    state = officer_status(
        collection_duty=duty.collection_duty, yellow_card=duty.yellow_card, plan=verdict
    )
    return duty, plan, verdict, state


async def flush_or_conflict(session: AsyncSession, rule_name: str, what: str) -> None:
    """Write now; a concurrent write of the same key is a 409 (retry), never a 500."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{rule_name}: {what} was written concurrently; retry") from None

"""O22/O23 county ranking over the ledger: each officer's responsible NPL balance, ranked in
its county by `liability.rules.eliminate`. Used by the ranking route and the stored duty runs.

The balances are the kept ones of `ranking_state` when they are O22 on the date asked for
under the policy asked for (issue 13: O(officers)); otherwise, and for the tests' recount,
`recount` counts every ledger loan from scratch (`books`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.grading.run_inputs import sub_branch_of
from services.officers.kernel.vocabulary import LoanState
from services.officers.ledger.rules import loan_state
from services.officers.liability import ranking_state
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.rules import (
    CountyEntry,
    EliminationResult,
    count_npl,
    eliminate,
    responsible_npl_balance,
)
from services.officers.models.ledger import LedgerLoan
from services.officers.models.people import Officer, OrgNode
from services.officers.responsibility import service as responsibility_service
from services.officers.responsibility.rules import effective_management
from shared.org import is_within

ZERO = Decimal(0)


@dataclass(frozen=True)
class CountyRanking:
    """The O23 results of every county with an officer in the scope, and where each
    ranked officer stands."""

    officers: dict[str, tuple[Officer, str]]  # officer id -> (officer, county)
    results: list[EliminationResult]


async def counties(session: AsyncSession) -> dict[str, str]:
    """Each sub-branch's county (O7/O23)."""
    stmt = select(OrgNode.id, OrgNode.county).where(OrgNode.county.is_not(None))
    return {node: str(county) for node, county in (await session.execute(stmt)).all()}


async def books(session: AsyncSession, on: date) -> dict[str, list[LoanState]]:
    """The O22 view of every ledger loan on `on`, by effective management officer: the named
    one, else the head of the loan's office (O17 / Art. 27), as in the officer's own book."""
    heads = await responsibility_service.heads(session)
    out: dict[str, list[LoanState]] = defaultdict(list)
    for loan in await session.scalars(select(LedgerLoan)):
        who = effective_management(loan.management_responsible, loan.org_id, heads).officer_id
        if who is None:
            continue  # no officer and no office head up the tree: nobody's book
        out[who].append(
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


async def recount(session: AsyncSession, on: date, policy: LiabilityPolicy) -> dict[str, Decimal]:
    """O22 from scratch: every officer's responsible NPL balance on `on` (officers with a
    counted loan only): the reference the kept balances must equal."""
    return {
        officer_id: responsible_npl_balance(loans, policy)
        for officer_id, loans in (await books(session, on)).items()
        if any(count_npl(loan, policy).counted for loan in loans)
    }


async def npl_balances(
    session: AsyncSession, on: date, policy: LiabilityPolicy
) -> dict[str, Decimal]:
    """Every officer's O22 responsible NPL balance on `on`: the kept ones when they serve
    that date and policy, else the recount."""
    if (await ranking_state.state(session)).serves(on, policy):
        return await ranking_state.balances(session)
    return await recount(session, on, policy)


def rank(
    officers: dict[str, tuple[Officer, str]],
    balances: dict[str, Decimal],
    policy: LiabilityPolicy,
    scope: str,
) -> list[EliminationResult]:
    """O23 over the whole of every county with an officer in `scope`."""
    wanted = {c for o, c in officers.values() if is_within(o.org_id, scope)}
    entries = [
        CountyEntry(i, c, balances.get(i, ZERO)) for i, (_o, c) in officers.items() if c in wanted
    ]
    return eliminate(entries, policy)


async def placed_officers(
    session: AsyncSession, county: str | None
) -> dict[str, tuple[Officer, str]]:
    """The officers whose sub-branch has a county (only `county`'s), with it, by id."""
    where_of = await counties(session)
    officers: dict[str, tuple[Officer, str]] = {}
    for o in await session.scalars(select(Officer).order_by(Officer.id)):
        sub = sub_branch_of(o.org_id)
        where = where_of.get(sub) if sub else None
        if where is not None and (county is None or where == county):
            officers[o.id] = (o, where)
    return officers


async def rank_counties(
    session: AsyncSession, *, on: date, policy: LiabilityPolicy, scope: str, county: str | None
) -> CountyRanking:
    """O23: rank, over the whole county, every county with an officer in `scope` (or only
    `county`) by responsible NPL balance on `on`."""
    officers = await placed_officers(session, county)
    balances = await npl_balances(session, on, policy)
    return CountyRanking(officers, rank(officers, balances, policy, scope))

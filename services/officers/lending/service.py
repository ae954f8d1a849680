"""O20 lending restrictions over the database: the borrower register's facts, the issuing
officer's O23 status, the check of a proposed loan, the creation of a checked loan in the
ledger, and the flags on loans that arrived as facts (disbursement events).
Store functions never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.collection import service as collection_service
from services.officers.kernel import policies
from services.officers.kernel.vocabulary import Collateral
from services.officers.lending.rules import (
    BorrowerFacts,
    OfficerFacts,
    ProposedLoan,
    Violation,
    check_loan,
)
from services.officers.models.borrowers import Borrower, LoanRestrictionFlag
from services.officers.models.ledger import LedgerLoan


async def household_on_hold(session: AsyncSession, b: Borrower) -> tuple[str, ...]:
    """O20: the other members of the borrower's household with interest on hold."""
    if b.household_id is None:
        return ()
    stmt = select(Borrower.borrower_id).where(
        Borrower.household_id == b.household_id,
        Borrower.interest_on_hold.is_(True),
        Borrower.borrower_id != b.borrower_id,
    )
    return tuple(sorted(await session.scalars(stmt)))


async def borrower_facts(session: AsyncSession, borrower_id: str | None) -> BorrowerFacts | None:
    """What the register knows of a borrower (bank-wide: a lawsuit anywhere counts)."""
    if borrower_id is None:
        return None
    b = await session.get(Borrower, borrower_id)
    if b is None:
        return None
    return BorrowerFacts(
        borrower_id=b.borrower_id,
        sued=b.sued,
        sued_on=b.sued_on,
        interest_on_hold=b.interest_on_hold,
        household_id=b.household_id,
        household_on_hold=await household_on_hold(session, b),
        employee_id=b.employee_id,
        relative_of=b.relative_of,
        relation=b.relation,
    )


async def officer_facts(
    session: AsyncSession, officer_id: str | None, on: date
) -> OfficerFacts | None:
    """O23: the issuing officer's collection status on the loan date."""
    if officer_id is None:
        return None
    duty, _plan, _verdict, state = await collection_service.status(session, officer_id, on.year)
    return OfficerFacts(
        officer_id=officer_id,
        collection_duty=not state.unsecured_lending,
        duty_year=duty.year if duty else None,
        off_post_collection=not state.lending,
    )


async def check(
    session: AsyncSession, loan: ProposedLoan, *, borrower_id: str | None, officer_id: str | None
) -> tuple[Violation, ...]:
    """O20/O23: the rules a new loan breaks (empty: allowed), with the year's policy."""
    policy = await policies.liability_policy(session, loan.on.year)
    return check_loan(
        loan,
        await borrower_facts(session, borrower_id),
        await officer_facts(session, officer_id, loan.on),
        joint_guarantee_min=policy.joint_guarantee_min_amount,
    )


async def flag_event_loan(session: AsyncSession, loan: LedgerLoan) -> list[LoanRestrictionFlag]:
    """O20: a loan that arrived by a disbursement event already happened; it is kept, and the
    rules it broke (those the event lets us judge) are flagged on it."""
    proposed = ProposedLoan(
        amount=loan.amount, collateral=Collateral(loan.collateral), on=loan.loan_date
    )
    found = await check(
        session, proposed, borrower_id=loan.borrower_id, officer_id=loan.first_responsible
    )
    return await store_flags(session, loan.loan_id, found, source="event")


async def store_flags(
    session: AsyncSession, loan_id: str, found: tuple[Violation, ...], *, source: str
) -> list[LoanRestrictionFlag]:
    """Record each violation once per loan."""
    rows = [
        LoanRestrictionFlag(
            loan_id=loan_id, rule=v.rule, code=v.code, detail=v.message()[:500], source=source
        )
        for v in found
    ]
    session.add_all(rows)
    return rows


async def flags_of(session: AsyncSession, loan_id: str) -> list[LoanRestrictionFlag]:
    """The restrictions a loan broke, in recording order."""
    stmt = (
        select(LoanRestrictionFlag)
        .where(LoanRestrictionFlag.loan_id == loan_id)
        .order_by(LoanRestrictionFlag.id)
    )
    return list(await session.scalars(stmt))

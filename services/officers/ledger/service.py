"""The loan ledger: applying loan and repayment events (O17, O22) and HTTP corrections.

`event_handler` is what the `officers` consumer group (and `POST /v1/ledger/events`) hands each
batch of new events to, inside the transaction that records them as processed, so a redelivered
event changes nothing. The loan and repayment topics are separate streams, so a repayment may
arrive before its disbursement: such an event is parked and applied, in arrival order, as soon
as the disbursement is. Other event types are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.ledger.rules import collateral_of
from services.officers.liability import ranking_state as _kept_ranking  # noqa: F401
from services.officers.models.ledger import (
    LedgerLoan,
    LedgerParkedEvent,
    LoanResponsibility,
    ProcessedEvent,
)
from shared.db import lock_keys
from shared.events import (
    IncomingEvent,
    InterestArrears,
    LoanClassified,
    LoanDisbursed,
    LoanMatured,
    RepaymentMissed,
    RepaymentReceived,
    parse_event,
)

log = logging.getLogger("services.officers.ledger")
PROCESSED_TABLE: Table = ProcessedEvent.__table__  # type: ignore[assignment]
ZERO = Decimal(0)
FIRST = "first"
MANAGEMENT = "management"


def _open(
    loan_id: str, role: str, officer_id: str | None, start: date, *, source: str, reason: str
) -> LoanResponsibility:
    return LoanResponsibility(
        loan_id=loan_id,
        role=role,
        officer_id=officer_id,
        start_on=start,
        source=source,
        reason=reason,
        recorded_by=source,
    )


def _disbursed(session: AsyncSession, e: LoanDisbursed, on: date) -> LedgerLoan:
    loan_id = str(e.loan_id)
    b = e.body
    loan = LedgerLoan(
        loan_id=loan_id,
        org_id=e.org,
        borrower_id=e.borrower_id,
        amount=b.amount,
        balance=b.amount,
        five_class="normal",
        collateral=collateral_of(b.collateral_kind).value,
        collateral_kind=b.collateral_kind,
        loan_date=on,
        maturity_date=b.maturity_date,
        in_disposal=False,
        first_responsible=b.officers.first_responsible,
        management_responsible=b.officers.management_responsible,
    )
    session.add(loan)
    why = f"O17: disbursement event {e.event_id}"
    session.add(_open(loan_id, FIRST, b.officers.first_responsible, on, source="event", reason=why))
    session.add(
        _open(
            loan_id,
            MANAGEMENT,
            b.officers.management_responsible,
            on,
            source="event",
            reason=why,
        )
    )
    return loan


def _apply(loan: LedgerLoan, e: IncomingEvent) -> None:
    """One event's effect on a known loan."""
    if isinstance(e, LoanClassified):
        if not e.body.predicted:
            loan.five_class = e.body.five_class.value
    elif isinstance(e, LoanMatured):
        if e.body.outstanding is not None:
            loan.balance = e.body.outstanding
        if loan.balance > 0 and loan.overdue_since is None:
            loan.overdue_since = loan.maturity_date
    elif isinstance(e, RepaymentReceived):
        loan.balance = max(loan.balance - e.body.principal, ZERO)
        if loan.balance == 0:
            loan.overdue_since = None
            loan.interest_arrears_since = None
    elif isinstance(e, RepaymentMissed):
        due = e.body.due_date
        if loan.overdue_since is None or due < loan.overdue_since:
            loan.overdue_since = due
    elif isinstance(e, InterestArrears):
        since = e.body.since
        if loan.interest_arrears_since is None or since < loan.interest_arrears_since:
            loan.interest_arrears_since = since


LEDGER_TYPES = (
    LoanDisbursed,
    LoanClassified,
    LoanMatured,
    RepaymentReceived,
    RepaymentMissed,
    InterestArrears,
)


async def _unpark(session: AsyncSession, loan: LedgerLoan) -> None:
    """Apply the events that waited for this loan, in arrival order, and drop them."""
    await session.flush()  # events parked earlier in this batch too
    stmt = (
        select(LedgerParkedEvent)
        .where(LedgerParkedEvent.loan_id == loan.loan_id)
        .order_by(LedgerParkedEvent.seq)
    )
    for parked in await session.scalars(stmt):
        _apply(loan, parse_event(orjson.dumps(parked.payload)))
        await session.delete(parked)


OnDisbursed = Callable[[AsyncSession, LedgerLoan], Awaitable[object]]


def event_handler(
    time_zone: str, *, on_disbursed: OnDisbursed
) -> Callable[[AsyncSession, Sequence[IncomingEvent]], Awaitable[None]]:
    """The batch handler: events in delivery order, each applied to its loan's ledger row.

    `on_disbursed` is what a new loan brings about in another subdomain (O20: lending flags the
    restrictions it broke), passed in by the adapters so the ledger does not import lending."""
    zone = ZoneInfo(time_zone)

    async def handle(session: AsyncSession, events: Sequence[IncomingEvent]) -> None:
        mine = [e for e in events if isinstance(e, LEDGER_TYPES) and e.loan_id]
        ids = {str(e.loan_id) for e in mine}
        if not ids:
            return
        # Issue 14: replicas in one group apply their partitions side by side; a loan's
        # disbursement and its repayments come on two topics, maybe to two replicas, so each
        # batch locks its loans first (sorted, one sweep: no deadlock) and a repayment is
        # either parked before the disbursement takes the parked events or sees the loan.
        await lock_keys(session, {f"officers.loan:{i}" for i in ids})
        stmt = select(LedgerLoan).where(LedgerLoan.loan_id.in_(ids))
        loans = {x.loan_id: x for x in await session.scalars(stmt)}
        for e in mine:  # Kafka order: one loan's events share a partition
            loan_id = str(e.loan_id)
            on = e.occurred_at.astimezone(zone).date()
            if isinstance(e, LoanDisbursed):
                if loan_id in loans:
                    log.warning("loan %s disbursed again (event %s): ignored", loan_id, e.event_id)
                    continue
                loans[loan_id] = loan = _disbursed(session, e, on)
                await session.flush()
                await _unpark(session, loan)
                await on_disbursed(session, loan)  # O20: flag, never drop
                continue
            known = loans.get(loan_id)
            if known is None:
                session.add(
                    LedgerParkedEvent(
                        event_id=e.event_id, loan_id=loan_id, payload=e.model_dump(mode="json")
                    )
                )
                continue
            _apply(known, e)

    return handle


async def responsibility(session: AsyncSession, loan_id: str) -> list[LoanResponsibility]:
    """O17: every responsibility period of a loan, oldest first."""
    stmt = (
        select(LoanResponsibility)
        .where(LoanResponsibility.loan_id == loan_id)
        .order_by(LoanResponsibility.id)
    )
    return list(await session.scalars(stmt))


async def reassign_management(
    session: AsyncSession,
    loan: LedgerLoan,
    *,
    officer_id: str,
    effective_on: date,
    reason: str,
    accepted_by: str,
    by: str,
) -> bool:
    """O17: close the current management responsibility and open the new officer's (signed as
    accepted). The first responsible officer never changes. False when nothing changes."""
    if loan.management_responsible == officer_id:
        return False
    history = await responsibility(session, loan.loan_id)
    for period in history:
        if period.role == MANAGEMENT and period.end_on is None:
            period.end_on = effective_on
    row = _open(loan.loan_id, MANAGEMENT, officer_id, effective_on, source="http", reason=reason)
    row.accepted_by = accepted_by
    row.recorded_by = by
    session.add(row)
    loan.management_responsible = officer_id
    loan.updated_at = datetime.now(ZoneInfo("UTC"))
    await session.flush()
    return True


async def loans_of(session: AsyncSession, officer_id: str, role: str) -> list[LedgerLoan]:
    """The loans an officer is currently first or management responsible for."""
    column = LedgerLoan.first_responsible if role == FIRST else LedgerLoan.management_responsible
    stmt = select(LedgerLoan).where(column == officer_id).order_by(LedgerLoan.loan_id)
    return list(await session.scalars(stmt))

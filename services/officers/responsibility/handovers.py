"""Handovers (O18), limitation events and the limitation watch (O21) over the ledger.

Functions take the request's session and never commit (the route's session does).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.kernel import policies
from services.officers.ledger import service as ledger_service
from services.officers.ledger.rules import loan_state
from services.officers.liability.rules import count_npl
from services.officers.models.ledger import LedgerLoan
from services.officers.models.responsibility import (
    Handover,
    HandoverItem,
    LimitationEvent,
    ManagementAssignment,
)
from services.officers.responsibility import service as responsibility_service
from services.officers.responsibility.rules import (
    AssignmentKind,
    Effective,
    HandoverItemState,
    WatchEntry,
    effective_management,
    handover_blockers,
    limitation,
    watch,
)
from services.officers.responsibility.service import flush_keyed
from shared.errors import Conflict
from shared.paging import keyset

OPEN, COMPLETE = "open", "complete"


async def add_event(
    session: AsyncSession, loan: LedgerLoan, body: dict[str, Any], *, by: str
) -> tuple[LimitationEvent, bool]:
    """O18, O21: record a collection notice or limitation interruption; the same event id
    with the same facts is a replay, with other facts a 409."""
    found = await session.get(LimitationEvent, body["event_id"])
    if found is not None:
        same = (found.loan_id, found.kind, found.on_date, found.evidence) == (
            loan.loan_id,
            body["kind"],
            body["on"],
            body["evidence"],
        )
        if not same:
            raise Conflict(f"O21: event {found.id} exists with other facts")
        return found, False
    row = LimitationEvent(
        id=body["event_id"],
        loan_id=loan.loan_id,
        kind=body["kind"],
        on_date=body["on"],
        evidence=body["evidence"],
        served_by=body.get("served_by"),
        recorded_by=by,
    )
    session.add(row)
    await flush_keyed(session, "O21", f"event {row.id}")
    return row, True


async def events_of(session: AsyncSession, loan_id: str) -> list[LimitationEvent]:
    """O21: a loan's limitation events, latest first."""
    stmt = select(LimitationEvent).where(LimitationEvent.loan_id == loan_id)
    return list(
        await session.scalars(
            stmt.order_by(LimitationEvent.on_date.desc(), LimitationEvent.recorded_at.desc())
        )
    )


async def event_page(
    session: AsyncSession, loan_id: str, *, limit: int, cursor: str | None
) -> Sequence[LimitationEvent]:
    """O21: a page (up to `limit + 1` rows) of a loan's limitation events, latest date first
    (one day's by event id: `recorded_at` is a server default, second-grained text on SQLite,
    so it cannot carry a cursor)."""
    stmt = select(LimitationEvent).where(LimitationEvent.loan_id == loan_id)
    order = [(LimitationEvent.on_date, True), (LimitationEvent.id, True)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def latest_dates(session: AsyncSession, loan_ids: Sequence[str]) -> dict[str, date]:
    """O21: the latest collection notice / interruption date of each loan that has one."""
    out: dict[str, date] = {}
    ids = list(loan_ids)
    for start in range(0, len(ids), 500):
        stmt = (
            select(LimitationEvent.loan_id, func.max(LimitationEvent.on_date))
            .where(LimitationEvent.loan_id.in_(ids[start : start + 500]))
            .group_by(LimitationEvent.loan_id)
        )
        out.update({row[0]: row[1] for row in await session.execute(stmt)})
    return out


async def _fill_last(session: AsyncSession, item: HandoverItem) -> None:
    events = await events_of(session, item.loan_id)
    if events:
        item.last_event_id, item.last_event_kind = events[0].id, events[0].kind
        item.last_event_date = events[0].on_date


async def create(
    session: AsyncSession, body: dict[str, Any], *, org_id: str, by: str
) -> tuple[Handover, bool]:
    """O18: the handover list of every loan the officer manages, each NPL (O22 on the handover
    date) with its last collection notice or interruption. A repeat is a replay."""
    found = await session.get(Handover, body["handover_id"])
    if found is not None:
        if (found.officer_id, found.kind, found.handover_on) != (
            body["officer_id"],
            body["kind"],
            body["on"],
        ):
            raise Conflict(f"O18: handover {found.id} exists with another body")
        return found, False
    stmt = select(Handover).where(
        Handover.officer_id == body["officer_id"], Handover.status == OPEN
    )
    other = (await session.scalars(stmt)).first()
    if other is not None:
        raise Conflict(f"O18: officer {other.officer_id} has an open handover {other.id}")
    on: date = body["on"]
    handover = Handover(
        id=body["handover_id"],
        officer_id=body["officer_id"],
        org_id=org_id,
        kind=body["kind"],
        handover_on=on,
        reason=body["reason"],
        status=OPEN,
        created_by=by,
    )
    session.add(handover)
    await flush_keyed(session, "O18", f"handover {handover.id}")
    policy = await policies.liability_policy(session, on.year)
    for loan in await ledger_service.loans_of(session, body["officer_id"], "management"):
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
            policy,
        )
        item = HandoverItem(
            handover_id=handover.id,
            loan_id=loan.loan_id,
            balance=loan.balance,
            five_class=loan.five_class,
            npl=verdict.counted,
            npl_reason=f"O22: {verdict.reason}"[:300],
        )
        await _fill_last(session, item)
        session.add(item)
    await session.flush()
    return handover, True


async def open_on_move(
    session: AsyncSession, officer_id: str, *, org_id: str, on: date, by: str
) -> Handover | None:
    """O18: "moving an officer produces a handover list of every loan": opened by the post or
    node change itself, at the node the officer leaves. None when the officer manages no loan;
    the open one when a handover is already open (one per officer)."""
    stmt = select(Handover).where(Handover.officer_id == officer_id, Handover.status == OPEN)
    if (already := (await session.scalars(stmt)).first()) is not None:
        return already
    if not await ledger_service.loans_of(session, officer_id, "management"):
        return None
    body = {
        "handover_id": f"move-{uuid.uuid4().hex[:24]}",
        "officer_id": officer_id,
        "kind": "moving",
        "on": on,
        "reason": "O18: post or node change",
    }
    handover, _ = await create(session, body, org_id=org_id, by=by)
    return handover


async def items(session: AsyncSession, handover_id: str) -> list[HandoverItem]:
    """O18: the loans of a handover list, by loan id."""
    stmt = select(HandoverItem).where(HandoverItem.handover_id == handover_id)
    return list(await session.scalars(stmt.order_by(HandoverItem.loan_id)))


async def assignment(session: AsyncSession, item: HandoverItem) -> ManagementAssignment | None:
    """The item's current assignment."""
    if item.assignment_id is None:
        return None
    return await session.get(ManagementAssignment, item.assignment_id)


def _open(handover: Handover) -> None:
    if handover.status != OPEN:
        raise Conflict(f"O18: handover {handover.id} is complete")


async def confirm(
    session: AsyncSession, handover: Handover, item: HandoverItem, body: dict[str, Any], *, by: str
) -> None:
    """O18: the credit accountant checks the vouchers and confirms the item's last collection
    notice or interruption date (the latest recorded one is taken again now)."""
    _open(handover)
    await _fill_last(session, item)
    if item.last_event_date is None:
        raise Conflict(
            f"O18: loan {item.loan_id} has no collection notice or limitation interruption "
            f"recorded; record it first (POST /v1/loans/{item.loan_id}/limitation-events)"
        )
    item.accountant_name, item.confirmed_on, item.confirmed_by = (
        body["accountant_name"],
        body["confirmed_on"],
        by,
    )
    await session.flush()


async def assign(
    session: AsyncSession, handover: Handover, item: HandoverItem, officer_id: str, *, by: str
) -> ManagementAssignment:
    """O18: offer the loan to a new management officer (pending their O17 signature); a
    different officer supersedes the earlier offer, the same one is a replay."""
    _open(handover)
    current = await assignment(session, item)
    if current is not None and current.officer_id == officer_id:
        return current
    if current is not None:
        current.status = responsibility_service.SUPERSEDED
    row = ManagementAssignment(
        loan_id=item.loan_id,
        officer_id=officer_id,
        kind=AssignmentKind.HANDOVER.value,
        handover_id=handover.id,
        effective_on=handover.handover_on,
        reason=f"O18: handover {handover.id} from {handover.officer_id}: {handover.reason}"[:300],
        status=responsibility_service.PENDING,
        requested_by=by,
    )
    session.add(row)
    await session.flush()
    item.assignment_id = row.id
    await session.flush()
    return row


async def complete(session: AsyncSession, handover: Handover, *, by: str) -> bool:
    """O18: complete only when every loan has a new, accepted management officer and every NPL
    a confirmed date; then each takes effect (history written). False when already done."""
    if handover.status == COMPLETE:
        return False
    rows = await items(session, handover.id)
    offers = [await assignment(session, item) for item in rows]
    states = [
        HandoverItemState(
            item.loan_id,
            item.npl,
            item.confirmed_on is not None,
            None if a is None else a.officer_id,
            a is not None and a.status == responsibility_service.ACCEPTED,
        )
        for item, a in zip(rows, offers, strict=True)
    ]
    blockers = handover_blockers(handover.officer_id, states)
    if blockers:
        shown = "; ".join(blockers[:10]) + ("; ..." if len(blockers) > 10 else "")
        raise Conflict(f"O18: handover {handover.id} cannot complete: {shown}")
    for item, offer in zip(rows, offers, strict=True):
        loan = await session.get(LedgerLoan, item.loan_id)
        if offer is not None and loan is not None:
            await responsibility_service.apply(session, offer, loan, by=by)
    handover.status, handover.completed_by, handover.completed_at = COMPLETE, by, datetime.now(UTC)
    await session.flush()
    return True


@dataclass(frozen=True)
class Watched:
    """O21: a loan on the watch list and who answers for it."""

    loan: LedgerLoan
    effective: Effective
    entry: WatchEntry


async def watch_list(
    session: AsyncSession, loans: Sequence[LedgerLoan], *, on: date, within_days: int | None
) -> tuple[list[Watched], int, int]:
    """O21: the loans whose limitation ends within the window (policy `limitation_watch_days`,
    default 90) of `on`; the period is `limitation_years` (default 3). Soonest first."""
    policy = await policies.liability_policy(session, on.year)
    days = policy.limitation_watch_days if within_days is None else within_days
    live = [x for x in loans if x.balance > 0]
    last = await latest_dates(session, [x.loan_id for x in live])
    table = await responsibility_service.heads(session)
    out: list[Watched] = []
    for loan in live:
        period = limitation(
            last_interruption=last.get(loan.loan_id),
            overdue_since=loan.overdue_since,
            maturity=loan.maturity_date,
            years=policy.limitation_years,
        )
        entry = watch(loan.loan_id, period, on=on, within_days=days)
        if entry is not None:
            who = effective_management(loan.management_responsible, loan.org_id, table)
            out.append(Watched(loan, who, entry))
    out.sort(key=lambda w: (w.entry.limitation.end, w.loan.loan_id))
    return out, policy.limitation_years, days


async def subtree_loans(session: AsyncSession, org: str) -> list[LedgerLoan]:
    """The ledger loans of a subtree with a balance."""
    stmt = select(LedgerLoan).where(
        LedgerLoan.balance > 0,
        (LedgerLoan.org_id == org) | LedgerLoan.org_id.startswith(f"{org}/", autoescape=True),
    )
    return list(await session.scalars(stmt.order_by(LedgerLoan.loan_id)))

"""Responsibility in the ledger (O17, O19): office heads and the effective management officer,
management assignments signed by the new officer, the officer's responsible book with
refinancing parts, refinancing and the head-office waiver of a first responsible officer.

Functions take the request's session and never commit (the route's session does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.ledger import service as ledger_service
from services.officers.ledger.service import FIRST, MANAGEMENT
from services.officers.models.ledger import LedgerLoan, LoanResponsibility
from services.officers.models.people import Officer
from services.officers.models.responsibility import (
    AssignmentBatch,
    FirstResponsibleWaiver,
    LoanPart,
    ManagementAssignment,
    OrgHead,
    Refinance,
)
from services.officers.responsibility.rules import (
    Effective,
    Part,
    effective_management,
    part_balances,
)
from shared.errors import Conflict
from shared.paging import keyset

PENDING, ACCEPTED, SUPERSEDED = "pending", "accepted", "superseded"


async def flush_keyed(session: AsyncSession, rule_name: str, what: str) -> None:
    """Write a row under a client key now; a concurrent write of the same key is a 409 naming
    the rule (retry: the retry is a replay), never a 500."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{rule_name}: {what} was written concurrently; retry") from None


async def heads(session: AsyncSession) -> dict[str, str]:
    """O17 / Art. 27: every node's head officer (node id -> officer id)."""
    return {h.org_id: h.officer_id for h in await session.scalars(select(OrgHead))}


async def set_head(
    session: AsyncSession, org_id: str, *, officer_id: str, since: date, by: str
) -> OrgHead:
    """O17 / Art. 27: name (or replace) the head of a node."""
    head = await session.get(OrgHead, org_id)
    if head is None:
        head = OrgHead(org_id=org_id, officer_id=officer_id, since=since, set_by=by)
        session.add(head)
        await flush_keyed(session, "O17", f"the head of {org_id}")
    elif (head.officer_id, head.since) != (officer_id, since):
        head.officer_id, head.since, head.set_by = officer_id, since, by
        head.set_at = datetime.now(UTC)
    await session.flush()
    return head


async def effective(session: AsyncSession, loan: LedgerLoan) -> Effective:
    """O17 / Art. 27: the loan's management officer, else its office head."""
    if loan.management_responsible is not None:
        return Effective(loan.management_responsible, None, None)
    return effective_management(None, loan.org_id, await heads(session))


async def parts_of(session: AsyncSession, loan_id: str) -> list[LoanPart]:
    """O19: the old and new parts of a refinanced loan (empty otherwise), old first."""
    stmt = select(LoanPart).where(LoanPart.loan_id == loan_id).order_by(LoanPart.part.desc())
    return list(await session.scalars(stmt))


def split(loan: LedgerLoan, parts: Sequence[LoanPart]) -> list[tuple[LoanPart, Decimal]]:
    """O19: each part with its pro-rata share of the loan's balance."""
    shares = part_balances(loan.balance, [p.amount for p in parts])
    return list(zip(parts, shares, strict=True))


@dataclass(frozen=True)
class BookEntry:
    """One loan of an officer's book and the balance the officer is responsible for."""

    loan: LedgerLoan
    share: Decimal


async def fallback_loans(session: AsyncSession, officer_id: str) -> list[LedgerLoan]:
    """O17 / Art. 27: loans without a management officer that fall to `officer_id` as head."""
    table = await heads(session)
    nodes = [org for org, head in table.items() if head == officer_id]
    out: list[LedgerLoan] = []
    for node in nodes:
        stmt = select(LedgerLoan).where(
            LedgerLoan.management_responsible.is_(None),
            (LedgerLoan.org_id == node) | LedgerLoan.org_id.startswith(f"{node}/", autoescape=True),
        )
        for loan in await session.scalars(stmt):
            if effective_management(None, loan.org_id, table).officer_id == officer_id:
                out.append(loan)
    return out


async def book(session: AsyncSession, officer_id: str, role: str) -> list[BookEntry]:
    """O17, O19: the loans an officer answers for now and the balance of each it answers for:
    management includes the office-head fallback; first counts only its refinancing part."""
    if role == MANAGEMENT:
        managed = await ledger_service.loans_of(session, officer_id, MANAGEMENT)
        managed += await fallback_loans(session, officer_id)
        unique = {x.loan_id: x for x in managed}
        return [BookEntry(unique[k], unique[k].balance) for k in sorted(unique)]
    loans = {x.loan_id: x for x in await ledger_service.loans_of(session, officer_id, FIRST)}
    stmt = select(LedgerLoan).join(LoanPart, LoanPart.loan_id == LedgerLoan.loan_id)
    for found in await session.scalars(stmt.where(LoanPart.first_responsible == officer_id)):
        loans[found.loan_id] = found
    out = []
    for loan_id in sorted(loans):
        loan = loans[loan_id]
        parts = await parts_of(session, loan_id)
        if not parts:
            out.append(BookEntry(loan, loan.balance))
            continue
        share = sum(
            (b for p, b in split(loan, parts) if p.first_responsible == officer_id), Decimal(0)
        )
        out.append(BookEntry(loan, share))
    return out


async def officer(session: AsyncSession, officer_id: str) -> Officer | None:
    """An officer by id."""
    return await session.get(Officer, officer_id)


def _supersede(rows: Sequence[ManagementAssignment]) -> None:
    for row in rows:
        if row.status == PENDING:
            row.status = SUPERSEDED


async def open_assignments(session: AsyncSession, loan_id: str) -> list[ManagementAssignment]:
    """O17: the loan's assignments still waiting for a signature (outside handovers)."""
    stmt = select(ManagementAssignment).where(
        ManagementAssignment.loan_id == loan_id,
        ManagementAssignment.status == PENDING,
        ManagementAssignment.handover_id.is_(None),
    )
    return list(await session.scalars(stmt))


async def create_batch(
    session: AsyncSession, body: dict[str, Any], loans: Sequence[LedgerLoan], *, by: str
) -> tuple[AssignmentBatch, bool]:
    """O17: a year-start or post-change batch: one pending assignment per loan (an earlier
    pending one of the loan is superseded). A repeat with the same body is a replay."""
    found = await session.get(AssignmentBatch, body["batch_id"])
    if found is not None:
        if found.body != body:
            raise Conflict(f"O17: batch {found.id} exists with another body")
        return found, False
    batch = AssignmentBatch(
        id=body["batch_id"],
        kind=body["kind"],
        effective_on=date.fromisoformat(body["effective_on"]),
        reason=body["reason"],
        body=body,
        requested_by=by,
    )
    session.add(batch)
    await flush_keyed(session, "O17", f"batch {batch.id}")
    for loan, item in zip(loans, body["items"], strict=True):
        _supersede(await open_assignments(session, loan.loan_id))
        session.add(
            ManagementAssignment(
                loan_id=loan.loan_id,
                officer_id=item["officer_id"],
                kind=batch.kind,
                batch_id=batch.id,
                effective_on=batch.effective_on,
                reason=f"O17: {batch.kind} batch {batch.id}: {batch.reason}"[:300],
                status=PENDING,
                requested_by=by,
            )
        )
    await session.flush()
    return batch, True


async def batch_assignments(session: AsyncSession, batch_id: str) -> list[ManagementAssignment]:
    """The assignments of a batch, in creation order."""
    stmt = select(ManagementAssignment).where(ManagementAssignment.batch_id == batch_id)
    return list(await session.scalars(stmt.order_by(ManagementAssignment.id)))


async def officer_assignments(
    session: AsyncSession, officer_id: str, status: str | None, *, limit: int, cursor: str | None
) -> Sequence[ManagementAssignment]:
    """O17: a page (up to `limit + 1` rows) of the assignments offered to an officer
    (optionally of one status), oldest first."""
    stmt = select(ManagementAssignment).where(ManagementAssignment.officer_id == officer_id)
    if status is not None:
        stmt = stmt.where(ManagementAssignment.status == status)
    order = [(ManagementAssignment.id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def accept(
    session: AsyncSession, row: ManagementAssignment, loan: LedgerLoan, *, signer: str
) -> bool:
    """O17: the assigned officer signs; outside a handover the assignment takes effect now
    (history written), a handover's when the handover completes (O18). False on a replay."""
    if row.status == ACCEPTED:
        return False
    if row.status == SUPERSEDED:
        raise Conflict(f"O17: assignment {row.id} was superseded by a later one")
    row.status, row.accepted_by, row.accepted_at = ACCEPTED, signer, datetime.now(UTC)
    if row.handover_id is None:
        await apply(session, row, loan, by=signer)
    await session.flush()
    return True


async def apply(
    session: AsyncSession, row: ManagementAssignment, loan: LedgerLoan, *, by: str
) -> None:
    """O17: an accepted assignment becomes the loan's management responsibility."""
    await ledger_service.reassign_management(
        session,
        loan,
        officer_id=row.officer_id,
        effective_on=row.effective_on,
        reason=row.reason,
        accepted_by=row.accepted_by or row.officer_id,
        by=by,
    )
    row.applied = True


def _history(
    loan_id: str, officer_id: str | None, start: date, *, reason: str, by: str
) -> LoanResponsibility:
    return LoanResponsibility(
        loan_id=loan_id,
        role=FIRST,
        officer_id=officer_id,
        start_on=start,
        source="http",
        reason=reason[:300],
        recorded_by=by,
    )


async def _close_first(
    session: AsyncSession, loan_id: str, officer_id: str | None, on: date
) -> None:
    for period in await ledger_service.responsibility(session, loan_id):
        if period.role == FIRST and period.end_on is None and period.officer_id == officer_id:
            period.end_on = on


def _same_refinance(row: Refinance, body: dict[str, Any]) -> bool:
    return bool(
        row.id == body["refinance_id"]
        and row.loan_id == body["loan_id"]
        and row.case == body["case"]
        and row.old_principal == body["old_principal"]
        and row.old_interest == body["old_interest"]
        and row.new_amount == body["new_amount"]
        and row.handling_officer_id == body["handling_officer_id"]
        and row.approval_ref == body["approval_ref"]
        and row.on_date == body["on"]
    )


async def refinance(
    session: AsyncSession,
    loan: LedgerLoan,
    body: dict[str, Any],
    parts: tuple[Part, Part],
    *,
    by: str,
) -> bool:
    """O19: store the refinancing and the loan's two parts; the loan's first responsible
    officer is the old part's; history gains a first period per part. False on a replay."""
    found = await session.get(Refinance, body["refinance_id"])
    if found is None:
        found = (
            await session.scalars(select(Refinance).where(Refinance.loan_id == loan.loan_id))
        ).first()
    if found is not None:
        if _same_refinance(found, body):
            return False
        raise Conflict(f"O19: loan {found.loan_id} was refinanced already ({found.id})")
    old, new = parts
    on: date = body["on"]
    session.add(
        Refinance(
            id=body["refinance_id"],
            loan_id=loan.loan_id,
            case=body["case"],
            old_principal=body["old_principal"],
            old_interest=body["old_interest"],
            new_amount=body["new_amount"],
            original_officer_id=old.first_responsible,
            handling_officer_id=new.first_responsible,
            approval_ref=body["approval_ref"],
            approved_on=body["approved_on"],
            on_date=on,
            recorded_by=by,
        )
    )
    await flush_keyed(session, "O19", f"refinance {body['refinance_id']}")
    for part in parts:
        session.add(
            LoanPart(
                loan_id=loan.loan_id,
                part=part.part,
                amount=part.amount,
                first_responsible=part.first_responsible,
            )
        )
    await _close_first(session, loan.loan_id, loan.first_responsible, on)
    why = f"O19: refinance {body['refinance_id']} ({body['case']}, approval {body['approval_ref']})"
    session.add(
        _history(
            loan.loan_id, old.first_responsible, on, reason=f"{why}: old part {old.amount}", by=by
        )
    )
    session.add(
        _history(
            loan.loan_id, new.first_responsible, on, reason=f"{why}: new part {new.amount}", by=by
        )
    )
    loan.first_responsible = old.first_responsible
    await session.flush()
    return True


async def waive_first(
    session: AsyncSession, loan: LedgerLoan, body: dict[str, Any], *, by: str
) -> bool:
    """O17 / Art. 19: with head-office approval, a restructured loan whose original officer
    retired or was dismissed keeps only a management officer (the old part's first
    responsible is cleared; history records the approval). False on a replay."""
    found = await session.get(FirstResponsibleWaiver, loan.loan_id)
    if found is not None:
        if (found.approval_ref, found.departure) == (body["approval_ref"], body["departure"]):
            return False
        raise Conflict(f"O17: loan {loan.loan_id} has a waiver already ({found.approval_ref})")
    original = loan.first_responsible
    if original is None:
        raise Conflict(f"O17: loan {loan.loan_id} has no first responsible officer to clear")
    on: date = body["approved_on"]
    session.add(
        FirstResponsibleWaiver(
            loan_id=loan.loan_id,
            officer_id=original,
            departure=body["departure"],
            restructuring_ref=body["restructuring_ref"],
            approval_ref=body["approval_ref"],
            approved_on=on,
            approved_by=by,
        )
    )
    await flush_keyed(session, "O17", f"the waiver of loan {loan.loan_id}")
    for part in await parts_of(session, loan.loan_id):
        if part.part == "old":
            part.first_responsible = None
    await _close_first(session, loan.loan_id, original, on)
    reason = (
        f"O17: head-office approval {body['approval_ref']} ({body['restructuring_ref']}): "
        f"original officer {original} {body['departure']}; only a management officer"
    )
    session.add(_history(loan.loan_id, None, on, reason=reason, by=by))
    loan.first_responsible = None
    await session.flush()
    return True

"""Compensation accounts: load -> plan (funds.py) -> write movements (O30-O31).

Every operation locks the officer row, so concurrent posts for one officer run one after the
other and a deduction never takes more than the balance it saw. An operation id seen before
replays its movements when the request is the same, and is refused (409) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.funds.rules import PAYING, Account, Move, MovementKind
from services.officers.models.funds import FundMovement, FundOperation
from services.officers.models.ledger import LedgerLoan
from services.officers.models.people import Officer
from shared.errors import Conflict
from shared.paging import keyset

ZERO = Decimal(0)
FEN = Decimal("0.01")


@dataclass(frozen=True)
class Posted:
    movements: list[FundMovement]
    replayed: bool


async def lock_officer(session: AsyncSession, officer_id: str) -> None:
    """Serialise operations of one officer (row lock on PostgreSQL; SQLite locks the file)."""
    await session.execute(select(Officer.id).where(Officer.id == officer_id).with_for_update())


async def balances(session: AsyncSession, officer_id: str) -> dict[Account, Decimal]:
    """O30: each account's balance, the sum of its movements."""
    stmt = (
        select(FundMovement.account, func.sum(FundMovement.amount))
        .where(FundMovement.officer_id == officer_id)
        .group_by(FundMovement.account)
    )
    found = {Account(a): Decimal(s) for a, s in (await session.execute(stmt)).all()}
    return {a: found.get(a, ZERO).quantize(FEN) for a in Account}


async def outstanding(session: AsyncSession, officer_id: str) -> list[tuple[str | None, Decimal]]:
    """O30: shortfalls still owed, per loan, oldest first."""
    total = func.sum(FundMovement.amount)
    stmt = (
        select(FundMovement.loan_id, total)
        .where(FundMovement.officer_id == officer_id, FundMovement.account == Account.SHORTFALL)
        .group_by(FundMovement.loan_id)
        .having(total > 0)
        .order_by(func.min(FundMovement.id))
    )
    return [(loan, Decimal(s)) for loan, s in (await session.execute(stmt)).all()]


async def loan_position(
    session: AsyncSession, officer_id: str, loan_id: str
) -> tuple[dict[Account, Decimal], Decimal]:
    """O31: what the paying accounts gave for a loan (net of refunds) and its shortfall."""
    stmt = (
        select(FundMovement.account, func.sum(FundMovement.amount))
        .where(FundMovement.officer_id == officer_id, FundMovement.loan_id == loan_id)
        .group_by(FundMovement.account)
    )
    sums = {Account(a): Decimal(s) for a, s in (await session.execute(stmt)).all()}
    taken = {a: -sums.get(a, ZERO) for a in PAYING}
    return taken, sums.get(Account.SHORTFALL, ZERO)


async def escrow_held(session: AsyncSession, officer_id: str, loan_id: str) -> Decimal:
    """O35: what the escrow account holds for a loan (the sum of its escrow movements)."""
    stmt = select(func.sum(FundMovement.amount)).where(
        FundMovement.officer_id == officer_id,
        FundMovement.loan_id == loan_id,
        FundMovement.account == Account.ESCROW,
    )
    total = (await session.execute(stmt)).scalar_one_or_none()
    return ZERO if total is None else Decimal(total).quantize(FEN)


async def escrow_kept(session: AsyncSession, officer_id: str, loan_id: str) -> bool:
    """O35: whether a loan's escrow was kept after a loss (its buy-out stands)."""
    stmt = select(FundMovement.id).where(
        FundMovement.officer_id == officer_id,
        FundMovement.loan_id == loan_id,
        FundMovement.kind == MovementKind.ESCROW_KEPT,
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def check_escrow_loan(session: AsyncSession, officer_id: str, loan_id: str) -> None:
    """O35: a loan the ledger knows must be this officer's mortgage loan in disposal (a loan
    older than the ledger is taken as the caller states it)."""
    loan = await session.get(LedgerLoan, loan_id)
    if loan is None:
        return
    if loan.first_responsible != officer_id:
        raise Conflict(f"O35: loan {loan_id} is not first-responsible to {officer_id}")
    if loan.collateral != "mortgage" or not loan.in_disposal:
        raise Conflict(
            f"O35: loan {loan_id} is not a mortgage loan in litigation or disposal "
            f"({loan.collateral}, in_disposal={loan.in_disposal})"
        )


async def find_operation(
    session: AsyncSession, officer_id: str, operation_id: str, request: dict[str, Any]
) -> Posted | None:
    """A replay of a stored operation, or None; 409 when the id was used for another request."""
    op = await session.get(FundOperation, (officer_id, operation_id))
    if op is None:
        return None
    if op.request != request:
        raise Conflict(f"O30: operation {operation_id} was already posted with other values")
    stmt = (
        select(FundMovement)
        .where(FundMovement.officer_id == officer_id, FundMovement.operation_id == operation_id)
        .order_by(FundMovement.id)
    )
    return Posted(list(await session.scalars(stmt)), True)


async def write(
    session: AsyncSession,
    *,
    officer_id: str,
    operation_id: str,
    kind: MovementKind,
    request: dict[str, Any],
    moves: Sequence[Move],
    on: date,
    reference: str,
    by: str,
) -> Posted:
    """Store the operation and its movements (nothing else changes any balance)."""
    session.add(
        FundOperation(
            officer_id=officer_id,
            operation_id=operation_id,
            kind=kind.value,
            request=request,
            recorded_by=by,
        )
    )
    await session.flush()
    rows = [
        FundMovement(
            officer_id=officer_id,
            operation_id=operation_id,
            account=m.account.value,
            kind=m.kind.value,
            amount=m.amount.quantize(FEN),  # exact: inputs are whole fen
            loan_id=m.loan_id,
            on=on,
            reference=reference,
        )
        for m in moves
    ]
    session.add_all(rows)
    await session.flush()
    return Posted(rows, False)


async def statement(
    session: AsyncSession, officer_id: str, *, limit: int, cursor: str | None
) -> Sequence[FundMovement]:
    """A page (up to `limit + 1` rows) of the movements of the officer's accounts, in posting
    order."""
    stmt = select(FundMovement).where(FundMovement.officer_id == officer_id)
    order = [(FundMovement.id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()

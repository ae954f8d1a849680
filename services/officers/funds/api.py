"""Routes of the compensation accounts (O30-O31, O35): deposits, deductions with shortfall
carried forward, refunds, the escrow of a retiree's mortgage loans in disposal, and the
statement. Every post carries the caller's `operation_id`: a retry
with the same body replays (200), another body under the same id is a 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from services.officers.deps import OfficerId, RuleRoute, rule, visible_officer
from services.officers.funds import service as funds_service
from services.officers.funds.rules import (
    Account,
    Move,
    MovementKind,
    plan_deduction,
    plan_deposit,
    plan_escrow,
    plan_escrow_release,
    plan_refund,
    refundable,
)
from services.officers.funds.schemas import (
    BalancesRead,
    DeductionIn,
    DepositIn,
    EscrowIn,
    EscrowReleaseIn,
    MovementRead,
    PostedRead,
    RefundIn,
    StatementRead,
    _In,
)
from services.officers.funds.service import Posted
from shared.auth import Caller, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import Conflict, InvalidInput
from shared.openapi import also
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
FundsWriterDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE, Role.RISK))]


# A retry with the same operation_id is a replay: 200 with the first answer.
REPLAYED = also(200, model=PostedRead, description="a replay of the same operation_id")


def _balances(b: dict[Account, Decimal]) -> BalancesRead:
    return BalancesRead(
        risk_fund=b[Account.RISK_FUND],
        post_deposit=b[Account.POST_DEPOSIT],
        shortfall=b[Account.SHORTFALL],
        escrow=b[Account.ESCROW],
    )


async def _answer(
    session: SessionDep, officer_id: str, operation_id: str, posted: Posted, response: Response
) -> PostedRead:
    response.status_code = 200 if posted.replayed else 201
    return PostedRead(
        operation_id=operation_id,
        replayed=posted.replayed,
        movements=[MovementRead.model_validate(m) for m in posted.movements],
        balances=_balances(await funds_service.balances(session, officer_id)),
    )


async def _post(
    session: SessionDep,
    caller: Caller,
    officer_id: str,
    body: Any,
    response: Response,
    kind: MovementKind,
    plan: Callable[[], Awaitable[list[Move]]],
    extra: dict[str, Any] | None = None,
) -> PostedRead:
    """Post one operation's movements once: a retry with the same operation id replays it
    (`extra`: request parts outside the body, e.g. a path id, that a replay must match)."""
    request, posted = await _begin(session, caller, officer_id, body, extra)
    if posted is None:
        posted = await funds_service.write(
            session,
            officer_id=officer_id,
            operation_id=body.operation_id,
            kind=kind,
            request=request,
            moves=await plan(),
            on=body.on,
            reference=body.reference,
            by=caller.subject,
        )
    return await _answer(session, officer_id, body.operation_id, posted, response)


async def _begin(
    session: SessionDep, caller: Caller, officer_id: str, body: _In, extra: dict[str, Any] | None
) -> tuple[dict[str, Any], Posted | None]:
    await visible_officer(session, caller, officer_id)
    await funds_service.lock_officer(session, officer_id)
    request = body.model_dump(mode="json") | (extra or {})
    return request, await funds_service.find_operation(
        session, officer_id, body.operation_id, request
    )


@router.post(
    "/officers/{officer_id}/funds/deposits",
    status_code=201,
    responses=REPLAYED,
    response_model=PostedRead,
    tags=["funds"],
    openapi_extra=rule("O30"),
)
async def post_deposit(
    session: SessionDep,
    caller: FundsWriterDep,
    officer_id: OfficerId,
    body: DepositIn,
    response: Response,
) -> PostedRead:
    """O30: credit the risk fund or the post deposit; outstanding shortfalls are taken from
    it first, oldest first."""

    async def plan() -> list[Move]:
        owed = await funds_service.outstanding(session, officer_id)
        return plan_deposit(Account(body.account), body.amount, owed)

    return await _post(session, caller, officer_id, body, response, MovementKind.DEPOSIT, plan)


@router.post(
    "/officers/{officer_id}/funds/deductions",
    status_code=201,
    responses=REPLAYED,
    response_model=PostedRead,
    tags=["funds"],
    openapi_extra=rule("O30"),
)
async def post_deduction(
    session: SessionDep,
    caller: FundsWriterDep,
    officer_id: OfficerId,
    body: DeductionIn,
    response: Response,
) -> PostedRead:
    """O30: take a compensation from the risk fund, then the post deposit; the rest is a
    shortfall carried forward to later deposits."""

    async def plan() -> list[Move]:
        current = await funds_service.balances(session, officer_id)
        return plan_deduction(current, body.amount, body.loan_id)

    return await _post(session, caller, officer_id, body, response, MovementKind.DEDUCTION, plan)


@router.post(
    "/officers/{officer_id}/funds/refunds",
    status_code=201,
    responses=REPLAYED,
    response_model=PostedRead,
    tags=["funds"],
    openapi_extra=rule("O31"),
)
async def post_refund(
    session: SessionDep,
    caller: FundsWriterDep,
    officer_id: OfficerId,
    body: RefundIn,
    response: Response,
) -> PostedRead:
    """O31: a repaid loan's deductions go back to the accounts they came from (and its
    outstanding shortfall is cancelled), except for an unsecured loan that became NPL or was
    over a year in interest arrears (409 naming O31)."""

    async def plan() -> list[Move]:
        ok, why = refundable(
            body.collateral,
            became_npl=body.became_npl,
            interest_arrears_over_year=body.interest_arrears_over_year,
        )
        if not ok:
            raise Conflict(why)
        if await funds_service.escrow_held(session, officer_id, body.loan_id) > 0:
            raise Conflict(f"O35: loan {body.loan_id} is in escrow: release it when disposal ends")
        if await funds_service.escrow_kept(session, officer_id, body.loan_id):
            raise Conflict(f"O35: loan {body.loan_id} ended with a loss: its buy-out stands")
        taken, owed = await funds_service.loan_position(session, officer_id, body.loan_id)
        moves = plan_refund(taken, owed, body.loan_id)
        if not moves:
            raise Conflict(f"O31: nothing was deducted for loan {body.loan_id}, or it was refunded")
        return moves

    return await _post(session, caller, officer_id, body, response, MovementKind.REFUND, plan)


@router.post(
    "/officers/{officer_id}/funds/escrow",
    status_code=201,
    responses=REPLAYED,
    response_model=PostedRead,
    tags=["funds"],
    openapi_extra=rule("O35"),
)
async def post_escrow(
    session: SessionDep,
    caller: FundsWriterDep,
    officer_id: OfficerId,
    body: EscrowIn,
    response: Response,
) -> PostedRead:
    """O35: a retiree's mortgage loans still in litigation or disposal are bought out into
    escrow, paid from the risk fund, then the post deposit, then the retirement year's
    performance pay; what they cannot cover is a shortfall carried forward (O30). A loan
    already in escrow, or one the ledger shows is not this officer's mortgage in disposal, is a
    409 naming O35."""
    ids = [x.loan_id for x in body.loans]
    for i, loan_id in enumerate(ids):
        if loan_id in ids[:i]:
            raise InvalidInput(
                f"duplicate loan_id {loan_id!r}", pointer=f"/loans/{i}/loan_id", rule="O35"
            )

    async def plan() -> list[Move]:
        for loan_id in ids:
            if await funds_service.escrow_held(session, officer_id, loan_id) > 0:
                raise Conflict(f"O35: loan {loan_id} is already in escrow")
            await funds_service.check_escrow_loan(session, officer_id, loan_id)
        current = await funds_service.balances(session, officer_id)
        loans = [(x.loan_id, x.amount) for x in body.loans]
        return plan_escrow(current, loans, body.performance_pay).moves

    return await _post(session, caller, officer_id, body, response, MovementKind.ESCROW_IN, plan)


@router.post(
    "/officers/{officer_id}/funds/escrow/{loan_id}/release",
    status_code=201,
    responses=REPLAYED,
    response_model=PostedRead,
    tags=["funds"],
    openapi_extra=rule("O35"),
)
async def post_escrow_release(
    session: SessionDep,
    caller: FundsWriterDep,
    officer_id: OfficerId,
    loan_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: EscrowReleaseIn,
    response: Response,
) -> PostedRead:
    """O35: disposal of a loan in escrow ended. `no_loss`: the escrow is refunded and every
    account gets back what it gave for the loan (its outstanding shortfall is cancelled);
    `loss`: the escrow is kept, the buy-out stands. Nothing in escrow is a 409 naming O35."""
    if body.outcome == "no_loss" and body.loss is not None:
        raise InvalidInput("a loss amount needs outcome 'loss'", pointer="/loss", rule="O35")

    async def plan() -> list[Move]:
        held = await funds_service.escrow_held(session, officer_id, loan_id)
        if held <= 0:
            raise Conflict(f"O35: nothing is held in escrow for loan {loan_id}")
        taken, owed = await funds_service.loan_position(session, officer_id, loan_id)
        return plan_escrow_release(held, taken, owed, loan_id, loss=body.outcome == "loss")

    kind = MovementKind.ESCROW_KEPT if body.outcome == "loss" else MovementKind.ESCROW_RELEASE
    return await _post(
        session, caller, officer_id, body, response, kind, plan, extra={"loan_id": loan_id}
    )


@router.get("/officers/{officer_id}/funds", response_model=StatementRead, tags=["funds"])
async def get_statement(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> StatementRead:
    """O30: the officer's account balances and every movement behind them, in posting order,
    a page at a time (`items`, `next_cursor`; issue 13)."""
    await visible_officer(session, caller, officer_id)
    rows = await funds_service.statement(session, officer_id, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda m: (m.id,))
    return StatementRead(
        officer_id=officer_id,
        balances=_balances(await funds_service.balances(session, officer_id)),
        items=[MovementRead.model_validate(m) for m in page],
        next_cursor=after,
    )

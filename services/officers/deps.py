"""Pieces every officers router shares: role dependencies, the bank's date, rule errors, and the
load-or-404 of an officer or a ledger loan in the caller's subtree.

`RuleRoute` makes FastAPI's own validation errors name the spec rule of the route (declared
with `openapi_extra=rule("O2")`), so a malformed body is a 422 naming the field and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from services.officers.kernel.rules import RuleError
from services.officers.models.ledger import LedgerLoan
from services.officers.models.people import Officer
from services.officers.org import store
from shared.auth import Caller, Role, allow
from shared.db import SessionDep
from shared.errors import Conflict, InvalidInput, NotFound, validation_errors
from shared.events import Id

HeadOfficeDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE))]
StaffDep = Annotated[Caller, Depends(allow(Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE))]
SubBranchDep = Annotated[Caller, Depends(allow(Role.SUB_BRANCH))]
RiskDep = Annotated[Caller, Depends(allow(Role.RISK))]
CommitteeDep = Annotated[Caller, Depends(allow(Role.COMMITTEE))]
# A stored row id: an INTEGER column on PostgreSQL, so larger ids are refused as input.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

OfficerId = Annotated[Id, Path()]
LoanId = Annotated[Id, Path()]


def rule(name: str) -> dict[str, Any]:
    """`openapi_extra` naming the rule a route's validation errors cite."""
    return {"x-rule": name}


class RuleRoute(APIRoute):
    """An APIRoute whose request-validation errors cite the route's rule (`x-rule`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        name = (self.openapi_extra or {}).get("x-rule")
        if not name:
            return handler

        async def cited(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise ruled_validation_error(exc, str(name)) from None

        return cited


def ruled_validation_error(exc: RequestValidationError, name: str) -> InvalidInput:
    """A 422 whose every error starts with the rule."""
    errors = [
        {"pointer": e["pointer"], "detail": f"{name}: {e['detail']}"}
        for e in validation_errors(exc)
    ]
    detail = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in errors[:5])
    return InvalidInput(detail, errors=errors)


def today_in(settings: Any) -> date:
    """Today in the bank's time zone of `settings` (`time_zone`)."""
    return datetime.now(ZoneInfo(settings.time_zone)).date()


async def bank_today(request: Request) -> date:
    """Today in the bank's time zone (deadline and effective-date rules use it)."""
    return today_in(request.app.state.settings)


TodayDep = Annotated[date, Depends(bank_today)]


def now_utc() -> datetime:
    """The recording time of a step."""
    return datetime.now(UTC)


def invalid(exc: RuleError) -> InvalidInput:
    """A rule refuses an input value: 422 naming the field and the rule."""
    return InvalidInput(exc.detail, pointer=exc.field or "", rule=exc.rule)


def conflict(exc: RuleError) -> Conflict:
    """A rule refuses a step in the current state: 409 naming the rule."""
    return Conflict(f"{exc.rule}: {exc.detail}")


def idempotency_key(caller: Caller, header: str | None) -> str | None:
    """The stored form of an `Idempotency-Key`: scoped to the credential that sent it."""
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > 200:
        raise InvalidInput(
            "Idempotency-Key must be 1-200 characters", pointer="#header/idempotency-key"
        )
    return f"{caller.credential_id}:{key}"


async def visible_officer(session: SessionDep, caller: Caller, officer_id: str) -> Officer:
    """The officer when it lies in the caller's subtree; 404 otherwise (G4)."""
    officer = await store.get_officer(session, officer_id)
    if officer is None or not caller.sees(officer.org_id):
        raise NotFound(f"officer {officer_id} does not exist")
    return officer


async def visible_loan(session: SessionDep, caller: Caller, loan_id: str) -> LedgerLoan:
    """The loan when it lies in the caller's subtree; 404 otherwise."""
    loan = await session.get(LedgerLoan, loan_id)
    if loan is None or not caller.sees(loan.org_id):
        raise NotFound(f"loan {loan_id} is not in the ledger")
    return loan

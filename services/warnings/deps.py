"""Dependencies of the warnings service: roles, the clock, a warning loaded within scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Request

from services.warnings.models import EarlyWarning
from services.warnings.service import lock_warning
from shared.auth import Caller, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import NotFound
from shared.outbox import Outbox

ReporterDep = Annotated[
    Caller,
    Depends(allow(Role.OFFICER, Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE, Role.RISK)),
]
ManagerDep = Annotated[Caller, Depends(allow(Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE))]
ResolverDep = Annotated[
    Caller, Depends(allow(Role.SUB_BRANCH, Role.BRANCH, Role.HEAD_OFFICE, Role.RISK))
]
HeadOfficeDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE, Role.RISK))]
BranchDep = Annotated[Caller, Depends(allow(Role.BRANCH))]


async def now(request: Request) -> datetime:
    """The service clock (tests move it)."""
    moment: datetime = request.app.state.clock.now()
    return moment


async def clock(request: Request) -> Callable[[], datetime]:
    """The service clock itself: a polled read's kept validator reads it again on a repeat."""
    read: Callable[[], datetime] = request.app.state.clock.now
    return read


async def tz(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.tz
    return zone


async def due_soon(request: Request) -> timedelta:
    """The dashboard's 'due soon' window of this process's settings."""
    return timedelta(hours=request.app.state.settings.due_soon_hours)


NowDep = Annotated[datetime, Depends(now)]
ClockDep = Annotated[Callable[[], datetime], Depends(clock)]
TzDep = Annotated[ZoneInfo, Depends(tz)]
DueSoonDep = Annotated[timedelta, Depends(due_soon)]


async def scoped_warning(
    session: SessionDep,
    caller: ReaderDep,
    warning_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> EarlyWarning:
    """The warning, if it lies in the caller's subtree; 404 otherwise (nothing leaks, G4)."""
    warning = await session.get(EarlyWarning, warning_id)
    if warning is None or not caller.sees(warning.org):
        raise NotFound(f"warning {warning_id} does not exist")
    return warning


async def warning_to_change(
    session: SessionDep,
    caller: ReaderDep,
    warning_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> EarlyWarning:
    """The warning a lifecycle action changes (W10-W12), as it is now: its entity locks are
    taken first (as event batches about its borrower and loan take them, so the two never
    interleave nor deadlock), then the row is read again under its row lock."""
    found = await session.get(EarlyWarning, warning_id)
    if found is None or not caller.sees(found.org):
        raise NotFound(f"warning {warning_id} does not exist")
    await lock_warning(session, found.loan_id, found.borrower_id)
    warning = await session.get(
        EarlyWarning, warning_id, with_for_update=True, populate_existing=True
    )
    if warning is None:
        raise NotFound(f"warning {warning_id} does not exist")
    return warning


WarningDep = Annotated[EarlyWarning, Depends(scoped_warning)]
WarningToChangeDep = Annotated[EarlyWarning, Depends(warning_to_change)]


async def get_outbox(request: Request) -> Outbox | None:
    """Where warning changes go out (W16); None before the app has started."""
    outbox: Outbox | None = getattr(request.app.state, "outbox", None)
    return outbox


OutboxDep = Annotated[Outbox | None, Depends(get_outbox)]

"""HTTP routes of the warnings themselves: list, detail, lifecycle actions (W9-W13)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from services.warnings import queries, workflow
from services.warnings.deps import (
    ClockDep,
    ManagerDep,
    NowDep,
    OutboxDep,
    ReporterDep,
    ResolverDep,
    TzDep,
    WarningDep,
    WarningToChangeDep,
)
from services.warnings.publish import publish
from services.warnings.schemas import (
    HistoryRead,
    MitigationCreate,
    ReportCreate,
    ReportRead,
    ResolveCreate,
    UpdateCreate,
    UpdateRead,
    WarningCreate,
    WarningDetail,
    WarningPage,
    WarningRead,
)
from shared.auth import Caller, Forbidden, ReaderDep, Role, narrowest
from shared.db import SessionDep
from shared.etag import PolledReadDep, not_modified
from shared.org import OrgPath
from shared.paging import MAX_LIMIT

router = APIRouter(prefix="/v1/warnings", tags=["warnings"])

StateFilter = Literal[
    "open",
    "raised",
    "reported_to_branch",
    "reported_to_head_office",
    "under_mitigation",
    "resolved",
    "written_off",
]


@router.get("", response_model=WarningPage)
async def list_warnings(
    reads: PolledReadDep,
    caller: ReaderDep,
    clock: ClockDep,
    response: Response,
    state: Annotated[StateFilter | None, Query()] = None,
    level: Annotated[Literal["yellow", "orange", "red"] | None, Query()] = None,
    org: Annotated[OrgPath | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    if_none_match: Annotated[str | None, Header()] = None,
) -> WarningPage | Response:
    """Warnings in the caller's subtree, newest first, cursor-paginated; ETag for polling."""
    f = queries.WarningFilter(org=narrowest(caller, org), state=state, level=level, overdue=overdue)
    now = clock()
    if queries.has_validator(f):

        async def tag_at(at: datetime) -> str:
            return await queries.etag(reads, "warnings", f.org, at, f, cursor, limit)

        tag = await reads.tag(caller, tag_at, now, clock)
        if (unchanged := not_modified(if_none_match, tag)) is not None:
            return unchanged
        response.headers["ETag"] = tag
    async with reads.session() as session:
        rows, next_cursor = await queries.list_warnings(
            session, f, now=now, cursor=cursor, limit=limit
        )
    return WarningPage(items=[WarningRead.model_validate(w) for w in rows], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=WarningRead)
async def raise_warning(
    body: WarningCreate,
    session: SessionDep,
    caller: ReporterDep,
    now: NowDep,
    tz: TzDep,
    outbox: OutboxDep,
) -> WarningRead:
    """W9: raise a warning by hand (officers, or head office from inspections)."""
    if not caller.sees(body.org):
        raise Forbidden(f"G4: /org: {body.org} is outside your subtree {caller.org}")
    warning, changes = await workflow.raise_by_hand(session, body, caller=caller, now=now, tz=tz)
    await publish(outbox, session, changes, now)
    return WarningRead.model_validate(warning)


@router.get("/{warning_id}", response_model=WarningDetail)
async def get_warning(warning: WarningDep, session: SessionDep) -> WarningDetail:
    """One warning with its full history, reports and monthly updates."""
    history, reports, updates = await queries.detail(session, warning.id)
    return WarningDetail(
        **WarningRead.model_validate(warning).model_dump(),
        history=[HistoryRead.model_validate(h) for h in history],
        reports=[ReportRead.model_validate(r) for r in reports],
        updates=[UpdateRead.model_validate(u) for u in updates],
    )


@router.post("/{warning_id}/reports", response_model=WarningRead)
async def report(
    body: ReportCreate,
    warning: WarningToChangeDep,
    session: SessionDep,
    caller: ReporterDep,
    now: NowDep,
    tz: TzDep,
    outbox: OutboxDep,
) -> WarningRead:
    """W10/W12: report to the branch (sub-branch) or to head office (branch)."""
    _may_report(caller, body.step)
    await workflow.report(session, warning, body, caller=caller, now=now, tz=tz)
    await publish(outbox, session, [(warning, "warning.reported")], now)
    return WarningRead.model_validate(warning)


def _may_report(caller: Caller, step: str) -> None:
    if step == "head_office" and not caller.has_any([Role.BRANCH, Role.HEAD_OFFICE, Role.RISK]):
        raise Forbidden("G3: the branch reports to head office (W7, W8)")


@router.post("/{warning_id}/updates", response_model=WarningRead)
async def add_update(
    body: UpdateCreate,
    warning: WarningToChangeDep,
    session: SessionDep,
    caller: ReporterDep,
    now: NowDep,
    tz: TzDep,
) -> WarningRead:
    """W11: the written monthly progress update."""
    await workflow.add_update(session, warning, body, caller=caller, now=now, tz=tz)
    return WarningRead.model_validate(warning)


@router.post("/{warning_id}/mitigation", response_model=WarningRead)
async def mitigate(
    body: MitigationCreate,
    warning: WarningToChangeDep,
    session: SessionDep,
    caller: ManagerDep,
    now: NowDep,
) -> WarningRead:
    """W11: form the mitigation team (red: with the branch principal head)."""
    await workflow.mitigate(session, warning, body, caller=caller, now=now)
    return WarningRead.model_validate(warning)


@router.post("/{warning_id}/resolve", response_model=WarningRead)
async def resolve(
    body: ResolveCreate,
    warning: WarningToChangeDep,
    session: SessionDep,
    caller: ResolverDep,
    now: NowDep,
    outbox: OutboxDep,
) -> WarningRead:
    """W10: resolve with a reason, or close as written off."""
    await workflow.resolve(session, warning, body, caller=caller, now=now)
    await publish(outbox, session, [(warning, "warning.resolved")], now)
    return WarningRead.model_validate(warning)

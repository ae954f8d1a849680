"""HTTP routes around the warnings: deadlines, summary, sweeps, notices, policies (W5-W15)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from sqlalchemy import or_, select

from services.warnings import policies, queries, store, sweeps
from services.warnings.deadlines import compute_deadlines
from services.warnings.deps import (
    BranchDep,
    ClockDep,
    DueSoonDep,
    HeadOfficeDep,
    NowDep,
    TzDep,
)
from services.warnings.models import CheckTask, Notice, NoticeRecipient
from services.warnings.schemas import (
    CheckTaskRead,
    DeadlineCompute,
    DeadlineComputed,
    DeadlinePage,
    EscalationPage,
    NoticeCreate,
    NoticeRead,
    NoticeRecipientRead,
    PolicyRead,
    Summary,
    SweepResult,
)
from services.warnings.vocabulary import RuleInputError, WarningKind
from shared.auth import Caller, ReaderDep, Role, allow, narrowest
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.etag import PolledReadDep, not_modified
from shared.org import OrgPath, is_within
from shared.paging import DEFAULT_LIMIT, Cursor, Limit

router = APIRouter(prefix="/v1")
PolicyName = Literal["levels", "deadlines"]
OperatorDep = Annotated[Caller, Depends(allow(Role.HEAD_OFFICE, Role.RISK))]


@router.get("/deadlines", response_model=DeadlinePage, tags=["deadlines"])
async def list_deadlines(
    reads: PolledReadDep,
    caller: ReaderDep,
    clock: ClockDep,
    response: Response,
    org: Annotated[OrgPath | None, Query()] = None,
    due_before: Annotated[
        str | None, Query(max_length=64, description="ISO 8601 timestamp with a zone")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    if_none_match: Annotated[str | None, Header()] = None,
) -> DeadlinePage | Response:
    """W13: reports due or overdue in the subtree, soonest first, a page at a time (the first
    page without parameters; `next_cursor` pages on); ETag for polling."""
    before = _aware(due_before, "#query/due_before") if due_before is not None else None
    root = narrowest(caller, org)
    now = clock()

    async def tag_at(at: datetime) -> str:
        return await queries.etag(reads, "deadlines", root, at, due_before, cursor, limit)

    tag = await reads.tag(caller, tag_at, now, clock)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    async with reads.session() as session:
        items, next_cursor = await queries.pending_reports(
            session, org=root, now=now, due_before=before, cursor=cursor, limit=limit
        )
    response.headers["ETag"] = tag
    return DeadlinePage(items=items, next_cursor=next_cursor)


@router.get("/escalations", response_model=EscalationPage, tags=["dashboard"])
async def list_escalations(
    reads: PolledReadDep,
    caller: ReaderDep,
    clock: ClockDep,
    response: Response,
    org: Annotated[OrgPath | None, Query()] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 8,
    if_none_match: Annotated[str | None, Header()] = None,
) -> EscalationPage | Response:
    """W4: the latest escalations of the subtree's open warnings, newest first (the dashboard
    reads them here instead of each warning's history); ETag for polling."""
    root = narrowest(caller, org)

    async def tag_at(at: datetime) -> str:
        return await queries.etag(reads, "escalations", root, at, cursor, limit)

    tag = await reads.tag(caller, tag_at, clock(), clock)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    async with reads.session() as session:
        items, next_cursor = await queries.escalations(
            session, org=root, cursor=cursor, limit=limit
        )
    response.headers["ETag"] = tag
    return EscalationPage(items=items, next_cursor=next_cursor)


def _aware(value: str, pointer: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("not an ISO 8601 timestamp", pointer=pointer) from None
    if moment.tzinfo is None:
        raise InvalidInput("needs a time zone", pointer=pointer)
    return moment


@router.post("/deadlines/compute", response_model=DeadlineComputed, tags=["deadlines"])
async def compute(
    body: DeadlineCompute, session: SessionDep, caller: ReaderDep, tz: TzDep
) -> DeadlineComputed:
    """W5-W8 what-if: the deadlines a warning would get; stores nothing."""
    del caller
    rules = await policies.load(session)
    try:
        result = compute_deadlines(
            WarningKind(body.kind),
            body.amount,
            body.discovered_at,
            maturity_date=body.maturity_date,
            branch_reported_at=body.branch_reported_at,
            tz=tz,
            policy=rules.deadlines,
        )
    except RuleInputError as exc:
        raise InvalidInput(exc.detail, pointer=f"/{exc.field}", rule=exc.rule) from None
    return DeadlineComputed(
        branch_deadline=result.branch_deadline,
        head_office_required=result.head_office_required,
        head_office_deadline=result.head_office_deadline,
    )


@router.get("/summary", response_model=Summary, tags=["dashboard"])
async def summary(
    reads: PolledReadDep,
    caller: ReaderDep,
    clock: ClockDep,
    soon: DueSoonDep,
    response: Response,
    org: Annotated[OrgPath | None, Query()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Summary | Response:
    """Dashboard tiles for the subtree: open by level and state, overdue, due soon, per branch
    (kept counts: the same cost at any size); ETag for polling."""
    root = narrowest(caller, org)
    now = clock()

    async def tag_at(at: datetime) -> str:
        return await queries.summary_etag(reads, root, at, soon)

    tag = await reads.tag(caller, tag_at, now, clock)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    async with reads.session() as session:
        data = await queries.summary(session, org=root, now=now)
    response.headers["ETag"] = tag
    return Summary.model_validate(data)


@router.post("/sweeps/run", response_model=SweepResult, tags=["sweeps"])
async def run_sweep(request: Request, caller: OperatorDep, now: NowDep, tz: TzDep) -> SweepResult:
    """W14: run the sweep now (it also runs on a timer)."""
    del caller
    return await sweeps.sweep(request.app.state.sessionmaker, now=now, tz=tz)


@router.get("/check-tasks", response_model=list[CheckTaskRead], tags=["sweeps"])
async def check_tasks(
    session: SessionDep,
    caller: ReaderDep,
    org: Annotated[OrgPath | None, Query()] = None,
    open_only: Annotated[bool, Query(alias="open")] = True,
) -> list[CheckTaskRead]:
    """W14a: pre-maturity checks due in the subtree, soonest maturity first."""
    root = narrowest(caller, org)
    stmt = select(CheckTask).where(
        or_(CheckTask.org == root, CheckTask.org.startswith(root + "/", autoescape=True))
    )
    if open_only:
        stmt = stmt.where(CheckTask.done_at.is_(None))
    rows = await session.scalars(stmt.order_by(CheckTask.maturity_date, CheckTask.loan_id))
    return [CheckTaskRead.model_validate(r) for r in rows]


@router.post("/notices", status_code=201, response_model=NoticeRead, tags=["notices"])
async def create_notice(
    body: NoticeCreate, session: SessionDep, caller: HeadOfficeDep, now: NowDep
) -> NoticeRead:
    """W15: head office sends a system, group or industry risk notice to chosen branches."""
    notice = Notice(
        id=uuid.uuid4().hex,
        scope=body.scope,
        title=body.title,
        body=body.body,
        created_at=now,
        created_by=caller.subject,
    )
    session.add(notice)
    await session.flush()
    for branch in dict.fromkeys(body.branches):
        session.add(NoticeRecipient(notice_id=notice.id, branch=branch))
    await session.flush()
    return await _notice(session, notice, caller)


async def _notice(session: SessionDep, notice: Notice, caller: Caller) -> NoticeRead:
    recipients = await session.scalars(
        select(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice.id)
        .order_by(NoticeRecipient.branch)
    )
    visible = [r for r in recipients if caller.sees(r.branch) or is_within(caller.org, r.branch)]
    return NoticeRead(
        id=notice.id,
        scope=notice.scope,
        title=notice.title,
        body=notice.body,
        created_at=notice.created_at,
        created_by=notice.created_by,
        recipients=[NoticeRecipientRead.model_validate(r) for r in visible],
    )


@router.get("/notices", response_model=list[NoticeRead], tags=["notices"])
async def list_notices(session: SessionDep, caller: ReaderDep) -> list[NoticeRead]:
    """W15: the notices sent to the caller's branch (head office: all), newest first."""
    notices = await session.scalars(select(Notice).order_by(Notice.created_at.desc()))
    out = [await _notice(session, n, caller) for n in notices]
    return [n for n in out if n.recipients or caller.org == "HO"]


@router.post("/notices/{notice_id}/ack", response_model=NoticeRead, tags=["notices"])
async def acknowledge(
    session: SessionDep,
    caller: BranchDep,
    now: NowDep,
    notice_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> NoticeRead:
    """W15: the branch acknowledges a notice sent to it."""
    notice = await session.get(Notice, notice_id)
    recipient = await session.get(NoticeRecipient, (notice_id, caller.org))
    if notice is None or recipient is None:
        raise NotFound(f"notice {notice_id} was not sent to {caller.org}")
    if recipient.acknowledged_at is None:
        recipient.acknowledged_at, recipient.acknowledged_by = now, caller.subject
    await session.flush()
    return await _notice(session, notice, caller)


@router.get("/policies/{name}", response_model=PolicyRead, tags=["policies"])
async def get_policy(session: SessionDep, caller: ReaderDep, name: PolicyName) -> PolicyRead:
    """The company's W4 level rules or W5-W8 deadline parameters in force."""
    del caller
    row = await store.get_policy(session, name)
    return PolicyRead(
        name=name, version=row.version if row else 0, document=policies.current(name, row)
    )


@router.put("/policies/{name}", response_model=PolicyRead, tags=["policies"])
async def put_policy(
    session: SessionDep,
    caller: OperatorDep,
    now: NowDep,
    name: PolicyName,
    document: Annotated[dict[str, Any], Body()],
) -> PolicyRead:
    """Replace a policy (validated; errors name the field and rule). Applies to new warnings."""
    row = await policies.replace(session, name, document, by=caller.subject, now=now)
    return PolicyRead(name=name, version=row.version, document=row.document)

"""HTTP routes for stored yearly grading runs (O13-O15): create over the recorded figures,
progress, results with breakdown, verify, recompute, propose / approve / reopen."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from services.officers.deps import (
    HeadOfficeDep,
    RowId,
    RuleRoute,
    StaffDep,
    SubBranchDep,
    TodayDep,
    idempotency_key,
    now_utc,
    rule,
)
from services.officers.grading import runs as grading_runs
from services.officers.grading import store as store_grading
from services.officers.grading.jobs import GradingJobs, Snapshot
from services.officers.grading.run import RunAction
from services.officers.grading.schemas import RunCreate, RunRead, RunStepIn, VerifyRead
from shared.app import get_sessionmaker
from shared.auth import Caller, ReaderDep, narrowest
from shared.db import SessionDep
from shared.errors import InvalidInput
from shared.openapi import also
from shared.org import OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

# Served under `grading.api.router` (prefix /v1).
router = APIRouter(prefix="/grading/runs", tags=["grading runs"], route_class=RuleRoute)
RunId = RowId
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
Wait = Annotated[bool, Query(description="answer once the results are stored")]


def _jobs(request: Request) -> GradingJobs:
    jobs: GradingJobs = request.app.state.grading_jobs
    return jobs


async def _start_and_read(
    request: Request, run_id: int, snap: Snapshot, *, wait: bool, response: Response
) -> RunRead:
    task = _jobs(request).start(run_id, snap)
    if wait:
        await asyncio.shield(task)
    maker = get_sessionmaker(request)
    async with maker() as session:
        run = await store_grading.get_run(session, run_id)
        assert run is not None
        read = await grading_runs.read(session, run, now=now_utc())
    response.status_code = 201 if read.progress.state == "done" else 202
    response.headers["Location"] = f"/v1/grading/runs/{run_id}"
    return read


@router.post(
    "",
    status_code=202,
    response_model=RunRead,
    openapi_extra=rule("O15"),
    responses=also(200, 201, model=RunRead, description="201 done (?wait=true); 200 a replay"),
)
async def create_run(
    request: Request,
    data: RunCreate,
    caller: StaffDep,
    today: TodayDep,
    response: Response,
    key: KeyHeader = None,
    wait: Wait = False,
) -> RunRead:
    """O15: a draft run for a closed year over the officers' recorded figures, in a subtree
    (default: the caller's) or one county. It answers at once (202) and computes in the
    background; `GET` shows `progress` (done / total). `?wait=true` answers when done (201).
    A repeat with the same `Idempotency-Key` returns the first run (200)."""
    stored_key = idempotency_key(caller, key)
    maker = get_sessionmaker(request)
    async with maker() as session:
        if stored_key is not None:
            existing = await store_grading.run_by_key(session, stored_key)
            if existing is not None:
                response.status_code = 200
                return await grading_runs.read(session, existing, now=now_utc())
        run, snap = await grading_runs.create(
            session, data, caller=caller, today=today, key=stored_key
        )
        run_id = run.id
        try:
            await session.commit()
        except IntegrityError:
            raise InvalidInput(
                "Idempotency-Key is being used by a concurrent request",
                pointer="#header/idempotency-key",
            ) from None
    return await _start_and_read(request, run_id, snap, wait=wait, response=response)


@router.get("", response_model=Page[RunRead])
async def list_runs(
    session: SessionDep,
    caller: ReaderDep,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    org: Annotated[OrgPath | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[RunRead]:
    """The runs whose scope lies in a subtree (default: the caller's), oldest first, a page
    at a time (issue 13)."""
    now = now_utc()
    rows = await store_grading.list_runs(
        session, under=narrowest(caller, org), year=year, limit=limit, cursor=cursor
    )
    runs, after = page_of(rows, limit, lambda r: (r.id,))
    return Page(
        items=[await grading_runs.read(session, r, now=now) for r in runs], next_cursor=after
    )


async def _run(session: SessionDep, caller: Caller, run_id: int) -> Any:
    return grading_runs.visible_run(await store_grading.get_run(session, run_id), caller, run_id)


@router.get("/{run_id}", response_model=RunRead)
async def get_run(session: SessionDep, caller: ReaderDep, run_id: RunId) -> RunRead:
    """A run: status (draft, proposed, approved, reopened), progress (done / total), the
    policy and peer totals it used, its fingerprint, grade counts and history."""
    return await grading_runs.read(session, await _run(session, caller, run_id), now=now_utc())


@router.get("/{run_id}/results")
async def run_results(
    session: SessionDep,
    caller: ReaderDep,
    run_id: RunId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """O13: each officer's result (contract shape) with its breakdown and explanation, by
    officer id, a page at a time (`{run_id, items, next_cursor}`, issue 13); re-derived from
    the run's stored inputs."""
    run = await _run(session, caller, run_id)
    page, after = await grading_runs.result_page(session, run, limit=limit, cursor=cursor)
    return {"run_id": run.id, "items": page, "next_cursor": after}


@router.get("/{run_id}/verify", response_model=VerifyRead)
async def verify_run(session: SessionDep, caller: ReaderDep, run_id: RunId) -> VerifyRead:
    """O15: re-grade every officer from the run's stored inputs and policy and compare with
    the stored results and fingerprint (`identical: true` when the run reproduces)."""
    return await grading_runs.verify(session, await _run(session, caller, run_id))


@router.post(
    "/{run_id}/recompute",
    response_model=RunRead,
    openapi_extra=rule("O15"),
    responses=also(201, 202, model=RunRead, description="201 done (?wait=true), 202 started"),
)
async def recompute_run(
    request: Request,
    caller: StaffDep,
    run_id: RunId,
    response: Response,
    wait: Wait = False,
) -> RunRead:
    """O15: re-take a draft or reopened run's inputs from the current figures and policy and
    compute again (refused once proposed or approved: reopen first)."""
    maker = get_sessionmaker(request)
    async with maker() as session:
        async with session.begin():
            run = await _run(session, caller, run_id)
            snap = await grading_runs.recompute(session, run, now=now_utc())
    return await _start_and_read(request, run_id, snap, wait=wait, response=response)


async def _step(
    session: SessionDep,
    caller: Caller,
    run_id: int,
    action: RunAction,
    data: RunStepIn | None,
    today: Any,
    key: str | None,
) -> RunRead:
    run = await _run(session, caller, run_id)
    on = (data.on if data else None) or today
    await grading_runs.step(
        session, run, action, caller=caller, on=on, now=now_utc(), key=idempotency_key(caller, key)
    )
    return await grading_runs.read(session, run, now=now_utc())


@router.post("/{run_id}/propose", response_model=RunRead, openapi_extra=rule("O15"))
async def propose_run(
    session: SessionDep,
    caller: SubBranchDep,
    today: TodayDep,
    run_id: RunId,
    data: RunStepIn | None = None,
    key: KeyHeader = None,
) -> RunRead:
    """O15: the sub-branch proposes the run's results (from draft or after a reopen)."""
    return await _step(session, caller, run_id, RunAction.PROPOSE, data, today, key)


@router.post("/{run_id}/approve", response_model=RunRead, openapi_extra=rule("O15"))
async def approve_run(
    session: SessionDep,
    caller: HeadOfficeDep,
    today: TodayDep,
    run_id: RunId,
    data: RunStepIn | None = None,
    key: KeyHeader = None,
) -> RunRead:
    """O15: the head office approves a proposed run: grades and coefficients are frozen for
    the year, the pay sheets are written (O4, O6, O14), officers on post below 60 after their
    protection period leave for the 6-month collection assignment (O5), disqualified officers
    lose their certificate (O6), and every officer's dossier records it (O16)."""
    return await _step(session, caller, run_id, RunAction.APPROVE, data, today, key)


@router.post("/{run_id}/reopen", response_model=RunRead, openapi_extra=rule("O15"))
async def reopen_run(
    session: SessionDep,
    caller: HeadOfficeDep,
    today: TodayDep,
    run_id: RunId,
    data: RunStepIn | None = None,
    key: KeyHeader = None,
) -> RunRead:
    """O15: explicitly reopen an approved run so it can be recomputed and approved again;
    its grades, pay sheets, O5 assignments (without a result) and O6 withdrawals are undone."""
    return await _step(session, caller, run_id, RunAction.REOPEN, data, today, key)

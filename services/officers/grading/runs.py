"""Stored yearly grading runs (spec officers.md O7, O13-O15): create, recompute, read, verify,
and the propose / approve / reopen steps (the approval's effects are in `approval.py`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.grading import approval
from services.officers.grading import store as store_grading
from services.officers.grading.items import BranchClass, OfficerFigures, peer_group_of
from services.officers.grading.jobs import Snapshot, effective_state
from services.officers.grading.policy import GradingPolicy, Post
from services.officers.grading.rules import grade_officer
from services.officers.grading.run import (
    Actor,
    GradingRun,
    RunAction,
    RunStatus,
    RunTransition,
    ensure_editable,
    new_run,
    transition,
)
from services.officers.grading.run_inputs import (
    count_sources_dict,
    peers_from_json,
    peers_to_json,
    resolve_inputs,
    result_columns,
    run_peers,
    snapshot_fingerprint,
)
from services.officers.grading.schemas import ProgressRead, RunCreate, RunRead, StepRead, VerifyRead
from services.officers.kernel import policies
from services.officers.kernel.rules import RuleError
from services.officers.models.grading import GradingResultRow, GradingRunRow, GradingRunStep
from services.officers.org import store
from shared.auth import Caller, Forbidden, Role
from shared.errors import Conflict, InvalidInput, NotFound
from shared.paging import page_of


async def _snapshot(
    session: AsyncSession, *, year: int, org: str, county: str | None, run_id: int | None
) -> tuple[Snapshot, list[dict[str, str]], int]:
    """O7/O11/O15: the run's inputs from the recorded figures and the year's policy."""
    policy, version = await policies.grading_policy(session, year)
    graded, everyone, skipped = resolve_inputs(
        await store_grading.year_rows(session, year),
        classes=await store_grading.sub_branch_classes(session),
        scope_org=org,
        county=county,
        record_counts=await store_grading.record_counts(session, year),
    )
    if not graded:
        where = f"{org}" + (f", county {county}" if county else "")
        raise InvalidInput(
            f"no recorded figures for {year} in {where}", pointer="/year", rule="O15"
        )
    ids = [g.figures.officer_id for g in graded]
    clashes = await store_grading.approved_elsewhere(session, year, ids, run_id=run_id)
    if clashes:
        listed = ", ".join(f"{o} (run {r})" for o, r in clashes[:5])
        raise Conflict(
            f"O15: the {year} grading of {len(clashes)} officer(s) is approved "
            f"in another run: {listed}; reopen that run first"
        )
    return Snapshot(graded, run_peers(graded, everyone, policy), policy), skipped, version


async def _check_scope(session: AsyncSession, caller: Caller, org: str, county: str | None) -> None:
    if not caller.sees(org):
        raise Forbidden(f"G4: /org: {org} is outside your subtree {caller.org}")
    if await store.get_org(session, org) is None:
        raise InvalidInput(f"organisation node {org} does not exist", pointer="/org")
    if county is not None:
        classes = await store_grading.sub_branch_classes(session)
        if not any(
            c == county and (s == org or s.startswith(org + "/")) for s, (c, _k) in classes.items()
        ):
            raise InvalidInput(
                f"no sub-branch of county {county!r} under {org}", pointer="/county", rule="O7"
            )


async def create(
    session: AsyncSession, data: RunCreate, *, caller: Caller, today: date, key: str | None
) -> tuple[GradingRunRow, Snapshot]:
    """O15: a new draft run for a closed year over a subtree (optionally one county)."""
    try:
        new_run(data.year, today=today)
    except RuleError as exc:
        raise InvalidInput(exc.detail, pointer="/year", rule=exc.rule) from None
    org = data.org or caller.org
    await _check_scope(session, caller, org, data.county)
    snap, skipped, version = await _snapshot(
        session, year=data.year, org=org, county=data.county, run_id=None
    )
    now = datetime.now(UTC)
    run = GradingRunRow(
        year=data.year,
        org_id=org,
        county=data.county,
        status=RunStatus.DRAFT.value,
        compute_state="computing",
        done=0,
        total=len(snap.graded),
        policy=snap.policy.to_dict(),
        policy_version=version,
        peers=peers_to_json(snap.peers),
        skipped=skipped,
        fingerprint=_fingerprint(snap),
        idempotency_key=key,
        created_by=caller.subject,
        created_at=now,
        progress_at=now,
    )
    session.add(run)
    await session.flush()
    return run, snap


def _fingerprint(snap: Snapshot) -> str:
    return snapshot_fingerprint([g.figures for g in snap.graded], snap.peers, snap.policy)


async def recompute(session: AsyncSession, run: GradingRunRow, *, now: datetime) -> Snapshot:
    """O15: re-take the inputs of a draft or reopened run from the current records."""
    try:
        ensure_editable(GradingRun(run.year, RunStatus(run.status)))
    except RuleError as exc:
        raise Conflict(f"{exc.rule}: {exc.detail}") from None
    if effective_state(run, now) == "computing":
        raise Conflict("O15: the run is still being computed")
    snap, skipped, version = await _snapshot(
        session, year=run.year, org=run.org_id, county=run.county, run_id=run.id
    )
    await session.execute(delete(GradingResultRow).where(GradingResultRow.run_id == run.id))
    run.policy, run.policy_version = snap.policy.to_dict(), version
    run.peers, run.skipped, run.fingerprint = peers_to_json(snap.peers), skipped, _fingerprint(snap)
    run.compute_state, run.done, run.total, run.error = "computing", 0, len(snap.graded), None
    run.progress_at = now
    await session.flush()
    return snap


def visible_run(run: GradingRunRow | None, caller: Caller, run_id: int) -> GradingRunRow:
    """The run when the caller's subtree covers its scope; 404 otherwise (G4)."""
    if run is None or not caller.sees(run.org_id):
        raise NotFound(f"grading run {run_id} does not exist")
    return run


async def read(session: AsyncSession, run: GradingRunRow, *, now: datetime) -> RunRead:
    """The run with its status, progress (done / total), inputs summary and history."""
    steps = await store_grading.run_steps(session, run.id)
    state = effective_state(run, now)
    error = run.error if state != "failed" or run.error else "interrupted: recompute the run"
    return RunRead(
        id=run.id,
        year=run.year,
        org=run.org_id,
        county=run.county,
        status=RunStatus(run.status).value,
        progress=ProgressRead(state=state, done=run.done, total=run.total, error=error),
        fingerprint=run.fingerprint,
        policy_version=run.policy_version,
        policy=run.policy,
        peers=run.peers,
        skipped=run.skipped,
        summary=await store_grading.grade_counts(session, run.id),
        history=[
            StepRead(
                action=s.action,
                from_status=s.from_status,
                to_status=s.to_status,
                actor=s.actor,
                by=s.by_subject,
                on=s.on_date,
                at=s.at,
            )
            for s in steps
        ],
        created_by=run.created_by,
        created_at=run.created_at,
    )


def _figures(row: GradingResultRow) -> OfficerFigures:
    return OfficerFigures(
        officer_id=row.officer_id,
        county=row.county,
        branch_class=BranchClass(row.branch_class),
        loans_issued=row.loans_issued,
        interest_income=row.interest_income,
        new_npl_balance=row.new_npl_balance,
        managed_balance=row.managed_balance,
        failed_exams=row.failed_exams,
        fines=row.fines,
        criticisms=row.criticisms,
        serious_violations=row.serious_violations,
        post=Post(row.post),
    )


async def result_page(
    session: AsyncSession, run: GradingRunRow, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """O13: a page of each officer's result with its full breakdown, re-derived from the
    stored inputs, and the cursor of the next page."""
    rows = await store_grading.results(session, run.id, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda r: (r.officer_id,))
    policy = GradingPolicy.from_dict(run.policy)
    peers = peers_from_json(run.peers)
    out = []
    for row in page:
        fig = _figures(row)
        body = grade_officer(fig, peers[peer_group_of(fig)], policy).to_dict()
        body["org_id"] = row.org_id
        body["count_sources"] = count_sources_dict(row.count_sources)
        body["performance_pay"] = None if row.performance_pay is None else str(row.performance_pay)
        out.append(body)
    return out, after


async def verify(session: AsyncSession, run: GradingRunRow) -> VerifyRead:
    """O15: recompute every result from the stored inputs and compare (score, grade,
    coefficient, caps) and the fingerprint."""
    rows = await store_grading.results(session, run.id)
    policy = GradingPolicy.from_dict(run.policy)
    peers = peers_from_json(run.peers)
    figures = [_figures(r) for r in rows]
    mismatches = []
    for row, fig in zip(rows, figures, strict=True):
        again = result_columns(grade_officer(fig, peers[peer_group_of(fig)], policy))
        stored = {
            "score": row.score,
            "grade": row.grade,
            "salary_coefficient": row.salary_coefficient,
            "caps": row.caps,
        }
        if again != stored:
            mismatches.append(
                {
                    "officer_id": row.officer_id,
                    "stored": _jsonable(stored),
                    "recomputed": _jsonable(again),
                }
            )
    fingerprint = snapshot_fingerprint(figures, peers, policy)
    return VerifyRead(
        run_id=run.id,
        identical=not mismatches and fingerprint == run.fingerprint,
        fingerprint=run.fingerprint,
        recomputed_fingerprint=fingerprint,
        checked=len(rows),
        mismatches=mismatches[:100],
    )


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if v is None else str(v) if not isinstance(v, int) else v) for k, v in d.items()
    }


def _domain(run: GradingRunRow, steps: list[GradingRunStep]) -> GradingRun:
    history = tuple(
        RunTransition(
            RunAction(s.action),
            RunStatus(s.from_status),
            RunStatus(s.to_status),
            Actor(s.actor),
            s.by_subject,
            s.at,
        )
        for s in steps
    )
    return GradingRun(run.year, RunStatus(run.status), history)


def actor_for(caller: Caller, action: RunAction) -> Actor:
    """O15: the sub-branch proposes; the head office approves and reopens (admin acts as
    whichever the step needs)."""
    needed = Actor.SUB_BRANCH if action is RunAction.PROPOSE else Actor.HEAD_OFFICE
    if Role.ADMIN in caller.roles or Role(needed.value) in caller.roles:
        return needed
    return Actor.HEAD_OFFICE if needed is Actor.SUB_BRANCH else Actor.SUB_BRANCH


async def _repeated(
    session: AsyncSession, run: GradingRunRow, action: RunAction, key: str | None
) -> bool:
    """A retry of a step already taken with this Idempotency-Key."""
    if key is None:
        return False
    previous = await store_grading.step_by_key(session, key)
    if previous is None:
        return False
    if (previous.run_id, previous.action) != (run.id, action.value):
        raise InvalidInput(
            "Idempotency-Key already used for another request", pointer="#header/idempotency-key"
        )
    return True


async def step(
    session: AsyncSession,
    run: GradingRunRow,
    action: RunAction,
    *,
    caller: Caller,
    on: date,
    now: datetime,
    key: str | None,
) -> None:
    """O15: propose, approve (freezes grades and coefficients, writes the pay sheet, O5 exits)
    or reopen (explicit; undoes the approval's effects). A repeat with the same
    Idempotency-Key is a no-op."""
    if await _repeated(session, run, action, key):
        return
    state = effective_state(run, now)
    if state != "done":
        why = "still being computed" if state == "computing" else "incomplete; recompute the run"
        raise Conflict(f"O15: the run's results are {why}")
    steps = list(await store_grading.run_steps(session, run.id))
    try:
        moved = transition(
            _domain(run, steps), action, actor=actor_for(caller, action), by=caller.subject, at=now
        )
    except RuleError as exc:
        raise Conflict(f"{exc.rule}: {exc.detail}") from None
    if steps and on < steps[-1].on_date:
        raise InvalidInput(
            f"{action.value} on {on} is before the previous step ({steps[-1].on_date})",
            pointer="/on",
            rule="O15",
        )
    if action is RunAction.APPROVE:
        if on <= date(run.year, 12, 31):
            raise InvalidInput(
                f"approval on {on} must fall after the graded year {run.year}",
                pointer="/on",
                rule="O15",
            )
        approvals = sum(1 for s in steps if s.action == RunAction.APPROVE.value)
        await approval.approve(session, run, on=on, by=caller.subject, at=now, nth=approvals + 1)
    elif action is RunAction.REOPEN:
        await approval.reopen(session, run, on=on, by=caller.subject, at=now, nth=len(steps) + 1)
    last = moved.history[-1]
    session.add(
        GradingRunStep(
            run_id=run.id,
            action=action.value,
            from_status=last.from_status.value,
            to_status=last.to_status.value,
            actor=last.actor.value,
            by_subject=caller.subject,
            on_date=on,
            at=now,
            idempotency_key=key,
        )
    )
    run.status = moved.status.value
    await session.flush()

"""HTTP routes for certification and appointment: exams and certificates (O1), the
appointment workflow (O2), the annual review (O3) and the collection assignment (O5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.certification import appointments
from services.officers.certification import service as certification
from services.officers.certification.schemas import (
    AppointmentCreate,
    AppointmentRead,
    CollectionAssignmentRead,
    CollectionResultIn,
    DecisionIn,
    ExamCreate,
    ExamRead,
    ExamResultsIn,
    ExamResultsRead,
    OpinionIn,
    ReviewIn,
    ReviewRead,
)
from services.officers.deps import (
    CommitteeDep,
    HeadOfficeDep,
    OfficerId,
    RiskDep,
    RowId,
    RuleRoute,
    SubBranchDep,
    TodayDep,
    conflict,
    invalid,
    now_utc,
    rule,
    visible_officer,
)
from services.officers.kernel.rules import RuleError
from services.officers.models.people import Appointment, CollectionAssignment, Officer
from services.officers.org import store
from shared.auth import Caller, ReaderDep, Role, allow
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.events import Id
from shared.openapi import also
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
CollectionDep = Annotated[Caller, Depends(allow(Role.SUB_BRANCH, Role.HEAD_OFFICE))]


def _role(caller: Caller, needed: Role) -> str:
    return needed.value if needed in caller.roles else "admin"


@router.post(
    "/exams",
    status_code=201,
    responses=also(200, model=ExamRead, description="a repeat returns the stored exam"),
    response_model=ExamRead,
    tags=["certification"],
    openapi_extra=rule("O1"),
)
async def create_exam(
    data: ExamCreate, session: SessionDep, caller: HeadOfficeDep, response: Response
) -> ExamRead:
    """O1: the head office holds the yearly qualification exam (one a year); business exams
    and skill tests count as O11 deductions when failed. A repeat returns the exam (200)."""
    exam, created = await certification.create_exam(session, data, by=caller.subject)
    if not created:
        response.status_code = 200
    return exam


@router.get("/exams/{exam_id}", response_model=ExamRead, tags=["certification"])
async def get_exam(
    session: SessionDep, _caller: ReaderDep, exam_id: Annotated[Id, Path()]
) -> ExamRead:
    """One exam."""
    exam = await store.get_exam(session, exam_id)
    if exam is None:
        raise NotFound(f"exam {exam_id} does not exist")
    return ExamRead.model_validate(exam)


@router.post(
    "/exams/{exam_id}/results",
    response_model=ExamResultsRead,
    tags=["certification"],
    openapi_extra=rule("O1"),
)
async def record_results(
    data: ExamResultsIn,
    session: SessionDep,
    caller: HeadOfficeDep,
    exam_id: Annotated[Id, Path()],
) -> ExamResultsRead:
    """O1: record who passed; a qualification pass issues a certificate (number, year, date).
    Any registered employee may sit an exam. Each result goes into the dossier (O16)."""
    exam = await store.get_exam(session, exam_id)
    if exam is None:
        raise NotFound(f"exam {exam_id} does not exist")
    officers = await store.officers_by_id(session, [r.officer_id for r in data.results])
    for index, item in enumerate(data.results):
        officer = officers.get(item.officer_id)
        if officer is None or not caller.sees(officer.org_id):
            raise InvalidInput(
                f"officer {item.officer_id} does not exist",
                pointer=f"/results/{index}/officer_id",
                rule="O1",
            )
        if item.officer_id in {r.officer_id for r in data.results[:index]}:
            raise InvalidInput(
                f"officer {item.officer_id} appears twice",
                pointer=f"/results/{index}/officer_id",
                rule="O1",
            )
    return await certification.record_results(
        session, exam, data.results, by=caller.subject, at=now_utc()
    )


async def _appointment(session: SessionDep, caller: Caller, appointment_id: str) -> Appointment:
    appt = await store.get_appointment(session, appointment_id)
    if appt is None or not caller.sees(appt.org_id):
        raise NotFound(f"appointment {appointment_id} does not exist")
    return appt


@router.post(
    "/appointments",
    status_code=201,
    responses=also(
        200, model=AppointmentRead, description="a repeat returns the stored application"
    ),
    response_model=AppointmentRead,
    tags=["appointment"],
    openapi_extra=rule("O2"),
)
async def apply(
    data: AppointmentCreate,
    session: SessionDep,
    caller: SubBranchDep,
    today: TodayDep,
    response: Response,
) -> AppointmentRead:
    """O2 step 1: the sub-branch puts an officer forward, with its pre-appointment salary
    coefficient and performance pay (the O4 floor). The answer lists the preconditions still
    unmet (good standing, >= 1 year of financial work, a certificate). A repeat returns it."""
    officer = await visible_officer(session, caller, data.officer_id)
    appt, created = await appointments.apply(
        session,
        data,
        officer,
        by=caller.subject,
        role=_role(caller, Role.SUB_BRANCH),
        at=now_utc(),
        today=today,
    )
    if not created:
        response.status_code = 200
    return await appointments.appointment_read(session, appt, officer, today)


@router.get("/appointments/{appointment_id}", response_model=AppointmentRead, tags=["appointment"])
async def get_appointment(
    session: SessionDep, caller: ReaderDep, today: TodayDep, appointment_id: Annotated[Id, Path()]
) -> AppointmentRead:
    """An application with every recorded step (who, role, date, time)."""
    appt = await _appointment(session, caller, appointment_id)
    officer = await visible_officer(session, caller, appt.officer_id)
    return await appointments.appointment_read(session, appt, officer, today)


@router.get(
    "/officers/{officer_id}/appointments",
    response_model=Page[AppointmentRead],
    tags=["appointment"],
)
async def officer_appointments(
    session: SessionDep,
    caller: ReaderDep,
    today: TodayDep,
    officer_id: OfficerId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AppointmentRead]:
    """Every application of an officer, oldest first, a page at a time (issue 13)."""
    officer = await visible_officer(session, caller, officer_id)
    rows = await store.appointments_of(session, officer_id, limit=limit, cursor=cursor)
    page, after = page_of(rows, limit, lambda a: (a.applied_on, a.id))
    return Page(
        items=[await appointments.appointment_read(session, a, officer, today) for a in page],
        next_cursor=after,
    )


async def _advance(
    session: AsyncSession,
    caller: Caller,
    appointment_id: str,
    today: date,
    step: Callable[[Appointment, Officer], Awaitable[None]],
) -> AppointmentRead:
    """One O2 workflow step on a visible appointment; a refused rule names its field or is a
    conflict."""
    appt = await _appointment(session, caller, appointment_id)
    officer = await visible_officer(session, caller, appt.officer_id)
    try:
        await step(appt, officer)
    except RuleError as exc:
        raise (invalid(exc) if exc.field else conflict(exc)) from None
    return await appointments.appointment_read(session, appt, officer, today)


@router.post(
    "/appointments/{appointment_id}/risk-opinion",
    response_model=AppointmentRead,
    tags=["appointment"],
    openapi_extra=rule("O2"),
)
async def risk_opinion(
    data: OpinionIn,
    session: SessionDep,
    caller: RiskDep,
    today: TodayDep,
    appointment_id: Annotated[Id, Path()],
) -> AppointmentRead:
    """O2 step 2: the risk department's first opinion (favourable or not)."""

    async def step(appt: Appointment, _officer: Officer) -> None:
        await appointments.opinion(
            session,
            appt,
            data,
            by=caller.subject,
            role=_role(caller, Role.RISK),
            at=now_utc(),
            today=today,
        )

    return await _advance(session, caller, appointment_id, today, step)


@router.post(
    "/appointments/{appointment_id}/committee-decision",
    response_model=AppointmentRead,
    tags=["appointment"],
    openapi_extra=rule("O2"),
)
async def committee_decision(
    data: DecisionIn,
    session: SessionDep,
    caller: CommitteeDep,
    today: TodayDep,
    appointment_id: Annotated[Id, Path()],
) -> AppointmentRead:
    """O2 step 3: the loan review committee appoints or rejects; appointing needs the risk
    opinion and every precondition met on the decision date, and starts the protection
    period of a first appointment (O4)."""

    async def step(appt: Appointment, officer: Officer) -> None:
        await appointments.decision(
            session,
            appt,
            officer,
            data,
            by=caller.subject,
            role=_role(caller, Role.COMMITTEE),
            at=now_utc(),
            today=today,
        )

    return await _advance(session, caller, appointment_id, today, step)


@router.post(
    "/officers/{officer_id}/reviews",
    status_code=201,
    responses=also(200, model=ReviewRead, description="a repeat returns the stored review"),
    response_model=ReviewRead,
    tags=["certification"],
    openapi_extra=rule("O3"),
)
async def annual_review(
    data: ReviewIn,
    session: SessionDep,
    caller: CommitteeDep,
    today: TodayDep,
    officer_id: OfficerId,
    response: Response,
) -> ReviewRead:
    """O3: the committee's annual qualification review (excellent, good, qualified,
    unqualified); unqualified removes the officer from the post. A repeat returns it."""
    officer = await visible_officer(session, caller, officer_id)
    row, created = await certification.review(
        session, officer, data, by=caller.subject, at=now_utc(), today=today
    )
    if not created:
        response.status_code = 200
    return ReviewRead.model_validate(row)


@router.post(
    "/collection-assignments/{assignment_id}/result",
    response_model=CollectionAssignmentRead,
    tags=["certification"],
    openapi_extra=rule("O5"),
)
async def collection_result(
    data: CollectionResultIn,
    session: SessionDep,
    caller: CollectionDep,
    today: TodayDep,
    assignment_id: RowId,
) -> CollectionAssignmentRead:
    """O5: the result of the 6-month collection assignment, once it has run: met -> the
    officer may be put forward again (O2); not met -> no re-appointment."""
    assignment = await session.get(CollectionAssignment, assignment_id)
    if assignment is None:
        raise NotFound(f"collection assignment {assignment_id} does not exist")
    officer = await visible_officer(session, caller, assignment.officer_id)
    await certification.collection_result(
        session,
        assignment,
        officer,
        met=data.met,
        on=data.on or today,
        note=data.note,
        by=caller.subject,
        at=now_utc(),
    )
    return CollectionAssignmentRead.model_validate(assignment)

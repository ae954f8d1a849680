"""Load -> decide -> persist for the appointment workflow (O2): the sub-branch applies, the
risk department gives its opinion, the loan review committee decides; each step is recorded
with who and when, and written to the dossier (O16)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.certification.rules import (
    AppointmentStatus,
    Decision,
    OfficerStatus,
    Preconditions,
    check_can_apply,
    decide,
    give_opinion,
    missing_preconditions,
)
from services.officers.certification.schemas import (
    AppointmentCreate,
    AppointmentRead,
    DecisionIn,
    OpinionIn,
    StepRead,
)
from services.officers.certification.service import has_certificate_on
from services.officers.kernel.rules import RuleError
from services.officers.models.people import Appointment, AppointmentStep, Officer
from services.officers.org import store
from services.officers.org.service import record_period
from services.officers.records import dossier
from services.officers.records.dossier import EntryKind, NewEntry
from shared.errors import Conflict


async def preconditions_missing(session: AsyncSession, officer: Officer, on: date) -> list[str]:
    """O2: unmet preconditions of an officer on a date."""
    certificates = await store.certificates_of(session, officer.id)
    pre = Preconditions(
        good_standing=officer.good_standing,
        financial_work_start_date=officer.financial_work_start_date,
        has_certificate=has_certificate_on(certificates, on),
    )
    return missing_preconditions(pre, on)


async def appointment_read(
    session: AsyncSession, appt: Appointment, officer: Officer, today: date
) -> AppointmentRead:
    """An application with its recorded steps and what it still lacks."""
    steps = await store.appointment_steps(session, appt.id)
    undecided = appt.status in (AppointmentStatus.APPLIED, AppointmentStatus.RISK_REVIEWED)
    missing = await preconditions_missing(session, officer, today) if undecided else []
    return AppointmentRead(
        id=appt.id,
        officer_id=appt.officer_id,
        org_id=appt.org_id,
        status=AppointmentStatus(appt.status),
        applied_on=appt.applied_on,
        pre_appointment_coefficient=appt.pre_appointment_coefficient,
        pre_appointment_performance_pay=appt.pre_appointment_performance_pay,
        missing_preconditions=missing,
        steps=[StepRead.model_validate(s) for s in steps],
    )


async def _step(
    session: AsyncSession,
    appt: Appointment,
    *,
    step: str,
    outcome: str,
    note: str,
    by: str,
    role: str,
    on: date,
    at: datetime,
) -> None:
    session.add(
        AppointmentStep(
            appointment_id=appt.id,
            step=step,
            outcome=outcome,
            note=note,
            by_subject=by,
            by_role=role,
            on_date=on,
            at=at,
        )
    )
    entry = NewEntry(
        f"appointment:{appt.id}:{step}",
        appt.officer_id,
        EntryKind.APPOINTMENT,
        f"O2 {step.replace('_', ' ')}: {outcome}",
        on,
        {
            "appointment_id": appt.id,
            "step": step,
            "outcome": outcome,
            "note": note,
            "by": by,
            "role": role,
        },
        subtype=step,
    )
    await session.flush()
    await dossier.append(session, [entry], by=by, at=at)


async def apply(
    session: AsyncSession,
    data: AppointmentCreate,
    officer: Officer,
    *,
    by: str,
    role: str,
    at: datetime,
    today: date,
) -> tuple[Appointment, bool]:
    """O2 step 1: the sub-branch applies; a repeat of the same application returns it."""
    existing = await store.get_appointment(session, data.id)
    if existing is not None:
        if existing.officer_id != data.officer_id:
            raise Conflict(f"appointment {data.id} exists for another officer")
        return existing, False
    open_one = await store.open_appointment(session, officer.id)
    assignments = await store.collection_assignments_of(session, officer.id)
    failed = bool(assignments) and assignments[-1].status == "not_met"
    try:
        check_can_apply(
            OfficerStatus(officer.status),
            open_application=None if open_one is None else open_one.id,
            collection_failed=failed,
        )
    except RuleError as exc:
        raise Conflict(f"{exc.rule}: {exc.detail}") from None
    on = data.on or today
    appt = Appointment(
        id=data.id,
        officer_id=officer.id,
        org_id=officer.org_id,
        status="applied",
        applied_on=on,
        pre_appointment_coefficient=data.pre_appointment_coefficient,
        pre_appointment_performance_pay=data.pre_appointment_performance_pay,
    )
    session.add(appt)
    await session.flush()
    await _step(
        session,
        appt,
        step="application",
        outcome="applied",
        note=data.note,
        by=by,
        role=role,
        on=on,
        at=at,
    )
    return appt, True


async def _last_step(session: AsyncSession, appt: Appointment) -> AppointmentStep:
    return list(await store.appointment_steps(session, appt.id))[-1]


async def opinion(
    session: AsyncSession,
    appt: Appointment,
    data: OpinionIn,
    *,
    by: str,
    role: str,
    at: datetime,
    today: date,
) -> None:
    """O2 step 2: the risk department's first opinion (a repeat of the same one is a no-op)."""
    last = await _last_step(session, appt)
    if last.step == "risk_opinion" and last.outcome == data.opinion.value:
        return
    on = data.on or today
    appt.status = give_opinion(AppointmentStatus(appt.status), on=on, previous=last.on_date)
    await _step(
        session,
        appt,
        step="risk_opinion",
        outcome=data.opinion.value,
        note=data.note,
        by=by,
        role=role,
        on=on,
        at=at,
    )


async def decision(
    session: AsyncSession,
    appt: Appointment,
    officer: Officer,
    data: DecisionIn,
    *,
    by: str,
    role: str,
    at: datetime,
    today: date,
) -> None:
    """O2 step 3: the committee decides; appointing needs the risk opinion first and every
    precondition met on the decision date. Appointing puts the officer on post (O4: the first
    appointment starts the protection period)."""
    last = await _last_step(session, appt)
    if last.step == "committee_decision" and last.outcome == data.decision.value:
        return
    on = data.on or today
    missing = await preconditions_missing(session, officer, on)
    appt.status = decide(
        AppointmentStatus(appt.status),
        data.decision,
        missing=missing,
        on=on,
        previous=last.on_date,
    )
    await _step(
        session,
        appt,
        step="committee_decision",
        outcome=data.decision.value,
        note=data.note,
        by=by,
        role=role,
        on=on,
        at=at,
    )
    if data.decision is Decision.APPOINT:
        if officer.first_appointment_date is None:
            officer.first_appointment_date = on
            officer.pre_appointment_coefficient = appt.pre_appointment_coefficient
            officer.pre_appointment_performance_pay = appt.pre_appointment_performance_pay
        officer.status = OfficerStatus.ON_POST.value
        await record_period(
            session,
            officer,
            on=on,
            by=by,
            reason=f"O2 appointed by the committee (application {appt.id})",
        )

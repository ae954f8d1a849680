"""Queries of the officers service (organisation, officers, post history, certification);
they take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.officers.models.people import (
    Appointment,
    AppointmentStep,
    Certificate,
    CollectionAssignment,
    Exam,
    ExamResult,
    Officer,
    OfficerPostPeriod,
    OrgNode,
    QualificationReview,
)
from shared.paging import keyset


def within(column: InstrumentedAttribute[str], under: str) -> ColumnElement[bool]:
    """SQL: the node column lies in the subtree `under`."""
    return or_(column == under, column.startswith(under + "/"))


async def get_org(session: AsyncSession, org_id: str) -> OrgNode | None:
    return await session.get(OrgNode, org_id)


async def list_orgs(session: AsyncSession, *, under: str | None) -> Sequence[OrgNode]:
    """Nodes of the subtree rooted at `under` (all when None), in path order."""
    stmt = select(OrgNode).order_by(OrgNode.id)
    if under:
        stmt = stmt.where(or_(OrgNode.id == under, OrgNode.id.startswith(under + "/")))
    return (await session.scalars(stmt)).all()


async def get_officer(session: AsyncSession, officer_id: str) -> Officer | None:
    return await session.get(Officer, officer_id)


async def list_officers(
    session: AsyncSession, *, under: str | None, limit: int, cursor: str | None
) -> Sequence[Officer]:
    """Officers whose node lies in the subtree `under`, ordered by id, after a cursor (up to
    `limit + 1` rows, see `shared.paging.keyset`)."""
    stmt = select(Officer)
    if under:
        stmt = stmt.where(or_(Officer.org_id == under, Officer.org_id.startswith(under + "/")))
    return (
        await session.scalars(keyset(stmt, [(Officer.id, False)], cursor=cursor, limit=limit))
    ).all()


async def officers_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Officer]:
    """The officers among `ids` that exist (chunked IN queries)."""
    out: dict[str, Officer] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 900):
        rows = await session.scalars(
            select(Officer).where(Officer.id.in_(unique[start : start + 900]))
        )
        out.update({o.id: o for o in rows})
    return out


async def open_period(session: AsyncSession, officer_id: str) -> OfficerPostPeriod | None:
    stmt = select(OfficerPostPeriod).where(
        OfficerPostPeriod.officer_id == officer_id, OfficerPostPeriod.end_date.is_(None)
    )
    return (await session.scalars(stmt)).first()


async def post_history(session: AsyncSession, officer_id: str) -> Sequence[OfficerPostPeriod]:
    stmt = (
        select(OfficerPostPeriod)
        .where(OfficerPostPeriod.officer_id == officer_id)
        .order_by(OfficerPostPeriod.start_date, OfficerPostPeriod.id)
    )
    return (await session.scalars(stmt)).all()


async def get_exam(session: AsyncSession, exam_id: str) -> Exam | None:
    return await session.get(Exam, exam_id)


async def qualification_exam_of(session: AsyncSession, year: int) -> Exam | None:
    stmt = select(Exam).where(Exam.qualification_year == year)
    return (await session.scalars(stmt)).first()


async def exam_results(session: AsyncSession, exam_id: str) -> dict[str, ExamResult]:
    rows = await session.scalars(select(ExamResult).where(ExamResult.exam_id == exam_id))
    return {r.officer_id: r for r in rows}


async def certificates_of(session: AsyncSession, officer_id: str) -> Sequence[Certificate]:
    stmt = (
        select(Certificate)
        .where(Certificate.officer_id == officer_id)
        .order_by(Certificate.issued_on, Certificate.number)
    )
    return (await session.scalars(stmt)).all()


async def exam_results_of(
    session: AsyncSession, officer_id: str
) -> Sequence[tuple[ExamResult, Exam]]:
    stmt = (
        select(ExamResult, Exam)
        .join(Exam, Exam.id == ExamResult.exam_id)
        .where(ExamResult.officer_id == officer_id)
        .order_by(Exam.held_on, Exam.id)
    )
    return [(r, e) for r, e in (await session.execute(stmt)).all()]


async def get_appointment(session: AsyncSession, appointment_id: str) -> Appointment | None:
    return await session.get(Appointment, appointment_id)


async def open_appointment(session: AsyncSession, officer_id: str) -> Appointment | None:
    stmt = select(Appointment).where(
        Appointment.officer_id == officer_id, Appointment.status.in_(("applied", "risk_reviewed"))
    )
    return (await session.scalars(stmt)).first()


async def appointments_of(
    session: AsyncSession, officer_id: str, *, limit: int, cursor: str | None
) -> Sequence[Appointment]:
    """A page (up to `limit + 1` rows) of the officer's applications, oldest first."""
    stmt = keyset(
        select(Appointment).where(Appointment.officer_id == officer_id),
        [(Appointment.applied_on, False), (Appointment.id, False)],
        cursor=cursor,
        limit=limit,
    )
    return (await session.scalars(stmt)).all()


async def appointment_steps(
    session: AsyncSession, appointment_id: str
) -> Sequence[AppointmentStep]:
    stmt = (
        select(AppointmentStep)
        .where(AppointmentStep.appointment_id == appointment_id)
        .order_by(AppointmentStep.id)
    )
    return (await session.scalars(stmt)).all()


async def reviews_of(session: AsyncSession, officer_id: str) -> Sequence[QualificationReview]:
    stmt = (
        select(QualificationReview)
        .where(QualificationReview.officer_id == officer_id)
        .order_by(QualificationReview.year)
    )
    return (await session.scalars(stmt)).all()


async def collection_assignments_of(
    session: AsyncSession, officer_id: str
) -> Sequence[CollectionAssignment]:
    stmt = (
        select(CollectionAssignment)
        .where(CollectionAssignment.officer_id == officer_id)
        .order_by(CollectionAssignment.start_date, CollectionAssignment.id)
    )
    return (await session.scalars(stmt)).all()

"""Load -> decide -> persist for exams and certificates (O1), the annual review (O3) and the
collection assignment's result (O5). Every step writes its dossier entry (O16); the
appointment workflow (O2) is in `appointments.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.certification.rules import (
    OfficerStatus,
    ReviewResult,
    check_collection_result,
    check_review,
)
from services.officers.certification.schemas import (
    ExamCreate,
    ExamKind,
    ExamRead,
    ExamResultIn,
    ExamResultRead,
    ExamResultsRead,
    ReviewIn,
)
from services.officers.kernel.rules import RuleError
from services.officers.models.people import (
    Certificate,
    CollectionAssignment,
    Exam,
    ExamResult,
    Officer,
    QualificationReview,
)
from services.officers.org import store
from services.officers.org.service import record_period
from services.officers.records import dossier
from services.officers.records.dossier import EntryKind, NewEntry
from shared.errors import Conflict


async def create_exam(session: AsyncSession, data: ExamCreate, *, by: str) -> tuple[ExamRead, bool]:
    """O1: the head office holds one qualification exam a year (business exams and skill tests
    as many as it likes); a repeat of the same exam returns it."""
    year = data.held_on.year
    existing = await store.get_exam(session, data.id)
    if existing is not None:
        read = ExamRead.model_validate(existing)
        if (read.kind, read.held_on, read.name) != (data.kind, data.held_on, data.name):
            raise Conflict(f"exam {data.id} already exists with other details")
        return read, False
    if data.kind is ExamKind.QUALIFICATION:
        other = await store.qualification_exam_of(session, year)
        if other is not None:
            raise Conflict(
                f"O1: the head office holds one qualification exam a year; {year} "
                f"already has {other.id}"
            )
    exam = Exam(
        id=data.id,
        kind=data.kind.value,
        year=year,
        qualification_year=year if data.kind is ExamKind.QUALIFICATION else None,
        held_on=data.held_on,
        name=data.name,
        created_by=by,
    )
    session.add(exam)
    await session.flush()
    return ExamRead.model_validate(exam), True


def certificate_number(exam: Exam, officer_id: str) -> str:
    """O1: the certificate number (one qualification exam a year, one result per officer)."""
    return f"QC-{exam.year}-{officer_id}"


async def record_results(
    session: AsyncSession,
    exam: Exam,
    results: Sequence[ExamResultIn],
    *,
    by: str,
    at: datetime,
) -> ExamResultsRead:
    """O1: record results; a qualification pass issues a certificate (number, year, date).
    A repeated result is a no-op; a different one for the same officer is refused."""
    known = await store.exam_results(session, exam.id)
    out: list[ExamResultRead] = []
    entries: list[NewEntry] = []
    recorded = unchanged = 0
    qualification = exam.kind == ExamKind.QUALIFICATION.value
    for item in results:
        number = (
            certificate_number(exam, item.officer_id) if qualification and item.passed else None
        )
        old = known.get(item.officer_id)
        if old is not None:
            if (old.passed, old.score) != (item.passed, item.score):
                raise Conflict(
                    f"O1: {item.officer_id}'s result in {exam.id} is already recorded "
                    f"(passed={old.passed}); results are not overwritten"
                )
            unchanged += 1
        else:
            recorded += 1
            known[item.officer_id] = ExamResult(
                exam_id=exam.id,
                officer_id=item.officer_id,
                passed=item.passed,
                score=item.score,
                recorded_by=by,
            )
            session.add(known[item.officer_id])
            entries.append(_exam_entry(exam, item))
            if number is not None:
                session.add(
                    Certificate(
                        number=number,
                        officer_id=item.officer_id,
                        exam_id=exam.id,
                        year=exam.year,
                        issued_on=exam.held_on,
                    )
                )
                entries.append(
                    NewEntry(
                        f"certificate:{number}",
                        item.officer_id,
                        EntryKind.CERTIFICATE,
                        f"O1 qualification certificate {number} issued",
                        exam.held_on,
                        {"number": number, "year": exam.year, "exam_id": exam.id},
                    )
                )
        out.append(
            ExamResultRead(
                exam_id=exam.id,
                officer_id=item.officer_id,
                passed=item.passed,
                score=item.score,
                certificate=number,
            )
        )
    await session.flush()
    await dossier.append(session, entries, by=by, at=at)
    return ExamResultsRead(
        exam=ExamRead.model_validate(exam), recorded=recorded, unchanged=unchanged, results=out
    )


def _exam_entry(exam: Exam, item: ExamResultIn) -> NewEntry:
    outcome = "passed" if item.passed else "failed"
    return NewEntry(
        f"exam:{exam.id}:{item.officer_id}",
        item.officer_id,
        EntryKind.EXAM,
        f"{exam.kind} exam {exam.name}: {outcome}",
        exam.held_on,
        {
            "exam_id": exam.id,
            "kind": exam.kind,
            "passed": item.passed,
            "score": None if item.score is None else str(item.score),
        },
        subtype=exam.kind,
    )


def has_certificate_on(certificates: Sequence[Certificate], on: date) -> bool:
    """O1: a certificate issued by `on` and not withdrawn by then."""
    return any(
        c.issued_on <= on and (c.withdrawn_on is None or c.withdrawn_on > on) for c in certificates
    )


async def review(
    session: AsyncSession, officer: Officer, data: ReviewIn, *, by: str, at: datetime, today: date
) -> tuple[QualificationReview, bool]:
    """O3: the committee's annual review; unqualified removes the officer from the post."""
    try:
        check_review(officer.first_appointment_date, data.year)
    except RuleError as exc:
        raise Conflict(f"{exc.rule}: {exc.detail}") from None
    existing = await session.get(QualificationReview, (officer.id, data.year))
    if existing is not None:
        if existing.result != data.result.value:
            raise Conflict(
                f"O3: {officer.id} was already reviewed for {data.year} ({existing.result})"
            )
        return existing, False
    on = data.on or today
    row = QualificationReview(
        officer_id=officer.id,
        year=data.year,
        result=data.result.value,
        reviewed_on=on,
        note=data.note,
        by_subject=by,
        at=at,
    )
    session.add(row)
    await session.flush()
    entry = NewEntry(
        f"review:{officer.id}:{data.year}",
        officer.id,
        EntryKind.REVIEW,
        f"O3 annual review {data.year}: {data.result.value}",
        on,
        {"year": data.year, "result": data.result.value, "note": data.note},
        subtype=data.result.value,
    )
    await dossier.append(session, [entry], by=by, at=at)
    if data.result is ReviewResult.UNQUALIFIED and officer.status == OfficerStatus.ON_POST:
        officer.status = OfficerStatus.OFF_POST.value
        await record_period(
            session,
            officer,
            on=on,
            by=by,
            reason=f"O3 unqualified in the {data.year} review: removed from post",
        )
    return row, True


async def collection_result(
    session: AsyncSession,
    assignment: CollectionAssignment,
    officer: Officer,
    *,
    met: bool,
    on: date,
    note: str,
    by: str,
    at: datetime,
) -> None:
    """O5: record the assignment's result; met -> the officer may be put forward again (O2),
    not met -> no re-appointment."""
    outcome = "met" if met else "not_met"
    if assignment.status == outcome:
        return
    if assignment.status != "open":
        raise Conflict(f"O5: the assignment is already {assignment.status}")
    try:
        check_collection_result(assignment.end_date, on)
    except RuleError as exc:
        raise Conflict(f"{exc.rule}: {exc.detail}") from None
    assignment.status = outcome
    assignment.result_on = on
    assignment.note = note
    assignment.decided_by = by
    officer.status = OfficerStatus.OFF_POST.value
    await record_period(
        session, officer, on=on, by=by, reason=f"O5 collection assignment {outcome}"
    )
    entry = NewEntry(
        f"collection:{assignment.id}:result",
        officer.id,
        EntryKind.COLLECTION,
        f"O5 collection assignment {assignment.start_date} to {assignment.end_date}: {outcome}",
        on,
        {"assignment_id": assignment.id, "met": met, "note": note},
        subtype=outcome,
    )
    await dossier.append(session, [entry], by=by, at=at)

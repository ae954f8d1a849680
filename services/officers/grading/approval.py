"""What approving and reopening a grading run does (spec officers.md O4-O6, O14-O16).

Approval freezes each officer's grade and coefficient for the year (O15), writes the yearly
pay sheet (O4, O6, O14), sends officers on post scoring below 60 after their protection period
to the 6-month NPL collection assignment (O5), withdraws the certificate of a disqualified
officer outside protection (O6), and records all of it in the dossiers (O16). Reopening undoes
these effects (and records that too) unless a collection assignment already has a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.grading import store as store_grading
from services.officers.grading.pay import PayInputs, pay_line
from services.officers.grading.policy import Grade, GradingPolicy, Post
from services.officers.grading.protection import add_months, in_protection
from services.officers.liability import ranking_state
from services.officers.models.grading import (
    GradingResultRow,
    GradingRunRow,
    OfficerGrade,
    PaySheetLine,
)
from services.officers.models.people import (
    Certificate,
    CollectionAssignment,
    Officer,
    OfficerPostPeriod,
)
from services.officers.org import store
from services.officers.org.service import close_periods_bulk
from services.officers.records import dossier
from services.officers.records.dossier import EntryKind, NewEntry
from shared.errors import Conflict


@dataclass
class _Effects:
    grades: list[dict[str, Any]] = field(default_factory=list)
    pay: list[dict[str, Any]] = field(default_factory=list)
    leavers: list[tuple[Officer, date, date]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)


def _protected(officer: Officer, year: int, policy: GradingPolicy) -> bool:
    appointed = officer.first_appointment_date
    if appointed is None or appointed > date(year, 12, 31):
        return False
    return in_protection(appointed, year, policy)


def _decide(
    run: GradingRunRow,
    row: GradingResultRow,
    officer: Officer,
    policy: GradingPolicy,
    *,
    on: date,
    nth: int,
    fx: _Effects,
    at: datetime,
) -> None:
    year, post = run.year, Post(row.post)
    grade = None if row.grade is None else Grade(row.grade)
    protected = _protected(officer, year, policy)
    below = row.score < policy.grade3_min_score
    # O5 (after protection, on post, below 60): leaves the post for the collection assignment.
    leaves = post is Post.OFFICER and officer.status == "on_post" and below and not protected
    if leaves:
        end = add_months(on, policy.collection_assignment_months) - timedelta(days=1)
        fx.leavers.append((officer, on, end))
    if post is Post.OFFICER and grade is None and not protected:
        fx.withdrawn.append(officer.id)
    line = pay_line(
        PayInputs(
            officer_id=row.officer_id,
            year=year,
            post=post,
            score=row.score,
            grade=grade,
            grading_coefficient=row.salary_coefficient,
            performance_pay=row.performance_pay,
            first_appointment_date=officer.first_appointment_date,
            pre_appointment_coefficient=officer.pre_appointment_coefficient,
            pre_appointment_performance_pay=officer.pre_appointment_performance_pay,
            leaves_post=leaves,
        ),
        policy,
    )
    fx.grades.append(
        {
            "officer_id": row.officer_id,
            "year": year,
            "run_id": run.id,
            "score": row.score,
            "grade": row.grade,
            "salary_coefficient": row.salary_coefficient,
            "approved_on": on,
        }
    )
    fx.pay.append(
        {
            "officer_id": row.officer_id,
            "year": year,
            "run_id": run.id,
            "org_id": row.org_id,
            "post": row.post,
            "score": row.score,
            "grade": row.grade,
            "grade_coefficient": line.grade_coefficient,
            "salary_coefficient": line.salary_coefficient,
            "performance_pay_recorded": row.performance_pay,
            "performance_pay": line.performance_pay,
            "protected": line.protected,
            "protection_end": line.protection_end,
            "leaves_post": leaves,
            "reasons": list(line.reasons),
            "created_at": at,
        }
    )
    g = "none (disqualified)" if grade is None else str(int(grade))
    fx.entries += [
        NewEntry(
            f"grading:{run.id}:{nth}:{row.officer_id}",
            row.officer_id,
            EntryKind.GRADING,
            f"O15 grading {year} approved: score {row.score}, grade {g}",
            on,
            {
                "run_id": run.id,
                "year": year,
                "score": str(row.score),
                "grade": row.grade,
                "salary_coefficient": _s(row.salary_coefficient),
                "caps": row.caps,
            },
        ),
        NewEntry(
            f"pay:{run.id}:{nth}:{row.officer_id}",
            row.officer_id,
            EntryKind.PAY,
            f"pay sheet {year}: coefficient {_s(line.salary_coefficient)}, performance pay "
            f"{line.performance_pay}",
            on,
            {
                "run_id": run.id,
                "year": year,
                "salary_coefficient": _s(line.salary_coefficient),
                "performance_pay": str(line.performance_pay),
                "reasons": list(line.reasons),
            },
        ),
    ]


def _s(value: object) -> str | None:
    return None if value is None else str(value)


async def approve(
    session: AsyncSession, run: GradingRunRow, *, on: date, by: str, at: datetime, nth: int
) -> None:
    """O15: freeze grades and coefficients, write pay sheets, apply O5/O6, record in dossiers."""
    rows = await store_grading.results(session, run.id)
    clashes = await store_grading.approved_elsewhere(
        session, run.year, [r.officer_id for r in rows], run_id=run.id
    )
    if clashes:
        listed = ", ".join(f"{o} (run {r})" for o, r in clashes[:5])
        raise Conflict(
            f"O15: the {run.year} grading of {len(clashes)} officer(s) is already "
            f"approved in another run: {listed}"
        )
    officers = await store.officers_by_id(session, [r.officer_id for r in rows])
    policy = GradingPolicy.from_dict(run.policy)
    fx = _Effects()
    for row in rows:
        _decide(run, row, officers[row.officer_id], policy, on=on, nth=nth, fx=fx, at=at)
    for start in range(0, len(rows), 2000):
        await session.execute(insert(OfficerGrade), fx.grades[start : start + 2000])
        await session.execute(insert(PaySheetLine), fx.pay[start : start + 2000])
    await _send_to_collection(session, run, fx, by=by, at=at, nth=nth)
    await _withdraw(session, run, fx, on=on, nth=nth)
    await dossier.append(session, fx.entries, by=by, at=at)


async def _send_to_collection(
    session: AsyncSession, run: GradingRunRow, fx: _Effects, *, by: str, at: datetime, nth: int
) -> None:
    """O5: off post, a collection assignment, a new post period and a dossier entry each."""
    if not fx.leavers:
        return
    ids = [o.id for o, _s, _e in fx.leavers]
    on = fx.leavers[0][1]
    for officer, _start, _end in fx.leavers:
        officer.status = "collection"
    await close_periods_bulk(session, ids, on)
    reason = f"O5 score below the grade-3 threshold in {run.year} (run {run.id}): leaves the post"
    await session.execute(
        insert(OfficerPostPeriod),
        [
            {
                "officer_id": o.id,
                "org_id": o.org_id,
                "post": o.post,
                "status": "collection",
                "start_date": start,
                "end_date": None,
                "reason": reason,
                "recorded_by": by,
                "recorded_at": at,
            }
            for o, start, _end in fx.leavers
        ],
    )
    await session.execute(
        insert(CollectionAssignment),
        [
            {
                "officer_id": o.id,
                "year": run.year,
                "run_id": run.id,
                "start_date": start,
                "end_date": end,
                "status": "open",
                "created_at": at,
            }
            for o, start, end in fx.leavers
        ],
    )
    ranking_state.note_shown(session)  # the county ranking lists O5 assignments (a Core insert)
    fx.entries += [
        NewEntry(
            f"collection:{run.id}:{nth}:{o.id}",
            o.id,
            EntryKind.COLLECTION,
            f"O5 leaves the post: NPL collection assignment {start} to {end}",
            start,
            {"run_id": run.id, "year": run.year, "start_date": str(start), "end_date": str(end)},
            subtype="assigned",
        )
        for o, start, end in fx.leavers
    ]


async def _withdraw(
    session: AsyncSession, run: GradingRunRow, fx: _Effects, *, on: date, nth: int
) -> None:
    """O6: a disqualified officer outside protection loses its certificates."""
    reason = f"O6 disqualified in the {run.year} grading (run {run.id})"
    withdrawn: list[tuple[str, str]] = []
    for start in range(0, len(fx.withdrawn), 900):
        chunk = fx.withdrawn[start : start + 900]
        valid = select(Certificate.officer_id, Certificate.number).where(
            Certificate.officer_id.in_(chunk), Certificate.withdrawn_on.is_(None)
        )
        withdrawn += [(o, n) for o, n in (await session.execute(valid)).all()]
        await session.execute(
            update(Certificate)
            .where(Certificate.officer_id.in_(chunk), Certificate.withdrawn_on.is_(None))
            .values(withdrawn_on=on, withdrawn_reason=reason, withdrawn_by_run=run.id)
        )
    fx.entries += [
        NewEntry(
            f"certificate:{number}:withdrawn:{run.id}:{nth}",
            officer_id,
            EntryKind.CERTIFICATE,
            f"O6 certificate {number} withdrawn",
            on,
            {"number": number, "run_id": run.id, "reason": reason},
            subtype="withdrawn",
        )
        for officer_id, number in withdrawn
    ]


async def reopen(
    session: AsyncSession, run: GradingRunRow, *, on: date, by: str, at: datetime, nth: int
) -> None:
    """O15: an explicit reopen unfreezes the year for this run's officers: grades and pay
    sheets are withdrawn, O5 assignments cancelled (officers back on post), O6 withdrawals
    undone. Refused once an assignment has a result."""
    assignments = list(
        await session.scalars(
            select(CollectionAssignment).where(
                CollectionAssignment.run_id == run.id, CollectionAssignment.status != "cancelled"
            )
        )
    )
    decided = [a for a in assignments if a.status != "open"]
    if decided:
        raise Conflict(
            f"O15: the collection assignment of {decided[0].officer_id} already has "
            f"a result ({decided[0].status}); the run cannot be reopened"
        )
    officer_ids = [r.officer_id for r in await store_grading.results(session, run.id)]
    entries = [
        NewEntry(
            f"grading:{run.id}:reopened:{nth}:{o}",
            o,
            EntryKind.GRADING,
            f"O15 grading {run.year} reopened (run {run.id}): grade and pay sheet withdrawn",
            on,
            {"run_id": run.id, "year": run.year},
            subtype="reopened",
        )
        for o in officer_ids
    ]
    back = await store.officers_by_id(session, [a.officer_id for a in assignments])
    for a in assignments:
        a.status = "cancelled"
        back[a.officer_id].status = "on_post"
    if back:
        await close_periods_bulk(session, list(back), on)
        reason = f"O15 run {run.id} reopened: back on post, collection assignment cancelled"
        await session.execute(
            insert(OfficerPostPeriod),
            [
                {
                    "officer_id": o.id,
                    "org_id": o.org_id,
                    "post": o.post,
                    "status": "on_post",
                    "start_date": on,
                    "end_date": None,
                    "reason": reason,
                    "recorded_by": by,
                    "recorded_at": at,
                }
                for o in back.values()
            ],
        )
    restored = (
        await session.execute(
            select(Certificate.officer_id, Certificate.number).where(
                Certificate.withdrawn_by_run == run.id
            )
        )
    ).all()
    await session.execute(
        update(Certificate)
        .where(Certificate.withdrawn_by_run == run.id)
        .values(withdrawn_on=None, withdrawn_reason=None, withdrawn_by_run=None)
    )
    entries += [
        NewEntry(
            f"certificate:{n}:restored:{run.id}:{nth}",
            o,
            EntryKind.CERTIFICATE,
            f"certificate {n} restored (run {run.id} reopened)",
            on,
            {"number": n, "run_id": run.id},
            subtype="restored",
        )
        for o, n in restored
    ]
    await session.execute(delete(OfficerGrade).where(OfficerGrade.run_id == run.id))
    await session.execute(delete(PaySheetLine).where(PaySheetLine.run_id == run.id))
    await dossier.append(session, entries, by=by, at=at)

"""Queries for figures, grading runs, grades, pay sheets and the records grading counts
(O7-O16); they take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.officers.grading.figures import FiguresValues
from services.officers.grading.run_inputs import FiguresRow
from services.officers.models.grading import (
    DossierEntry,
    GradingResultRow,
    GradingRunRow,
    GradingRunStep,
    OfficerGrade,
    PaySheetLine,
    YearFigures,
)
from services.officers.models.people import Exam, ExamResult, Officer, OrgNode
from services.officers.org.store import within
from shared.paging import keyset

FIGURE_FIELDS = tuple(FiguresValues.__dataclass_fields__)


def values_of(row: YearFigures) -> FiguresValues:
    """The stored figures as the pure value object."""
    return FiguresValues(**{name: getattr(row, name) for name in FIGURE_FIELDS})


async def year_rows(session: AsyncSession, year: int) -> list[FiguresRow]:
    """Every officer's recorded figures for `year` with the officer's node and post."""
    stmt = (
        select(YearFigures, Officer.org_id, Officer.post)
        .join(Officer, Officer.id == YearFigures.officer_id)
        .where(YearFigures.year == year)
    )
    return [
        FiguresRow(fig.officer_id, org_id, post, values_of(fig))
        for fig, org_id, post in (await session.execute(stmt)).all()
    ]


async def sub_branch_classes(session: AsyncSession) -> dict[str, tuple[str, int]]:
    """O7: each sub-branch's (county, class)."""
    stmt = select(OrgNode.id, OrgNode.county, OrgNode.sub_branch_class).where(
        OrgNode.kind == "sub_branch"
    )
    return {
        node_id: (county, int(klass))
        for node_id, county, klass in (await session.execute(stmt)).all()
        if county and klass
    }


async def record_counts(session: AsyncSession, year: int) -> dict[str, dict[str, int]]:
    """O11 counts from the records of `year`: failed business exams and skill tests, and the
    penalty entries (not superseded) by finding."""
    out: dict[str, dict[str, int]] = {}
    exams = (
        select(ExamResult.officer_id, func.count())
        .join(Exam, Exam.id == ExamResult.exam_id)
        .where(
            Exam.year == year, Exam.kind.in_(("business", "skill")), ExamResult.passed.is_(False)
        )
        .group_by(ExamResult.officer_id)
    )
    for officer_id, n in (await session.execute(exams)).all():
        out.setdefault(officer_id, {})["failed_exams"] = int(n)
    newer = aliased(DossierEntry)
    names = {"fine": "fines", "criticism": "criticisms", "serious_violation": "serious_violations"}
    findings = (
        select(DossierEntry.officer_id, DossierEntry.subtype, func.count())
        .outerjoin(newer, newer.supersedes_id == DossierEntry.id)
        .where(
            DossierEntry.kind == "penalty",
            DossierEntry.subtype.in_(tuple(names)),
            DossierEntry.occurred_on.between(date(year, 1, 1), date(year, 12, 31)),
            newer.id.is_(None),
        )
        .group_by(DossierEntry.officer_id, DossierEntry.subtype)
    )
    for officer_id, subtype, n in (await session.execute(findings)).all():
        out.setdefault(officer_id, {})[names[str(subtype)]] = int(n)
    return out


async def approved_elsewhere(
    session: AsyncSession, year: int, officer_ids: Sequence[str], *, run_id: int | None
) -> list[tuple[str, int]]:
    """O15: (officer, run) pairs whose grade for `year` another run has frozen."""
    found: list[tuple[str, int]] = []
    ids = sorted(set(officer_ids))
    for start in range(0, len(ids), 900):
        stmt = select(OfficerGrade.officer_id, OfficerGrade.run_id).where(
            OfficerGrade.year == year, OfficerGrade.officer_id.in_(ids[start : start + 900])
        )
        if run_id is not None:
            stmt = stmt.where(OfficerGrade.run_id != run_id)
        found += [(o, r) for o, r in (await session.execute(stmt)).all()]
    return sorted(found)


async def frozen_officers(session: AsyncSession, year: int) -> dict[str, int]:
    """O15: officer -> the run that froze its grade for `year`."""
    stmt = select(OfficerGrade.officer_id, OfficerGrade.run_id).where(OfficerGrade.year == year)
    return {str(o): int(r) for o, r in (await session.execute(stmt)).all()}


async def get_figures(session: AsyncSession, officer_id: str, year: int) -> YearFigures | None:
    return await session.get(YearFigures, (officer_id, year))


async def figures_for(
    session: AsyncSession, year: int, officer_ids: Sequence[str]
) -> dict[str, YearFigures]:
    out: dict[str, YearFigures] = {}
    ids = sorted(set(officer_ids))
    for start in range(0, len(ids), 900):
        stmt = select(YearFigures).where(
            YearFigures.year == year, YearFigures.officer_id.in_(ids[start : start + 900])
        )
        out.update({f.officer_id: f for f in await session.scalars(stmt)})
    return out


async def list_figures(
    session: AsyncSession, year: int, *, under: str, limit: int, cursor: str | None
) -> Sequence[YearFigures]:
    """A page (up to `limit + 1` rows) of the year's figures in a subtree, by officer id."""
    stmt = (
        select(YearFigures)
        .join(Officer, Officer.id == YearFigures.officer_id)
        .where(YearFigures.year == year, within(Officer.org_id, under))
    )
    order = [(YearFigures.officer_id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def get_run(session: AsyncSession, run_id: int) -> GradingRunRow | None:
    return await session.get(GradingRunRow, run_id)


async def run_by_key(session: AsyncSession, key: str) -> GradingRunRow | None:
    stmt = select(GradingRunRow).where(GradingRunRow.idempotency_key == key)
    return (await session.scalars(stmt)).first()


async def list_runs(
    session: AsyncSession, *, under: str, year: int | None, limit: int, cursor: str | None
) -> Sequence[GradingRunRow]:
    """A page (up to `limit + 1` rows) of the runs in a subtree, oldest (lowest id) first."""
    stmt = select(GradingRunRow).where(within(GradingRunRow.org_id, under))
    if year is not None:
        stmt = stmt.where(GradingRunRow.year == year)
    order = [(GradingRunRow.id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def run_steps(session: AsyncSession, run_id: int) -> Sequence[GradingRunStep]:
    stmt = select(GradingRunStep).where(GradingRunStep.run_id == run_id)
    return (await session.scalars(stmt.order_by(GradingRunStep.id))).all()


async def step_by_key(session: AsyncSession, key: str) -> GradingRunStep | None:
    stmt = select(GradingRunStep).where(GradingRunStep.idempotency_key == key)
    return (await session.scalars(stmt)).first()


async def results(
    session: AsyncSession,
    run_id: int,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    under: str | None = None,
) -> Sequence[GradingResultRow]:
    """A run's stored results by officer id (all, or a page of up to `limit + 1` rows)."""
    stmt = select(GradingResultRow).where(GradingResultRow.run_id == run_id)
    if under is not None:
        stmt = stmt.where(within(GradingResultRow.org_id, under))
    if limit is None:
        stmt = stmt.order_by(GradingResultRow.officer_id)
    else:
        stmt = keyset(stmt, [(GradingResultRow.officer_id, False)], cursor=cursor, limit=limit)
    return (await session.scalars(stmt)).all()


async def grade_counts(session: AsyncSession, run_id: int) -> dict[str, int]:
    """How many results per grade ("none": disqualified) and managers graded for reference."""
    stmt = (
        select(GradingResultRow.grade, GradingResultRow.post, func.count())
        .where(GradingResultRow.run_id == run_id)
        .group_by(GradingResultRow.grade, GradingResultRow.post)
    )
    out = {"1": 0, "2": 0, "3": 0, "none": 0, "reference_only": 0}
    for grade, post, n in (await session.execute(stmt)).all():
        out["none" if grade is None else str(grade)] += int(n)
        if post != "officer":
            out["reference_only"] += int(n)
    return out


async def pay_lines(
    session: AsyncSession, year: int, *, under: str, limit: int, cursor: str | None
) -> Sequence[PaySheetLine]:
    """A page (up to `limit + 1` rows) of a year's pay sheet in a subtree, by officer id."""
    stmt = select(PaySheetLine).where(PaySheetLine.year == year, within(PaySheetLine.org_id, under))
    order = [(PaySheetLine.officer_id, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()


async def officer_grades(
    session: AsyncSession, officer_id: str, *, limit: int, cursor: str | None
) -> Sequence[OfficerGrade]:
    """A page (up to `limit + 1` rows) of the officer's approved grades, oldest year first."""
    stmt = select(OfficerGrade).where(OfficerGrade.officer_id == officer_id)
    order = [(OfficerGrade.year, False)]
    return (await session.scalars(keyset(stmt, order, cursor=cursor, limit=limit))).all()

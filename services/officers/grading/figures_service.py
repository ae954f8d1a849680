"""Yearly figures per officer: one record over the API or a whole CSV file (O7-O11, O15).

Either every row is good and the file is applied in one transaction, or nothing is written and
every problem is reported with its line number, column and rule. A dry run checks the same and
reports what would be created or changed, writing nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.grading import store as store_grading
from services.officers.grading.figures import (
    CsvProblem,
    FiguresValues,
    clean_figures,
    clean_peer_columns,
    read_figures_csv,
)
from services.officers.grading.run_inputs import sub_branch_of
from services.officers.grading.schemas import FigureChange, FiguresImportRead
from services.officers.models.grading import YearFigures
from services.officers.models.people import Officer
from services.officers.org import store
from shared.auth import Caller
from shared.errors import Conflict, InvalidInput

MAX_REPORTED = 1000


@dataclass(frozen=True)
class Checked:
    """A row that passed every check."""

    line: int
    officer_id: str
    values: FiguresValues


def _peer_problems(
    officer: Officer, raw: Mapping[str, object], classes: Mapping[str, tuple[str, int]]
) -> list[tuple[str, str, str]]:
    """O7: the officer must sit in a classed sub-branch; given county/class must agree."""
    county, klass, problems = clean_peer_columns(raw)
    out = [(p.field, p.rule, p.detail) for p in problems]
    sub = sub_branch_of(officer.org_id)
    if sub is None or sub not in classes:
        detail = f"officer {officer.id} at {officer.org_id} is not in a classed sub-branch"
        return [*out, ("officer_id", "O7", detail)]
    tree_county, tree_class = classes[sub]
    if county is not None and county != tree_county:
        out.append(("county", "O7", f"county {county!r} is not {sub}'s county {tree_county!r}"))
    if klass is not None and klass != tree_class:
        out.append(("branch_class", "O7", f"class {klass} is not {sub}'s class {tree_class}"))
    return out


def _frozen_problem(officer_id: str, year: int, frozen: Mapping[str, int]) -> str | None:
    run = frozen.get(officer_id)
    if run is None:
        return None
    return f"{officer_id}'s {year} grading is approved in run {run}; reopen it first"


async def put_figures(
    session: AsyncSession,
    officer: Officer,
    year: int,
    raw: Mapping[str, Any],
    *,
    by: str,
    at: datetime,
) -> tuple[YearFigures, bool]:
    """Record (or replace) an officer's figures for a year; refused once approved (O15)."""
    values, problems = clean_figures(raw, text=False)
    classes = await store_grading.sub_branch_classes(session)
    found = [(p.field, p.rule, p.detail) for p in problems]
    found += _peer_problems(officer, raw, classes)
    unknown = sorted(
        set(raw) - set(FiguresValues.__dataclass_fields__) - {"county", "branch_class"}
    )
    found += [(name, "O13", f"unknown field {name!r}") for name in unknown]
    if found:
        errors = [{"pointer": f"/{f}", "detail": f"{r}: {d}"} for f, r, d in found]
        raise InvalidInput("; ".join(e["detail"] for e in errors[:5]), errors=errors)
    assert values is not None
    frozen = _frozen_problem(officer.id, year, await store_grading.frozen_officers(session, year))
    if frozen:
        raise Conflict(f"O15: {frozen}")
    row = await store_grading.get_figures(session, officer.id, year)
    created = row is None
    if row is None:
        row = YearFigures(officer_id=officer.id, year=year)
        session.add(row)
    for name, value in vars(values).items():
        setattr(row, name, value)
    row.source, row.updated_by, row.updated_at = "api", by, at
    await session.flush()
    return row, created


async def import_csv(
    session: AsyncSession, year: int, text: str, *, caller: Caller, dry_run: bool, at: datetime
) -> FiguresImportRead:
    """Check a figures CSV row by row, then apply it whole (or only report, for a dry run)."""
    rows, problems = read_figures_csv(text)
    officers = await store.officers_by_id(session, [r.cells["officer_id"] for r in rows])
    classes = await store_grading.sub_branch_classes(session)
    frozen = await store_grading.frozen_officers(session, year)
    checked: list[Checked] = []
    for row in rows:
        officer_id = row.cells["officer_id"]
        officer = officers.get(officer_id)
        if officer is None or not caller.sees(officer.org_id):
            detail = f"officer {officer_id} does not exist"
            problems.append(CsvProblem(row.line, "officer_id", "O13", detail))
            continue
        values, bad = clean_figures(row.cells, text=True)
        problems += [CsvProblem(row.line, p.field, p.rule, p.detail) for p in bad]
        for field, rule, detail in _peer_problems(officer, row.cells, classes):
            problems.append(CsvProblem(row.line, field, rule, detail))
        frozen_detail = _frozen_problem(officer_id, year, frozen)
        if frozen_detail:
            problems.append(CsvProblem(row.line, "officer_id", "O15", frozen_detail))
        if values is not None and not bad:
            checked.append(Checked(row.line, officer_id, values))
    if problems:
        raise _csv_refused(problems, dry_run=dry_run)
    existing = await store_grading.figures_for(session, year, [c.officer_id for c in checked])
    changes, creates, updates = _diff(checked, existing)
    if not dry_run:
        await _apply(session, year, creates, updates, by=caller.subject, at=at)
    unchanged = len(checked) - len(creates) - len(updates)
    return FiguresImportRead(
        year=year,
        dry_run=dry_run,
        rows=len(checked),
        created=len(creates),
        updated=len(updates),
        unchanged=unchanged,
        changes=changes,
    )


def _csv_refused(problems: list[CsvProblem], *, dry_run: bool) -> InvalidInput:
    problems.sort(key=lambda p: (p.line, p.column))
    errors = [
        {
            "pointer": f"/rows/{p.line}/{p.column}" if p.column else f"/rows/{p.line}",
            "detail": f"row {p.line}: {p.rule}: {p.detail}",
        }
        for p in problems[:MAX_REPORTED]
    ]
    lines = len({p.line for p in problems})
    what = "the dry run found" if dry_run else "nothing was imported:"
    summary = f"{what} {len(problems)} problem(s) on {lines} row(s); first: {errors[0]['detail']}"
    return InvalidInput(summary, errors=errors)


def _diff(
    checked: list[Checked], existing: Mapping[str, YearFigures]
) -> tuple[list[FigureChange], list[Checked], list[Checked]]:
    changes: list[FigureChange] = []
    creates: list[Checked] = []
    updates: list[Checked] = []
    for item in checked:
        new = item.values.as_dict()
        old_row = existing.get(item.officer_id)
        if old_row is None:
            creates.append(item)
            diff = {k: {"from": None, "to": v} for k, v in new.items()}
            changes.append(
                FigureChange(
                    line=item.line, officer_id=item.officer_id, action="create", changes=diff
                )
            )
            continue
        old = store_grading.values_of(old_row).as_dict()
        diff = {k: {"from": old[k], "to": v} for k, v in new.items() if old[k] != v}
        if diff:
            updates.append(item)
            changes.append(
                FigureChange(
                    line=item.line, officer_id=item.officer_id, action="update", changes=diff
                )
            )
    return changes, creates, updates


async def _apply(
    session: AsyncSession,
    year: int,
    creates: list[Checked],
    updates: list[Checked],
    *,
    by: str,
    at: datetime,
) -> None:
    def row(item: Checked) -> dict[str, Any]:
        return {
            "officer_id": item.officer_id,
            "year": year,
            **vars(item.values),
            "source": "csv",
            "updated_by": by,
            "updated_at": at,
        }

    for start in range(0, len(creates), 2000):
        await session.execute(insert(YearFigures), [row(c) for c in creates[start : start + 2000]])
    if updates:
        await session.execute(update(YearFigures), [row(u) for u in updates])

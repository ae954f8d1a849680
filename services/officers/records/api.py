"""HTTP routes for pay sheets and approved grades (O4, O6, O14, O15), the dossier (O16) and
the monthly ranking (O36)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from services.officers.deps import (
    OfficerId,
    RuleRoute,
    StaffDep,
    TodayDep,
    invalid,
    now_utc,
    rule,
    visible_officer,
)
from services.officers.grading import store as store_grading
from services.officers.grading.schemas import OfficerGradeRead, PayLineRead
from services.officers.kernel.rules import RuleError
from services.officers.org import store
from services.officers.records import dossier
from services.officers.records import service as ranking_service
from services.officers.records.dossier import DocumentType, EntryKind, Finding, NewEntry
from services.officers.records.rules import YearMonth
from services.officers.records.schemas import (
    DossierEntryCreate,
    DossierEntryRead,
    DossierRead,
    RankingMonthRead,
    RankingYearRead,
    ScoresIn,
    ScoresRecorded,
)
from shared.auth import ReaderDep, narrowest
from shared.db import SessionDep
from shared.errors import InvalidInput
from shared.openapi import also
from shared.org import OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
YearPath = Annotated[int, Path(ge=1990, le=2100)]
MonthPath = Annotated[int, Path(ge=1, le=12)]


@router.get("/pay-sheets/{year}", tags=["pay"])
async def pay_sheet(
    session: SessionDep,
    caller: ReaderDep,
    year: YearPath,
    org: Annotated[OrgPath | None, Query(description="subtree (default: the caller's)")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The yearly pay sheet of a subtree: one line per officer whose grading is approved,
    with its salary coefficient (O6 grade, O14 post, O4 protection floor), performance pay
    and the reasons; by officer id, a page at a time (`{year, org, items, next_cursor}`,
    issue 13)."""
    under = narrowest(caller, org)
    rows = await store_grading.pay_lines(session, year, under=under, limit=limit, cursor=cursor)
    lines, after = page_of(rows, limit, lambda r: (r.officer_id,))
    return {
        "year": year,
        "org": under,
        "items": [PayLineRead.model_validate(x).model_dump(mode="json") for x in lines],
        "next_cursor": after,
    }


@router.get("/officers/{officer_id}/grades", response_model=Page[OfficerGradeRead], tags=["pay"])
async def officer_grades(
    session: SessionDep,
    caller: ReaderDep,
    officer_id: OfficerId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OfficerGradeRead]:
    """O15: the officer's approved (frozen) grade and coefficient per year, oldest first, a
    page at a time (issue 13)."""
    await visible_officer(session, caller, officer_id)
    rows = await store_grading.officer_grades(session, officer_id, limit=limit, cursor=cursor)
    grades, after = page_of(rows, limit, lambda g: (g.year,))
    return Page(items=[OfficerGradeRead.model_validate(g) for g in grades], next_cursor=after)


def _subtype(data: DossierEntryCreate) -> str | None:
    allowed: dict[str, Any] = {"document": DocumentType, "penalty": Finding}
    kind = allowed.get(data.kind)
    if kind is None:
        return data.subtype
    if data.subtype is None:
        raise InvalidInput(
            f"a {data.kind} needs a subtype: " + ", ".join(kind), pointer="/subtype", rule="O16"
        )
    try:
        return str(kind(data.subtype).value)
    except ValueError:
        raise InvalidInput(
            f"subtype of a {data.kind} must be one of: " + ", ".join(kind),
            pointer="/subtype",
            rule="O16",
        ) from None


@router.post(
    "/officers/{officer_id}/dossier",
    status_code=201,
    responses=also(200, model=DossierEntryRead, description="a repeat returns the stored entry"),
    response_model=DossierEntryRead,
    tags=["dossier"],
    openapi_extra=rule("O16"),
)
async def add_entry(
    data: DossierEntryCreate,
    session: SessionDep,
    caller: StaffDep,
    officer_id: OfficerId,
    response: Response,
) -> DossierEntryRead:
    """O16: add a document (application, responsible-loan list, NPL list, contract, ID,
    diploma, certificate), a reward or a penalty (a penalty's subtype is the O11 finding:
    fine, criticism, serious_violation, counted by grading). Nothing is ever changed or
    deleted: a correction supersedes an older entry. `id` is your key: a repeat returns it."""
    await visible_officer(session, caller, officer_id)
    entry = NewEntry(
        f"manual:{officer_id}:{data.id}",
        officer_id,
        EntryKind(data.kind),
        data.title,
        data.occurred_on,
        data.details,
        _subtype(data),
    )
    row, created = await dossier.add_manual(
        session, entry, supersedes=data.supersedes, by=caller.subject, at=now_utc()
    )
    if not created:
        response.status_code = 200
    return _entry_read(row, None)


def _entry_read(row: Any, superseded_by: int | None) -> DossierEntryRead:
    return DossierEntryRead(
        id=row.id,
        key=row.entry_key,
        kind=row.kind,
        subtype=row.subtype,
        title=row.title,
        occurred_on=row.occurred_on,
        details=row.details,
        supersedes=row.supersedes_id,
        superseded_by=superseded_by,
        automatic=row.automatic,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


@router.get("/officers/{officer_id}/dossier", response_model=DossierRead, tags=["dossier"])
async def get_dossier(
    session: SessionDep,
    caller: ReaderDep,
    today: TodayDep,
    officer_id: OfficerId,
    kind: Annotated[EntryKind | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DossierRead:
    """O16: the officer's dossier, every entry ever written (oldest first, a page at a time:
    `items`, `next_cursor`; issue 13), with which ones later entries supersede, and over the
    whole dossier how many are current and whether it was updated within the last year."""
    await visible_officer(session, caller, officer_id)
    of_kind = None if kind is None else kind.value
    rows, newer = await dossier.entry_page(
        session, officer_id, kind=of_kind, limit=limit, cursor=cursor
    )
    page, after = page_of(rows, limit, lambda r: (r.id,))
    current, last = await dossier.summary(session, officer_id, kind=of_kind)
    return DossierRead(
        officer_id=officer_id,
        items=[_entry_read(r, newer.get(r.id)) for r in page],
        next_cursor=after,
        current=current,
        last_updated=last,
        updated_within_a_year=last is not None and last.date() > today - timedelta(days=365),
    )


def _month(year: int, month: int) -> YearMonth:
    try:
        return YearMonth(year, month)
    except RuleError as exc:
        raise invalid(exc) from None


@router.put(
    "/rankings/{year}/{month}/scores",
    response_model=ScoresRecorded,
    tags=["ranking"],
    openapi_extra=rule("O36"),
)
async def record_scores(
    data: ScoresIn, session: SessionDep, caller: StaffDep, year: YearPath, month: MonthPath
) -> ScoresRecorded:
    """O36: record (or correct) officers' assessment scores for a month."""
    officers = await store.officers_by_id(session, [s.officer_id for s in data.scores])
    seen: set[str] = set()
    for index, item in enumerate(data.scores):
        officer = officers.get(item.officer_id)
        pointer = f"/scores/{index}/officer_id"
        if officer is None or not caller.sees(officer.org_id):
            raise InvalidInput(
                f"officer {item.officer_id} does not exist", pointer=pointer, rule="O36"
            )
        if item.officer_id in seen:
            raise InvalidInput(
                f"officer {item.officer_id} is scored twice", pointer=pointer, rule="O36"
            )
        seen.add(item.officer_id)
    return await ranking_service.record(
        session, _month(year, month), data.scores, by=caller.subject, at=now_utc()
    )


@router.get("/rankings/{year}/{month}", response_model=RankingMonthRead, tags=["ranking"])
async def month_ranking(
    session: SessionDep,
    caller: ReaderDep,
    year: YearPath,
    month: MonthPath,
    org: Annotated[OrgPath | None, Query(description="the ranking group (default: yours)")] = None,
) -> RankingMonthRead:
    """O36: the month's ranking of the officers scored under a node: the bottom 3 go to
    retraining paired with the top 3; last month's pairs earn a bonus when the trainee
    reached the top 10; the year's bottom-group record with elimination flags so far."""
    return await ranking_service.month_view(
        session, _month(year, month), under=narrowest(caller, org)
    )


@router.get("/rankings/{year}", response_model=RankingYearRead, tags=["ranking"])
async def year_ranking(
    session: SessionDep,
    caller: ReaderDep,
    year: YearPath,
    org: Annotated[OrgPath | None, Query(description="the ranking group (default: yours)")] = None,
) -> RankingYearRead:
    """O36 at year end: every pair bonus and who is flagged for elimination (bottom 3 two
    months in a row, or three times in the year)."""
    return await ranking_service.year_view(session, year, under=narrowest(caller, org))

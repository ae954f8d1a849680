"""HTTP routes for the grading what-if (contract), yearly policies and yearly figures
(O6-O15, O36 policy)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Query, Request, Response

from services.officers.deps import (
    HeadOfficeDep,
    OfficerId,
    RuleRoute,
    StaffDep,
    invalid,
    now_utc,
    rule,
    visible_officer,
)
from services.officers.grading import api_runs, figures_service
from services.officers.grading import store as store_grading
from services.officers.grading.compute_input import REQUIRED, parse_compute
from services.officers.grading.figures import ALL_COLUMNS
from services.officers.grading.rules import grade_all
from services.officers.grading.schemas import (
    ComputeRead,
    FiguresImportRead,
    FiguresIn,
    FiguresRead,
    PolicyRead,
)
from services.officers.kernel import policies
from services.officers.kernel.policies import PolicyKind, StoredPolicy
from services.officers.kernel.rules import RuleError
from services.officers.models.grading import YearFigures
from shared.auth import ReaderDep, narrowest
from shared.db import SessionDep
from shared.errors import InvalidInput, NotFound
from shared.openapi import also
from shared.org import OrgPath
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
YearPath = Annotated[int, Path(ge=1990, le=2100)]

_FIGURE = {
    "type": "object",
    "required": list(REQUIRED),
    "properties": {
        **{k: {"type": "string"} for k in ("officer_id", "county")},
        "branch_class": {"enum": [1, 2, 3]},
        **{
            k: {"type": "string", "description": "yuan"}
            for k in ("interest_income", "new_npl_balance", "managed_balance")
        },
        **{
            k: {"type": "integer", "minimum": 0}
            for k in ("loans_issued", "failed_exams", "fines", "criticisms", "serious_violations")
        },
        "post": {"enum": ["officer", "sub_branch_head", "deputy_head", "office_director"]},
    },
}
_COMPUTE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["year", "officers"],
                    "properties": {
                        "year": {"type": "integer"},
                        "policy": {
                            "type": "object",
                            "description": "O6-O12 parameters; missing keys take the "
                            "spec defaults (npl_tolerance_ratio in percent, default 1.5)",
                        },
                        "officers": {"type": "array", "items": _FIGURE},
                    },
                }
            }
        },
    }
}


@router.post(
    "/grading/compute",
    tags=["grading"],
    responses={200: {"model": ComputeRead}},
    openapi_extra=_COMPUTE_BODY,
)
async def compute(_caller: ReaderDep, payload: Annotated[Any, Body()]) -> Response:
    """What-if grading (contract): O7 peer averages over the officers in the body with the same
    county and class, O8-O14 with the full O13 breakdown. Stores nothing."""
    parsed, problems = parse_compute(payload)
    if parsed is None:
        errors = [{"pointer": p.pointer, "detail": f"{p.rule}: {p.detail}"} for p in problems]
        detail = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in errors[:5])
        raise InvalidInput(detail, errors=errors[:1000])
    try:
        results = grade_all(parsed.figures, parsed.policy)
    except RuleError as exc:
        raise invalid(exc) from None
    body = orjson.dumps({"results": [r.to_dict() for r in results]})
    return Response(body, media_type="application/json")


def _policy_read(stored: StoredPolicy) -> PolicyRead:
    return PolicyRead(
        kind=stored.kind.value,
        year=stored.year,
        company=policies.COMPANY,
        version=stored.version,
        policy=stored.body,
        created_by=stored.created_by,
        created_at=stored.created_at,
    )


@router.get("/policies/{kind}/{year}", response_model=PolicyRead, tags=["policies"])
async def get_policy(
    session: SessionDep, _caller: ReaderDep, kind: PolicyKind, year: YearPath
) -> PolicyRead:
    """A year's policy: grading (O4-O14) or ranking (O36); version 0 means the spec
    defaults (nothing stored for that year)."""
    return _policy_read(await policies.current(session, kind, year))


@router.get("/policies/{kind}/{year}/history", response_model=list[PolicyRead], tags=["policies"])
async def policy_history(
    session: SessionDep, _caller: ReaderDep, kind: PolicyKind, year: YearPath
) -> list[PolicyRead]:
    """Every stored version of a year's policy (changes never overwrite). A plain list
    (issue 13): one policy-year's versions, a few edits a year."""
    return [_policy_read(p) for p in await policies.history(session, kind, year)]


@router.put(
    "/policies/{kind}/{year}",
    response_model=PolicyRead,
    responses=also(201, model=PolicyRead, description="the first version stored for the year"),
    tags=["policies"],
    openapi_extra=rule("O6-O14, O36"),
)
async def put_policy(
    session: SessionDep,
    caller: HeadOfficeDep,
    kind: PolicyKind,
    year: YearPath,
    body: Annotated[dict[str, Any], Body(description="parameters; missing keys: spec defaults")],
    response: Response,
) -> PolicyRead:
    """Set a year's policy (head office). Every parameter the spec calls a default is here;
    a new version is stored, runs keep the copy they used. The same body again is a no-op."""
    try:
        stored, created = await policies.put(
            session, kind, year, body, by=caller.subject, at=now_utc()
        )
    except RuleError as exc:
        raise invalid(exc) from None
    if created:
        response.status_code = 201
    return _policy_read(stored)


def _figures_read(row: YearFigures) -> FiguresRead:
    return FiguresRead(
        officer_id=row.officer_id,
        year=row.year,
        loans_issued=row.loans_issued,
        interest_income=row.interest_income,
        new_npl_balance=row.new_npl_balance,
        managed_balance=row.managed_balance,
        failed_exams=row.failed_exams,
        fines=row.fines,
        criticisms=row.criticisms,
        serious_violations=row.serious_violations,
        performance_pay=row.performance_pay,
        source=row.source,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


_FIGURES_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": FiguresIn.model_json_schema()}},
    }
}


@router.put(
    "/officers/{officer_id}/figures/{year}",
    response_model=FiguresRead,
    responses=also(201, model=FiguresRead, description="the first figures stored for the year"),
    tags=["figures"],
    openapi_extra={**_FIGURES_BODY, **rule("O13")},
)
async def put_figures(
    session: SessionDep,
    caller: StaffDep,
    officer_id: OfficerId,
    year: YearPath,
    body: Annotated[dict[str, Any], Body()],
    response: Response,
) -> FiguresRead:
    """Record an officer's figures for a year (the grading contract's columns). Counts left
    out are taken from the records; refused once the year's grading is approved (O15)."""
    officer = await visible_officer(session, caller, officer_id)
    row, created = await figures_service.put_figures(
        session, officer, year, body, by=caller.subject, at=now_utc()
    )
    if created:
        response.status_code = 201
    return _figures_read(row)


@router.get("/officers/{officer_id}/figures/{year}", response_model=FiguresRead, tags=["figures"])
async def get_figures(
    session: SessionDep, caller: ReaderDep, officer_id: OfficerId, year: YearPath
) -> FiguresRead:
    """An officer's recorded figures for a year."""
    await visible_officer(session, caller, officer_id)
    row = await store_grading.get_figures(session, officer_id, year)
    if row is None:
        raise NotFound(f"no figures for {officer_id} in {year}")
    return _figures_read(row)


@router.get("/figures/{year}", response_model=Page[FiguresRead], tags=["figures"])
async def list_figures(
    session: SessionDep,
    caller: ReaderDep,
    year: YearPath,
    org: Annotated[OrgPath | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[FiguresRead]:
    """The year's figures of the officers in a subtree, by officer id, a page at a time
    (issue 13)."""
    rows = await store_grading.list_figures(
        session, year, under=narrowest(caller, org), limit=limit, cursor=cursor
    )
    figures, after = page_of(rows, limit, lambda r: (r.officer_id,))
    return Page(items=[_figures_read(r) for r in figures], next_cursor=after)


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "header row, then one row per officer; columns: "
                    + ", ".join(ALL_COLUMNS),
                }
            }
        },
    }
}


@router.post(
    "/figures/{year}/import",
    response_model=FiguresImportRead,
    tags=["figures"],
    openapi_extra=_CSV_BODY,
)
async def import_figures(
    request: Request,
    session: SessionDep,
    caller: StaffDep,
    year: YearPath,
    dry_run: Annotated[bool, Query(description="check and show the changes, write nothing")] = (
        False
    ),
) -> FiguresImportRead:
    """Import a year's figures from CSV (one row per officer). Every row is checked first;
    any problem refuses the whole file (422, each error with its row number, column and rule),
    nothing half-written. A dry run shows what would be created or changed."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", pointer="", rule="O13") from None
    return await figures_service.import_csv(
        session, year, text, caller=caller, dry_run=dry_run, at=now_utc()
    )


router.include_router(api_runs.router)  # the stored runs (O13-O15), after the routes above

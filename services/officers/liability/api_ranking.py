"""The O22/O23 county ranking over the loan ledger: each officer's responsible NPL balance
(management responsible loans counted by O22), ranked per county, with collection duty and
yellow cards (O23). Issue 13: read from the balances `ranking_state` keeps (O(officers), not
O(loans)); the ETag comes from the kept state's revision, so an unchanged answer is a 304
before anything is built, and the last built pages are kept by their ETag. The ranking is
computed over whole counties; only the listing is paged (keyset on (county, rank, officer
id), the order `eliminate` answers in), optionally only the flagged officers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.officers.deps import RuleRoute, TodayDep, rule, today_in
from services.officers.grading.run_inputs import sub_branch_of
from services.officers.liability import ranking_state, ranking_validator
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.ranking import counties, recount
from services.officers.liability.ranking_state import params_of
from services.officers.liability.ranking_validator import Validator, validator_of
from services.officers.liability.rules import CountyEntry, EliminationResult, eliminate
from services.officers.liability.schemas import (
    LiabilityRankingRead,
)
from services.officers.models.people import CollectionAssignment, Officer
from shared.auth import ReaderDep, narrowest
from shared.errors import InvalidInput
from shared.etag import PolledRead, PolledReadDep, make_etag, not_modified
from shared.org import is_within
from shared.paging import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page_of

router = APIRouter(prefix="/v1", route_class=RuleRoute)
FEN = Decimal("0.01")
ZERO = Decimal(0)
PAGES_KEPT = 32  # built pages kept by ETag (one per polled scope / county / year / page)
RankKey = tuple[str, int, str]  # (county, rank, officer id): the listing's order


async def _open_assignments(session: AsyncSession) -> dict[str, date]:
    """O5: the end date of each officer's latest open collection assignment."""
    stmt = (
        select(CollectionAssignment.officer_id, CollectionAssignment.end_date)
        .where(CollectionAssignment.status == "open")
        .order_by(CollectionAssignment.start_date, CollectionAssignment.id)
    )
    return {str(o): end for o, end in (await session.execute(stmt)).all()}


async def _officers(session: AsyncSession, county: str | None) -> dict[str, tuple[str, ...]]:
    """Officers whose sub-branch has a county (only `county`'s): id -> (name, org, status,
    county), read as plain rows (10,000 officers: no ORM objects)."""
    where_of = await counties(session)
    stmt = select(Officer.id, Officer.name, Officer.org_id, Officer.status).order_by(Officer.id)
    out: dict[str, tuple[str, ...]] = {}
    for officer_id, name, org_id, status in (await session.execute(stmt)).all():
        sub = sub_branch_of(org_id)
        where = where_of.get(sub) if sub else None
        if where is not None and (county is None or where == county):
            out[officer_id] = (name, org_id, status, where)
    return out


async def _validator(
    app: Any, polled: PolledRead, *, today: date, year: int, align: bool
) -> tuple[Validator, LiabilityPolicy]:
    """The kept state and the year's policy in one statement on the read pool; with `align`,
    the state moved to today first (the first read of a day) or rebuilt (a new O22 parameter
    set for this year's policy) by a writer transaction of its own, then read again."""
    query = ranking_validator.validator_query(year)
    found = validator_of(await polled.validator(*query))
    policy = _policy(app, year, found)
    kept = found.kept
    if not align or (kept.on == today and (year != today.year or kept.params == params_of(policy))):
        return found, policy
    async with app.state.sessionmaker() as writer, writer.begin():
        await ranking_state.align(writer, today)
    found = validator_of(await polled.validator(*query))
    return found, _policy(app, year, found)


_DEFAULT_POLICY = LiabilityPolicy.default()  # frozen: validated once, not on every poll


def _policy(app: Any, year: int, found: Validator) -> LiabilityPolicy:
    """The year's liability policy of the validator's row, parsed once per stored version
    (a version is never overwritten: policies.py) and kept by this process."""
    if found.policy_body is None:
        return _DEFAULT_POLICY
    parsed: dict[tuple[int, int, Any], LiabilityPolicy] | None = getattr(
        app.state, "ranking_policies", None
    )
    if parsed is None:
        parsed = app.state.ranking_policies = {}
    key = (year, found.policy_version, found.policy_created_at)
    if (policy := parsed.get(key)) is None:
        policy = parsed[key] = LiabilityPolicy.from_dict(found.policy_body)
    return policy


def _tag(
    found: Validator, policy: LiabilityPolicy, day: date, year: int, page: tuple[Any, ...]
) -> str | None:
    """The validator of a page of the ranking on `day` (none where the kept balances are
    not O22 on that day under that policy: the page is then counted afresh)."""
    kept = found.kept
    if not kept.serves(day, policy):
        return None
    return make_etag(
        "liability-ranking",
        kept.generation,
        kept.revision,
        day,
        year,
        found.policy_version,
        *page,
    )


def _pages(request: Request) -> dict[str, bytes]:
    """The built pages of this process by ETag (a strong validator of everything shown)."""
    pages: dict[str, bytes] | None = getattr(request.app.state, "ranking_pages", None)
    if pages is None:
        pages = request.app.state.ranking_pages = {}
    return pages


def _after(cursor: str | None) -> RankKey | None:
    """The (county, rank, officer id) a cursor continues after (anything else: 422)."""
    if cursor is None:
        return None
    county, rank, officer_id = decode_cursor(cursor, 3)
    if not (
        isinstance(county, str)
        and isinstance(rank, int)
        and not isinstance(rank, bool)
        and isinstance(officer_id, str)
    ):
        raise InvalidInput("not a cursor this service issued", pointer="#query/cursor")
    return county, rank, officer_id


@router.get(
    "/liability/ranking",
    response_model=LiabilityRankingRead,
    tags=["liability"],
    openapi_extra=rule("O23"),
)
async def liability_ranking(
    request: Request,
    polled: PolledReadDep,
    caller: ReaderDep,
    today: TodayDep,
    org: Annotated[str | None, Query(max_length=140)] = None,
    county: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    flagged: Annotated[
        bool,
        Query(description="only officers with a yellow card, O23 duty or status `collection`"),
    ] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """O22/O23: each officer's responsible NPL balance from the ledger, ranked per county
    (over the whole county), the largest `bottom_count` to collection duty, a yellow card
    above `yellow_card_balance`; lists the officers of the caller's (or `org`'s) subtree, a
    page at a time in (county, rank, officer_id) order (`flagged`: only those with a yellow
    card, collection duty or an open O5 assignment). Kept balances (issue 13); `ETag`, and
    304 on `If-None-Match`, for polling."""
    scope = narrowest(caller, org)
    after = _after(cursor)
    the_year = year or today.year
    app = request.app
    found, policy = await _validator(app, polled, today=today, year=the_year, align=True)
    page = (scope, county, flagged, limit, cursor)
    tag = _tag(found, policy, today, the_year, page)
    if tag is not None:

        async def revalidate() -> str | None:
            day = today_in(app.state.settings)
            in_year = year or day.year
            found, policy = await _validator(app, polled, today=day, year=in_year, align=False)
            return _tag(found, policy, day, in_year, page)

        polled.keep(caller, revalidate)
    if tag is not None:
        if (unchanged := not_modified(if_none_match, tag)) is not None:
            return unchanged
        pages = _pages(request)
        if (body := pages.get(tag)) is not None:
            return Response(body, media_type="application/json", headers={"ETag": tag})
    async with polled.session() as session:
        if tag is not None:
            balances = await ranking_state.balances(session)
        else:
            # Another year's O22 parameters than the kept ones: counted from scratch, no ETag.
            balances = await recount(session, today, policy)
        body = await _build(
            session,
            today=today,
            year=the_year,
            scope=scope,
            county=county,
            policy=policy,
            balances=balances,
            page=(flagged, after, limit),
        )
    if tag is None:
        return Response(body, media_type="application/json")
    if len(pages) >= PAGES_KEPT:
        pages.pop(next(iter(pages)))
    pages[tag] = body
    return Response(body, media_type="application/json", headers={"ETag": tag})


def _key(row: dict[str, Any]) -> RankKey:
    return row["county"], row["rank"], row["officer_id"]


def _flagged(row: dict[str, Any]) -> bool:
    """What the dashboard shows: a yellow card, O23 collection duty or an O5 assignment."""
    return bool(row["yellow_card"] or row["collection_duty"] or row["status"] == "collection")


def _page_rows(
    rows: Iterator[dict[str, Any]], after: RankKey | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit + 1` rows after the cursor's key (rows come in key order)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if after is not None and _key(row) <= after:
            continue
        out.append(row)
        if len(out) > limit:
            break
    return out


async def _build(
    session: AsyncSession,
    *,
    today: date,
    year: int,
    scope: str,
    county: str | None,
    policy: LiabilityPolicy,
    balances: dict[str, Decimal],
    page: tuple[bool, RankKey | None, int],
) -> bytes:
    """One page of the ranking document (`LiabilityRankingRead`'s JSON): O23 over the whole
    of every county with an officer in `scope`, O(officers); `page` is (flagged, the key
    the page starts after, limit)."""
    flagged, after, limit = page
    officers = await _officers(session, county)
    wanted = {c for _n, o, _s, c in officers.values() if is_within(o, scope)}
    entries = [
        CountyEntry(i, c, balances.get(i, ZERO))
        for i, (_n, _o, _s, c) in officers.items()
        if c in wanted
    ]
    until = await _open_assignments(session)
    rows = _listed(eliminate(entries, policy), officers, until, scope)
    listed = (r for r in rows if not flagged or _flagged(r))
    items, next_cursor = page_of(_page_rows(listed, after, limit), limit, _key)
    document = _document(
        today=today, year=year, scope=scope, county=county, policy=policy, items=items
    )
    return orjson.dumps(document | {"next_cursor": next_cursor})


def _listed(
    results: list[EliminationResult],
    officers: dict[str, tuple[str, ...]],
    until: dict[str, date],
    scope: str,
) -> Iterator[dict[str, Any]]:
    """The rows (`RankedOfficerRead`'s JSON) of the results in `scope`, in their order."""
    for r in results:
        name, org_id, status, _c = officers[r.officer_id]
        if not is_within(org_id, scope):
            continue
        end = until.get(r.officer_id)
        yield {
            "officer_id": r.officer_id,
            "name": name,
            "org": org_id,
            "county": r.county,
            "npl_balance": str(r.npl_balance.quantize(FEN)),
            "rank": r.rank,
            "collection_duty": r.collection_duty,
            "yellow_card": r.yellow_card,
            "reasons": list(r.reasons),
            "status": status,
            "collection_until": None if end is None else end.isoformat(),
        }


def _document(
    *,
    today: date,
    year: int,
    scope: str,
    county: str | None,
    policy: LiabilityPolicy,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ranking page's header (`LiabilityRankingRead`) around its rows."""
    return {
        "year": year,
        "on": today.isoformat(),
        "org": scope,
        "county": county,
        "policy": {
            "npl_overdue_days": policy.npl_overdue_days,
            "disposal_grace_days": policy.disposal_grace_days,
            "bottom_count": policy.bottom_count,
            "yellow_card_balance": str(policy.yellow_card_balance),
        },
        "officers": items,
    }

"""O23, issue 13: GET /v1/liability/ranking answers a bounded page of the county ranking
(`limit` at most 1000, keyset cursor on (county, rank, officer_id)), optionally only the
flagged officers (yellow card, O23 collection duty, O5 assignment); the ranking itself is
still O23 over whole counties, so a page's figures are those of the unpaged computation. On
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from services.officers.kernel import policies
from services.officers.liability.policy import LiabilityPolicy
from services.officers.liability.ranking import placed_officers, rank, recount
from shared.auth import Role
from shared.org import is_within
from shared.paging import encode_cursor
from tests.integration.officers.test_liability_ranking import intake, npl_loan
from tests.support.auth import caller
from tests.support.officers import (
    appoint,
    certify,
    client_as,
    figures,
    officer,
    ok,
    propose_and_approve,
    record,
    run,
    seed,
)

LS03, LS04, CH01, BA02 = "HO/GZ/LS03", "HO/GZ/LS04", "HO/GZ/CH01", "HO/SZ/BA02"
PATH = "/v1/liability/ranking"
YEAR = {"year": 2026}
# officer -> (node, NPL balance or None): Liwan (LS03, LS04), Conghua, Bao'an (Shenzhen).
BOOK: dict[str, tuple[str, str | None]] = {
    "OF-C": (LS03, "1200000.00"),  # yellow card and duty
    "OF-D": (LS04, "5000.00"),  # duty (2nd of Liwan)
    "OF-E": (LS03, "3000.00"),
    "OF-F": (LS04, "3000.00"),  # tied with OF-E
    "OF-G": (LS03, None),
    "OF-H": (LS04, None),
    "OF-K": (CH01, "2000.00"),  # duty (1st of Conghua)
    "OF-L": (CH01, None),
    "OF-M": (CH01, None),
    "OF-Z": (BA02, "50000.00"),  # duty in Bao'an, outside HO/GZ
}
FLAGGED = {"OF-B", "OF-C", "OF-D", "OF-K", "OF-Z"}  # OF-B: the O5 collection assignment
KEY = ("county", "rank", "officer_id")


async def book(app: FastAPI, admin: httpx.AsyncClient) -> None:
    """OF-B on an O5 collection assignment (no NPL), the officers of BOOK with their NPL
    loans, and `bottom_count` 2 for 2026."""
    await seed(admin, {"OF-B": LS03, "OF-C": LS03})
    await certify(admin, ["OF-B", "OF-C"], year=2021)
    await appoint(admin, "OF-B", on="2021-06-01")
    await record(admin, 2025, {"OF-B": figures(criticisms=9), "OF-C": figures()})
    graded = await run(admin, org="HO/GZ")
    await propose_and_approve(admin, graded["id"], on="2026-01-20")
    for officer_id, (node, _amount) in BOOK.items():
        if officer_id != "OF-C":
            await ok(admin.post("/v1/officers", json=officer(officer_id, node)), 201)
    loans = [
        e
        for officer_id, (node, amount) in BOOK.items()
        if amount is not None
        for e in npl_loan(f"L-{officer_id}", officer_id, amount, org=node)
    ]
    await intake(app, loans)
    await ok(admin.put("/v1/policies/liability/2026", json={"bottom_count": 2}), 200, 201)


async def walk(
    client: httpx.AsyncClient, limit: int, **query: Any
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(the pages' headers, their officers), following `next_cursor` until it is null."""
    headers: list[dict[str, Any]] = []
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {**YEAR, "limit": limit, **query}
    for _ in range(len(BOOK) + 2):  # no more pages than officers: a stuck cursor fails
        page = await ok(client.get(PATH, params=params), 200)
        pages.append(page.pop("officers"))
        cursor = page.pop("next_cursor")
        headers.append(page)
        if cursor is None:
            return headers, pages
        params["cursor"] = cursor
    raise AssertionError(f"more pages than officers: {params}")


def keys(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(r[k] for k in KEY) for r in rows]


def flagged(row: dict[str, Any]) -> bool:
    return bool(row["yellow_card"] or row["collection_duty"] or row["status"] == "collection")


async def unpaged(app: FastAPI, *, scope: str, on: date) -> dict[str, tuple[Any, ...]]:
    """O23 computed at once over every ledger loan (recount), as the stored duty runs rank:
    officer -> (county, npl balance, rank, duty, yellow card, reasons) of those in `scope`."""
    async with app.state.sessionmaker() as session:
        stored = await policies.current(session, policies.PolicyKind.LIABILITY, 2026)
        policy = LiabilityPolicy.from_dict(stored.body)
        officers = await placed_officers(session, None)
        results = rank(officers, await recount(session, on, policy), policy, scope)
    return {
        r.officer_id: (
            r.county,
            str(r.npl_balance.quantize(Decimal("0.01"))),
            r.rank,
            r.collection_duty,
            r.yellow_card,
            list(r.reasons),
        )
        for r in results
        if is_within(officers[r.officer_id][0].org_id, scope)
    }


def figures_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["county"],
        row["npl_balance"],
        row["rank"],
        row["collection_duty"],
        row["yellow_card"],
        row["reasons"],
    )


async def test_o23_issue13_ranking_pages_walk_every_officer_once_in_county_rank_order(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    whole = await ok(admin.get(PATH, params={**YEAR, "limit": 1000}), 200)
    assert whole["next_cursor"] is None
    assert {r["officer_id"] for r in whole["officers"]} == {"OF-B", *BOOK}
    assert keys(whole["officers"]) == sorted(keys(whole["officers"]))
    for limit in (1, 2, 3, 11):
        headers, pages = await walk(admin, limit)
        assert all(len(p) == limit for p in pages[:-1]), limit
        assert 1 <= len(pages[-1]) <= limit
        assert [r for p in pages for r in p] == whole["officers"]
        header = {k: v for k, v in whole.items() if k not in ("officers", "next_cursor")}
        assert all(h == header for h in headers)
    # The default page is 100: the whole of this book.
    default = await ok(admin.get(PATH, params=YEAR), 200)
    assert (default["officers"], default["next_cursor"]) == (whole["officers"], None)
    # Liwan's ties: OF-E and OF-F share rank 4, listed by id, on either side of a page break.
    liwan = [r for r in whole["officers"] if r["county"] == "Liwan"]
    assert [(r["officer_id"], r["rank"]) for r in liwan] == [
        ("OF-C", 1),
        ("OF-D", 2),
        ("OF-E", 3),
        ("OF-F", 3),
        ("OF-B", 5),
        ("OF-G", 5),
        ("OF-H", 5),
    ]
    _h, pages = await walk(admin, 3, county="Liwan")
    assert [r["officer_id"] for r in pages[1]] == ["OF-F", "OF-B", "OF-G"]


async def test_o23_issue13_a_subtree_viewer_walks_only_its_officers(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    async with client_as(app, caller(Role.VIEWER, org="HO/GZ")) as viewer:
        headers, pages = await walk(viewer, 2)
    listed = [r["officer_id"] for p in pages for r in p]
    assert sorted(listed) == sorted({"OF-B", *BOOK} - {"OF-Z"})
    assert len(listed) == len(set(listed))
    assert {h["org"] for h in headers} == {"HO/GZ"}


async def test_o23_issue13_ranking_flagged_lists_exactly_the_flagged_officers(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    whole = await ok(admin.get(PATH, params={**YEAR, "limit": 1000}), 200)
    _h, pages = await walk(admin, 2, flagged="true")
    shown = [r for p in pages for r in p]
    assert {r["officer_id"] for r in shown} == FLAGGED
    assert shown == [r for r in whole["officers"] if flagged(r)]
    b = next(r for r in shown if r["officer_id"] == "OF-B")
    assert (b["status"], b["collection_until"], b["collection_duty"]) == (
        "collection",
        "2026-07-19",
        False,
    )
    # What the dashboard asks for: one page of the flagged, within a county too.
    first = await ok(admin.get(PATH, params={**YEAR, "flagged": "true", "limit": 40}), 200)
    assert (first["officers"], first["next_cursor"]) == (shown, None)
    conghua = await ok(admin.get(PATH, params={**YEAR, "flagged": "true", "county": "Conghua"}))
    assert [r["officer_id"] for r in conghua["officers"]] == ["OF-K"]


async def test_o23_issue13_figures_on_a_page_equal_the_unpaged_computation(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    first = await ok(admin.get(PATH, params={**YEAR, "limit": 1}), 200)
    on = date.fromisoformat(first["on"])
    for scope in ("HO", "HO/GZ"):
        expected = await unpaged(app, scope=scope, on=on)
        for query in ({}, {"flagged": "true"}):
            _h, pages = await walk(admin, 2, org=scope, **query)
            rows = [r for p in pages for r in p]
            assert {r["officer_id"]: figures_of(r) for r in rows} == {
                i: f for i, f in expected.items() if not query or i in FLAGGED
            }
    # A county's page is ranked over the whole county, whatever the page shows of it.
    expected = await unpaged(app, scope="HO", on=on)
    page = await ok(admin.get(PATH, params={**YEAR, "county": "Liwan", "limit": 2}), 200)
    assert [figures_of(r) for r in page["officers"]] == [expected["OF-C"], expected["OF-D"]]
    assert page["officers"][1]["rank"] == 2
    assert page["officers"][1]["collection_duty"]


async def test_o23_issue13_ranking_limit_over_1000_and_a_bad_cursor_are_422(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    over = await admin.get(PATH, params={"limit": 1001})
    assert over.status_code == 422, over.text
    assert [e["pointer"] for e in over.json()["errors"]] == ["#query/limit"]
    for cursor in (
        "garbage!",
        encode_cursor(["Liwan", 1]),
        encode_cursor(["Liwan", "one", "OF-C"]),
        encode_cursor([1, 1, "OF-C"]),
        encode_cursor(["Liwan", True, "OF-C"]),
        "A" * 401,
    ):
        bad = await admin.get(PATH, params={"cursor": cursor})
        assert bad.status_code == 422, (cursor, bad.text)
        assert [e["pointer"] for e in bad.json()["errors"]] == ["#query/cursor"], cursor


async def test_o23_issue13_ranking_etag_names_the_page_and_the_filter(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await book(app, admin)
    first = await admin.get(PATH, params={"limit": 2})
    tag, cursor = first.headers["etag"], first.json()["next_cursor"]
    assert cursor is not None
    again = await admin.get(PATH, params={"limit": 2}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    tags = {tag}
    variants: list[dict[str, Any]] = [
        {"limit": 2, "cursor": cursor},
        {"limit": 3},
        {"limit": 2, "flagged": "true"},
        {},
    ]
    for params in variants:
        other = await admin.get(PATH, params=params, headers={"If-None-Match": tag})
        assert other.status_code == 200, params
        tags.add(other.headers["etag"])
        kept = await admin.get(
            PATH, params=params, headers={"If-None-Match": other.headers["etag"]}
        )
        assert kept.status_code == 304, params
        assert (await admin.get(PATH, params=params)).json() == other.json()  # the kept page
    assert len(tags) == 5


async def test_o23_issue13_a_repeated_ranking_poll_is_revalidated_before_routing(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """The repeat's 304 comes from the route's kept recipe (shared/etag.py); a ledger change
    moving a balance, or a new policy version, still answers the new page by the route."""
    await book(app, admin)
    revalidator = app.state.revalidator
    first = await admin.get(PATH, params={"limit": 2})
    tag = first.headers["etag"]
    hits = revalidator.hits
    again = await admin.get(PATH, params={"limit": 2}, headers={"If-None-Match": tag})
    assert (again.status_code, again.headers["etag"]) == (304, tag)
    assert revalidator.hits == hits + 1
    await intake(app, npl_loan("L-NEW", "OF-C", "7000.00", org=LS03))
    moved = await admin.get(PATH, params={"limit": 2}, headers={"If-None-Match": tag})
    assert moved.status_code == 200
    assert moved.headers["etag"] != tag
    tag = moved.headers["etag"]
    assert (
        await admin.get(PATH, params={"limit": 2}, headers={"If-None-Match": tag})
    ).status_code == 304
    await ok(admin.put("/v1/policies/liability/2026", json={"bottom_count": 1}), 200, 201)
    policy = await admin.get(PATH, params={"limit": 2}, headers={"If-None-Match": tag})
    assert policy.status_code == 200
    assert revalidator.hits == hits + 2

"""Issue 13: every list a client can poll answers a bounded page `{items, next_cursor}` (at
most 1000 items, keyset cursor), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.paging import encode_cursor
from tests.integration.officers.test_ledger import disbursed, post
from tests.integration.officers.test_responsibility_handover import notice
from tests.support.officers import SUB_BRANCH, client_as, officer, ok, seed

# Every paged list of the officers service (OF-A and loan L1 exist in the tests below).
PAGED = [
    "/v1/officers",
    "/v1/grading/runs",
    "/v1/grading/runs/1/results",
    "/v1/figures/2025",
    "/v1/pay-sheets/2025",
    "/v1/officers/OF-A/grades",
    "/v1/collection/duty/2026",
    "/v1/officers/OF-A/appointments",
    "/v1/officers/OF-A/assignments",
    "/v1/officers/OF-A/buyouts/vintage",
    "/v1/officers/OF-A/funds",
    "/v1/officers/OF-A/dossier",
    "/v1/loans/L1/limitation-events",
]


async def walk(
    client: httpx.AsyncClient, path: str, limit: int, **query: str
) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `next_cursor` until it is null."""
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, Any] = {"limit": limit, **query}
    while True:
        page = await ok(client.get(path, params=params), 200)
        assert set(page) >= {"items", "next_cursor"}
        pages.append(page["items"])
        if page["next_cursor"] is None:
            return pages
        params["cursor"] = page["next_cursor"]


async def test_issue13_officers_list_is_paged_each_officer_once_in_id_order(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin)
    ids = [f"OF-{n:02d}" for n in (7, 3, 11, 1, 5, 9, 2)]
    for oid in ids:
        await ok(admin.post("/v1/officers", json=officer(oid)), 201)
    await ok(admin.post("/v1/officers", json=officer("OF-SZ", "HO/SZ/BA02")), 201)
    pages = await walk(admin, "/v1/officers", 3, org="HO/GZ")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [o["id"] for p in pages for o in p] == sorted(ids)
    whole = await ok(admin.get("/v1/officers", params={"limit": 1000}), 200)
    assert [o["id"] for o in whole["items"]] == sorted([*ids, "OF-SZ"])
    assert whole["next_cursor"] is None


async def test_issue13_limitation_events_are_paged_latest_first_each_once(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": "HO/GZ/LS03"})
    await post(app, [disbursed("L1")])
    days = {"N1": "2025-03-10", "N2": "2025-05-01", "N3": "2025-05-01", "N4": "2025-01-02"}
    async with client_as(app, SUB_BRANCH) as sub:
        for event_id, on in days.items():
            await ok(sub.post("/v1/loans/L1/limitation-events", json=notice(event_id, on)), 201)
    pages = await walk(admin, "/v1/loans/L1/limitation-events", 1)
    assert [len(p) for p in pages] == [1, 1, 1, 1]
    assert [e["event_id"] for p in pages for e in p] == ["N3", "N2", "N1", "N4"]


async def test_issue13_a_limit_over_1000_is_a_422_naming_query_limit(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": "HO/GZ/LS03"})
    await post(app, [disbursed("L1")])
    for path in PAGED:
        response = await admin.get(path, params={"limit": 1001})
        assert response.status_code == 422, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["pointer"] for e in response.json()["errors"]] == ["#query/limit"], path
        assert (await admin.get(path, params={"limit": 0})).status_code == 422, path
        assert (await admin.get(path, params={"limit": 1000})).status_code in (200, 404), path


async def test_issue13_a_garbage_cursor_is_a_422_naming_query_cursor(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": "HO/GZ/LS03"})
    await post(app, [disbursed("L1")])
    garbage = [
        "not a cursor!",
        "bm90IGpzb24",  # base64 of "not json"
        encode_cursor(["a", "b", "c", "d", "e"]),  # no list here has five keys
        "x" * 401,  # longer than any cursor issued
    ]
    for path in [p for p in PAGED if "/runs/1/" not in p]:  # no run 1: a 404 first
        for cursor in garbage:
            response = await admin.get(path, params={"cursor": cursor})
            assert response.status_code == 422, (path, cursor)
            assert [e["pointer"] for e in response.json()["errors"]] == ["#query/cursor"], path
    # A well-formed cursor whose value the sort column cannot hold (run ids are integers).
    wrong_type = await admin.get("/v1/grading/runs", params={"cursor": encode_cursor(["x"])})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"][0]["pointer"] == "#query/cursor"
    wrong_date = encode_cursor(["not a date", "N1"])
    events = await admin.get("/v1/loans/L1/limitation-events", params={"cursor": wrong_date})
    assert events.status_code == 422
    assert events.json()["errors"][0]["pointer"] == "#query/cursor"


async def test_issue13_a_fund_statement_pages_its_movements_in_posting_order(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin, {"OF-A": "HO/GZ/LS03"})
    for n in range(5):
        body = {"operation_id": f"d{n}", "on": "2026-01-15", "account": "risk_fund", "amount": "10"}
        await ok(admin.post("/v1/officers/OF-A/funds/deposits", json=body), 201)
    pages = await walk(admin, "/v1/officers/OF-A/funds", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [m["id"] for p in pages for m in p]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    first = await ok(admin.get("/v1/officers/OF-A/funds", params={"limit": 2}), 200)
    assert first["balances"]["risk_fund"] == "50.00"  # the balances cover every movement


async def test_issue13_a_dossier_pages_its_entries_and_counts_the_whole_of_it(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin, {"OF-A": "HO/GZ/LS03"})
    doc = {
        "kind": "document",
        "subtype": "contract",
        "title": "Labour contract",
        "occurred_on": "2026-01-02",
        "details": {"reference": "HR-77"},
    }
    url = "/v1/officers/OF-A/dossier"
    first = await ok(admin.post(url, json=doc | {"id": "c-1"}), 201)
    fixed = await ok(admin.post(url, json=doc | {"id": "c-2", "supersedes": first["id"]}), 201)
    pages = [await ok(admin.get(url, params={"limit": 1}), 200)]
    while pages[-1]["next_cursor"] is not None:
        params = {"limit": 1, "cursor": pages[-1]["next_cursor"]}
        pages.append(await ok(admin.get(url, params=params), 200))
    entries = [e for p in pages for e in p["items"]]
    manual = [e for e in entries if not e["automatic"]]
    assert [e["key"] for e in manual] == ["manual:OF-A:c-1", "manual:OF-A:c-2"]
    assert manual[0]["superseded_by"] == fixed["id"]  # the superseding entry is a page later
    assert len(pages) == len(entries)  # one entry a page
    assert {(p["current"], p["updated_within_a_year"]) for p in pages} == {(len(entries) - 1, True)}

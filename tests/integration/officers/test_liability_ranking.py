"""GET /v1/liability/ranking (O22, O23): responsible NPL balances from the ledger, ranked per
county; collection duty for the largest `bottom_count` (ties included), yellow cards above the
limit; only the caller's subtree is listed. Loans arrive through the ledger's HTTP intake."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.integration.officers.test_ledger import disbursed, event
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

LS03 = "HO/GZ/LS03"


def npl_loan(loan_id: str, officer: str, amount: str, org: str = LS03) -> list[dict[str, Any]]:
    """A loan of `officer` classed substandard: counted by O22 at its full balance."""
    officers = {"first_responsible": officer, "management_responsible": officer}
    return [
        disbursed(loan_id, amount, officers=officers) | {"org": org},
        event("loan.classified", loan_id, {"five_class": "substandard"}, org=org),
    ]


async def intake(app: FastAPI, events: list[dict[str, Any]]) -> None:
    async with client_as(app, caller(Role.PRODUCER, org="HO")) as producer:
        body = await ok(producer.post("/v1/ledger/events", json=events), 200)
        assert body["applied"] == len(events)


def by_id(ranking: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["officer_id"]: r for r in ranking["officers"]}


async def test_o22_o23_yellow_card_above_the_limit_and_subtree_scope(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-Y": LS03, "OF-N": "HO/GZ/LS04", "OF-SZ": "HO/SZ/BA02"})
    events = [
        *npl_loan("L-Y1", "OF-Y", "800000.00"),
        *npl_loan("L-Y2", "OF-Y", "200000.01"),
        disbursed("L-N1", "500000.00", officers={"management_responsible": "OF-N"})
        | {"org": "HO/GZ/LS04"},  # normal: not counted
        *npl_loan("L-S1", "OF-SZ", "3000000.00", org="HO/SZ/BA02"),
    ]
    await intake(app, events)
    async with client_as(app, caller(Role.VIEWER, org="HO/GZ")) as viewer:
        ranking = await ok(viewer.get("/v1/liability/ranking", params={"year": 2026}), 200)
    assert ranking["org"] == "HO/GZ"
    assert ranking["policy"]["bottom_count"] == 10
    assert ranking["policy"]["yellow_card_balance"] == "1000000"
    rows = by_id(ranking)
    assert set(rows) == {"OF-Y", "OF-N"}  # OF-SZ (Shenzhen) is another subtree
    y, n = rows["OF-Y"], rows["OF-N"]
    assert (y["npl_balance"], y["rank"], y["yellow_card"], y["collection_duty"]) == (
        "1000000.01",
        1,
        True,
        True,
    )
    assert (y["county"], y["org"], y["name"]) == ("Liwan", LS03, "Officer OF-Y")
    assert any("yellow card" in r for r in y["reasons"])
    assert (n["npl_balance"], n["rank"], n["yellow_card"], n["collection_duty"]) == (
        "0.00",
        2,
        False,
        False,
    )
    # Head office sees Shenzhen too; county narrows the listing.
    only = await ok(admin.get("/v1/liability/ranking", params={"county": "Bao'an"}), 200)
    assert [(r["officer_id"], r["yellow_card"]) for r in only["officers"]] == [("OF-SZ", True)]
    # Asking for another subtree's node is a 404.
    async with client_as(app, caller(Role.VIEWER, org="HO/GZ")) as viewer:
        far = await viewer.get("/v1/liability/ranking", params={"org": "HO/SZ"})
        assert far.status_code == 404, far.text


async def test_o23_bottom_count_cut_includes_ties_and_the_stored_policy(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    ids = [f"OF-{i:02d}" for i in range(1, 6)]
    await seed(admin, dict.fromkeys(ids, LS03))
    amounts = ["50000.00", "40000.00", "30000.00", "30000.00", "10000.00"]
    await intake(
        app, [e for i, a in zip(ids, amounts, strict=True) for e in npl_loan(f"L-{i}", i, a)]
    )
    await ok(admin.put("/v1/policies/liability/2026", json={"bottom_count": 3}), 200, 201)
    ranking = await ok(admin.get("/v1/liability/ranking", params={"year": 2026}), 200)
    assert ranking["policy"]["bottom_count"] == 3
    rows = by_id(ranking)
    assert [rows[i]["rank"] for i in ids] == [1, 2, 3, 3, 5]
    # The third place is tied: both officers at 30,000 go to collection duty.
    assert [rows[i]["collection_duty"] for i in ids] == [True, True, True, True, False]
    assert not any(r["yellow_card"] for r in rows.values())
    # Another year keeps the default of 10: everyone with a balance is on duty.
    default = by_id(await ok(admin.get("/v1/liability/ranking", params={"year": 2025}), 200))
    assert all(default[i]["collection_duty"] for i in ids)


async def test_o17_o23_a_loan_without_management_officer_counts_for_its_office_head(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-HEAD": LS03, "OF-Z": LS03})
    orphan = {"first_responsible": "OF-Z"}  # no management responsible officer (Art. 27)
    await intake(
        app,
        [
            disbursed("L-O1", "700000.00", officers=orphan) | {"org": LS03},
            event("loan.classified", "L-O1", {"five_class": "doubtful"}, org=LS03),
            *npl_loan("L-Z1", "OF-Z", "20000.00"),
        ],
    )
    before = by_id(await ok(admin.get("/v1/liability/ranking", params={"year": 2026}), 200))
    # No head named yet: the orphan loan is nobody's.
    assert (before["OF-HEAD"]["npl_balance"], before["OF-Z"]["npl_balance"]) == (
        "0.00",
        "20000.00",
    )
    await ok(
        admin.put(f"/v1/org-heads/{LS03}", json={"officer_id": "OF-HEAD", "since": "2024-01-01"}),
        200,
        201,
    )
    after = by_id(await ok(admin.get("/v1/liability/ranking", params={"year": 2026}), 200))
    # The same balance the head's own book shows (O17 fallback), ranked first in the county.
    assert (after["OF-HEAD"]["npl_balance"], after["OF-HEAD"]["rank"]) == ("700000.00", 1)
    assert (after["OF-Z"]["npl_balance"], after["OF-Z"]["rank"]) == ("20000.00", 2)

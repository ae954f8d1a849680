"""O32 stored vintage buy-out: each loan bought out once, recorded with who pays and who the
recoveries belong to; the officer's own amounts deducted through the O30 posting path."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

URL = "/v1/officers/OF-F/buyouts/vintage"
L1 = {"loan_id": "L1", "balance": "100000", "loan_date": "2000-05-01", "formed_year": 2001}
L3 = {"loan_id": "L3", "balance": "40000", "loan_date": "2004-01-01", "formed_year": 2005}
L5 = {
    "loan_id": "L5",
    "balance": "12345.67",
    "loan_date": "2008-03-01",
    "formed_year": 2010,
    "introduced_by": "EMP9",
}


def post(operation_id: str, year: int, loans: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"operation_id": operation_id, "on": f"{year}-03-01", "year": year, "loans": loans} | (
        extra
    )


async def test_o32_recorded_once_with_payer_and_recoveries_and_deducted_from_the_accounts(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin, {"OF-F": "HO/GZ/LS03"})
    deposit = {"operation_id": "d", "on": "2012-01-05", "account": "risk_fund", "amount": "10000"}
    await ok(admin.post("/v1/officers/OF-F/funds/deposits", json=deposit))
    first = await ok(admin.post(URL, json=post("v1", 2012, [L1, L3, L5])), 201)
    got = {r["loan_id"]: (r["status"], r["payer_id"], r["amount"]) for r in first["recorded"]}
    assert got == {
        "L1": ("due", "OF-F", "30000.00"),
        "L5": ("full_compensation", "EMP9", "12345.67"),
    }
    assert [(s["loan_id"], s["status"]) for s in first["skipped"]] == [("L3", "not_yet_due")]
    assert first["deducted"] == "30000.00"
    assert first["balances"]["risk_fund"] == "0.00"
    assert first["balances"]["shortfall"] == "20000.00"
    again = await admin.post(URL, json=post("v1", 2012, [L1, L3, L5]))
    assert again.status_code == 200
    assert again.json()["recorded"] == first["recorded"]
    assert again.json()["balances"] == first["balances"]
    clash = await admin.post(URL, json=post("v1", 2013, [L1]))
    assert clash.status_code == 409
    # With consent the officer buys out the rest in full: recoveries belong to it; L1 was
    # bought out already and is not charged twice.
    full = await ok(admin.post(URL, json=post("v2", 2013, [L1, L3], full_buyout_consent=True)), 201)
    assert [
        (r["loan_id"], r["status"], r["amount"], r["recoveries_to"]) for r in full["recorded"]
    ] == [("L3", "full_buyout", "40000.00", "OF-F")]
    assert [(s["loan_id"], s["status"]) for s in full["skipped"]] == [("L1", "already_bought_out")]
    listed = await ok(admin.get(URL))
    assert [(r["loan_id"], r["recoveries_to"]) for r in listed["items"]] == [
        ("L1", "bank"),
        ("L3", "OF-F"),
        ("L5", "bank"),
    ]
    statement = await ok(admin.get("/v1/officers/OF-F/funds"))
    assert statement["balances"]["shortfall"] == "60000.00"


async def test_o32_stored_bad_input_and_scope(app: FastAPI, admin: httpx.AsyncClient) -> None:
    await seed(admin, {"OF-F": "HO/GZ/LS03", "OF-S": "HO/SZ/BA02"})
    future = await admin.post(URL, json=post("b1", 2000, [L1]))
    assert future.status_code == 422
    assert future.json()["errors"][0]["pointer"] == "/loans/0/formed_year"
    dup = await admin.post(URL, json=post("b2", 2012, [L1, L1]))
    assert dup.status_code == 422
    assert dup.json()["errors"][0]["pointer"] == "/loans/1/loan_id"
    missing = await admin.post(URL, json={"year": 2012, "loans": [L1]})
    assert missing.status_code == 422
    assert "O32" in missing.text
    async with client_as(app, caller(Role.BRANCH, org="HO/GZ")) as branch:
        assert (await branch.get("/v1/officers/OF-S/buyouts/vintage")).status_code == 404
        assert (await branch.get(URL)).status_code == 200
        assert (await branch.post(URL, json=post("b3", 2012, [L1]))).status_code == 403
    async with client_as(app, caller(Role.RISK, org="HO/SZ")) as risk:
        assert (await risk.post(URL, json=post("b4", 2012, [L1]))).status_code == 404

"""The borrower register and the O20 lending restrictions over HTTP (and O23's bar on officers
on collection duty, see test_collection_duty.py): the what-if check, the checked creation of a
loan in the ledger (refused 409 naming the rule, nothing written), and the flags on loans that
arrived as disbursement events (kept, flagged)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.integration.officers.test_ledger import disbursed
from tests.integration.officers.test_liability_ranking import intake
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

LS03 = "HO/GZ/LS03"
BRANCH = caller(Role.BRANCH, org="HO/GZ", subject="gz-credit")
CLERK = caller(Role.SUB_BRANCH, org=LS03, subject="ls03-clerk")


def borrower(**kw: Any) -> dict[str, Any]:
    return {"org_id": LS03} | kw


def terms(borrower_id: str, amount: str = "8000.00", **kw: Any) -> dict[str, Any]:
    return {
        "borrower_id": borrower_id,
        "amount": amount,
        "collateral": "mortgage",
        "family_guarantee": "spouse",
        "officer_id": "OF-A",
        "on": "2026-03-10",
    } | kw


def new_loan(loan_id: str, borrower_id: str, **kw: Any) -> dict[str, Any]:
    body = terms(borrower_id, **kw)
    body.pop("on")
    return body | {
        "loan_id": loan_id,
        "org": LS03,
        "loan_date": "2026-03-10",
        "maturity_date": "2027-03-09",
    }


async def check(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    answer = await ok(client.post("/v1/lending/check", json=body), 200)
    assert answer["allowed"] is (not answer["violations"])
    return [v["code"] for v in answer["violations"]]


async def test_o20_borrower_register_put_get_scope_and_validation(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": LS03})
    body = borrower(sued=True, sued_on="2026-02-01", household_id="H-7")
    async with client_as(app, BRANCH) as branch:
        first = await branch.put("/v1/borrowers/B1", json=body)
        assert first.status_code == 201, first.text
        assert (await branch.put("/v1/borrowers/B1", json=body)).status_code == 200  # retry
        read = await ok(branch.get("/v1/borrowers/B1"), 200)
        bad = await branch.put("/v1/borrowers/B2", json=borrower(sued=True))
        wrong = await branch.put("/v1/borrowers/B2", json=borrower(amount="1"))
    assert (read["sued"], read["sued_on"], read["household_id"]) == (True, "2026-02-01", "H-7")
    assert read["updated_by"] == "gz-credit"
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/sued_on"
    assert "O20" in bad.text
    assert wrong.status_code == 422
    assert "O20" in wrong.text
    async with client_as(app, caller(Role.BRANCH, org="HO/SZ")) as other:
        assert (await other.get("/v1/borrowers/B1")).status_code == 404
        moved = await other.put("/v1/borrowers/B1", json=borrower(org_id="HO/SZ/BA02"))
        assert moved.status_code == 404
    async with client_as(app, CLERK) as clerk:  # the register is kept by branch/HO/risk
        assert (await clerk.put("/v1/borrowers/B3", json=borrower())).status_code == 403


async def test_o20_sued_borrower_refused_409_and_nothing_written(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin, {"OF-A": LS03})
    await ok(admin.put("/v1/borrowers/B1", json=borrower(sued=True, sued_on="2026-02-01")), 201)
    async with client_as(app, CLERK) as clerk:
        assert await check(clerk, terms("B1")) == ["sued"]
        refused = await clerk.post("/v1/loans", json=new_loan("L-1", "B1"))
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == "O20: borrower B1 sued on 2026-02-01: no new loans"
        assert refused.json()["errors"][0]["code"] == "sued"
        assert (await clerk.get("/v1/loans/L-1")).status_code == 404
        # An unregistered borrower with a clean loan is created, and a retry answers 200.
        made = await ok(clerk.post("/v1/loans", json=new_loan("L-2", "B-NEW")), 201)
        assert (made["loan"]["amount"], made["loan"]["first_responsible"]) == ("8000.00", "OF-A")
        assert made["check"]["allowed"] is True
        again = await clerk.post("/v1/loans", json=new_loan("L-2", "B-NEW"))
        assert again.status_code == 200
        other = await clerk.post("/v1/loans", json=new_loan("L-2", "B-NEW", amount="9000.00"))
        assert other.status_code == 409
        loan = await ok(clerk.get("/v1/loans/L-2"), 200)
    assert [(r["role"], r["source"]) for r in loan["responsibility"]] == [
        ("first", "http"),
        ("management", "http"),
    ]


async def test_o20_interest_on_hold_blocks_the_household_until_paid(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin, {"OF-A": LS03})
    hold = borrower(household_id="H-1", interest_on_hold=True, interest_on_hold_since="2025-09-30")
    await ok(admin.put("/v1/borrowers/B-FATHER", json=hold), 201)
    await ok(admin.put("/v1/borrowers/B-SON", json=borrower(household_id="H-1")), 201)
    son = await ok(admin.get("/v1/borrowers/B-SON"), 200)
    assert son["household_on_hold"] == ["B-FATHER"]
    assert await check(admin, terms("B-FATHER")) == ["interest_on_hold"]
    assert await check(admin, terms("B-SON")) == ["household_interest_on_hold"]
    # The interest is paid: the register is updated and the household may borrow again.
    await ok(admin.put("/v1/borrowers/B-FATHER", json=borrower(household_id="H-1")), 200)
    assert await check(admin, terms("B-SON")) == []


async def test_o20_joint_guarantee_from_10000_and_the_stored_policy(
    admin: httpx.AsyncClient,
) -> None:
    await seed(admin, {"OF-A": LS03})
    none = {"family_guarantee": "none"}
    assert await check(admin, terms("B1", "9999.99", **none)) == []
    assert await check(admin, terms("B1", "10000.00", **none)) == ["joint_guarantee"]
    proof = {"family_guarantee": "none_proven", "proof_ref": "village-cert-2026-17"}
    assert await check(admin, terms("B1", "30000.00", **proof)) == []
    bad = await admin.post("/v1/lending/check", json=terms("B1", family_guarantee="none_proven"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/proof_ref"
    await ok(
        admin.put("/v1/policies/liability/2026", json={"joint_guarantee_min_amount": "20000"}),
        200,
        201,
    )
    answer = await ok(admin.post("/v1/lending/check", json=terms("B1", "15000.00", **none)), 200)
    assert (answer["allowed"], answer["joint_guarantee_min_amount"]) == (True, "20000")
    refused = await admin.post("/v1/loans", json=new_loan("L-G", "B1", amount="25000.00", **none))
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("O20: amount 25000.00 >= 20000 needs a spouse")


async def test_o20_employee_terms_and_relatives_unsecured(admin: httpx.AsyncClient) -> None:
    await seed(admin, {"OF-A": LS03})
    await ok(admin.put("/v1/borrowers/B-EMP", json=borrower(employee_id="E-77")), 201)
    rel = borrower(relative_of="E-77", relation="son")
    await ok(admin.put("/v1/borrowers/B-REL", json=rel), 201)
    missing = await admin.post("/v1/lending/check", json=terms("B-EMP"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/rate"
    rates = {"rate": "0.0400", "standard_rate": "0.0435"}
    assert await check(admin, terms("B-EMP", **rates)) == ["employee_better_terms"]
    fair = {"rate": "0.0435", "standard_rate": "0.0435"}
    assert await check(admin, terms("B-EMP", **fair)) == []
    unsecured = {"collateral": "unsecured"}
    assert await check(admin, terms("B-REL", **unsecured)) == ["relative_unsecured"]
    refused = await admin.post("/v1/loans", json=new_loan("L-R", "B-REL", **unsecured))
    assert refused.status_code == 409
    assert "O20: borrower B-REL is a relative (son) of employee E-77" in refused.json()["detail"]
    await ok(admin.post("/v1/loans", json=new_loan("L-R", "B-REL", collateral="guaranteed")), 201)
    unknown = await admin.post("/v1/lending/check", json=terms("B1", officer_id="OF-NOPE"))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/officer_id"


async def test_o20_event_loans_are_kept_and_flagged(app: FastAPI, admin: httpx.AsyncClient) -> None:
    await seed(admin, {"OF-A": LS03})
    await ok(admin.put("/v1/borrowers/B1", json=borrower(sued=True, sued_on="2023-05-01")), 201)
    await ok(admin.put("/v1/borrowers/B-REL", json=borrower(relative_of="E-1")), 201)
    events = [
        disbursed("L-EV1", "50000.00") | {"borrower_id": "B1"},
        disbursed("L-EV2", "5000.00") | {"borrower_id": "B-REL"},
        disbursed("L-EV3", "5000.00", collateral_kind="mortgage") | {"borrower_id": "B-REL"},
    ]
    await intake(app, events)
    loan = await ok(admin.get("/v1/loans/L-EV1"), 200)
    assert loan["amount"] == "50000.00"  # the fact is kept
    flags = await ok(admin.get("/v1/loans/L-EV1/restrictions"), 200)
    # The event carries no guarantee: the 10,000 rule is not judged, only the suit.
    assert [(f["rule"], f["code"], f["source"]) for f in flags] == [("O20", "sued", "event")]
    relative = await ok(admin.get("/v1/loans/L-EV2/restrictions"), 200)
    assert [f["code"] for f in relative] == ["relative_unsecured"]
    assert await ok(admin.get("/v1/loans/L-EV3/restrictions"), 200) == []
    async with client_as(app, caller(Role.VIEWER, org="HO/SZ")) as other:
        assert (await other.get("/v1/loans/L-EV1/restrictions")).status_code == 404

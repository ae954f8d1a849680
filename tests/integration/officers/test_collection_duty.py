"""O23 over HTTP: the stored yearly collection duty (county ranking by responsible NPL balance,
yellow cards), the plans officers sign, their quarters, the resulting pay, post and lending
status, and the bar on new unsecured loans (O20 check) for officers on duty."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.integration.officers.test_liability_ranking import intake, npl_loan
from tests.support.auth import caller
from tests.support.officers import client_as, ok, seed

LS03 = "HO/GZ/LS03"
BRANCH = caller(Role.BRANCH, org="HO/GZ", subject="gz-credit")
RISK = caller(Role.RISK, org="HO", subject="risk-officer")


def plan(officer_id: str, targets: list[str], **kw: Any) -> dict[str, Any]:
    return {
        "id": f"CP-{officer_id}-2026",
        "officer_id": officer_id,
        "year": 2026,
        "targets": targets,
        "signed_on": "2026-07-05",
    } | kw


def loan_terms(officer_id: str, collateral: str) -> dict[str, Any]:
    return {
        "borrower_id": "B-ANY",
        "amount": "8000.00",
        "collateral": collateral,
        "family_guarantee": "spouse",
        "officer_id": officer_id,
        "on": "2026-08-01",
    }


async def setup(app: FastAPI, admin: httpx.AsyncClient) -> dict[str, Any]:
    """OF-1: 1,200,000 NPL (duty and yellow card); OF-2: 300,000 (duty); OF-3: none;
    OF-Z in Bao'an (another county and subtree): 50,000."""
    await seed(admin, {"OF-1": LS03, "OF-2": "HO/GZ/LS04", "OF-3": LS03, "OF-Z": "HO/SZ/BA02"})
    await intake(
        app,
        [
            *npl_loan("L-1", "OF-1", "1200000.00"),
            *npl_loan("L-2", "OF-2", "300000.00", org="HO/GZ/LS04"),
            *npl_loan("L-Z", "OF-Z", "50000.00", org="HO/SZ/BA02"),
        ],
    )
    async with client_as(app, BRANCH) as branch:
        return await ok(branch.post("/v1/collection/duty/2026", json={"on": "2026-06-30"}), 200)


async def test_o23_duty_run_stores_duty_and_yellow_cards_idempotently(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    run = await setup(app, admin)
    assert (run["year"], run["on"], run["changed"]) == (2026, "2026-06-30", 3)
    rows = {r["officer_id"]: r for r in run["officers"]}
    assert set(rows) == {"OF-1", "OF-2", "OF-3"}  # Liwan only: the branch's county
    one, two, three = rows["OF-1"], rows["OF-2"], rows["OF-3"]
    assert (one["npl_balance"], one["rank"], one["collection_duty"], one["yellow_card"]) == (
        "1200000.00",
        1,
        True,
        True,
    )
    assert (two["npl_balance"], two["collection_duty"], two["yellow_card"]) == (
        "300000.00",
        True,
        False,
    )
    assert (three["npl_balance"], three["collection_duty"]) == ("0.00", False)
    async with client_as(app, BRANCH) as branch:
        again = await ok(branch.post("/v1/collection/duty/2026", json={"on": "2026-06-30"}), 200)
        assert again["changed"] == 0
        listed = await ok(branch.get("/v1/collection/duty/2026"), 200)
        wrong = await branch.post("/v1/collection/duty/2026", json={"on": "2025-12-31"})
    assert [r["officer_id"] for r in listed["items"]] == ["OF-1", "OF-2", "OF-3"]
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["pointer"] == "/on"
    # The stored policy changes the cut: bottom_count 1 leaves OF-2 off duty on a re-run.
    await ok(admin.put("/v1/policies/liability/2026", json={"bottom_count": 1}), 200, 201)
    async with client_as(app, RISK) as risk:
        rerun = await ok(risk.post("/v1/collection/duty/2026", json={"on": "2026-06-30"}), 200)
    # Risk at the head office ranks every county: Bao'an is new (OF-Z), OF-1's reason names
    # the new cut, OF-2 leaves duty; OF-3 is unchanged.
    assert rerun["changed"] == 3
    assert {r["officer_id"]: r["collection_duty"] for r in rerun["officers"]}["OF-2"] is False
    async with client_as(app, caller(Role.VIEWER, org="HO/SZ")) as other:
        seen = await ok(other.get("/v1/collection/duty/2026"), 200)
        assert [r["officer_id"] for r in seen["items"]] == ["OF-Z"]  # Shenzhen sees its own only
        assert (await other.get("/v1/officers/OF-1/collection")).status_code == 404
    async with client_as(app, caller(Role.OFFICER, org=LS03, subject="OF-1")) as officer:
        denied = await officer.post("/v1/collection/duty/2026")
        assert denied.status_code == 403


async def test_o23_plan_signed_by_the_officer_met_and_missed(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await setup(app, admin)
    targets = ["100000.00", "100000.00", "150000.00", "150000.00"]  # year: 500,000
    async with client_as(app, caller(Role.OFFICER, org=LS03, subject="OF-1")) as of1:
        signed = await of1.post("/v1/collection-plans", json=plan("OF-1", targets))
        assert signed.status_code == 201, signed.text
        retry = await of1.post("/v1/collection-plans", json=plan("OF-1", targets))
        assert retry.status_code == 200
        changed = await of1.post("/v1/collection-plans", json=plan("OF-1", ["1", "1", "1", "1"]))
        assert changed.status_code == 409
        foreign = await of1.post("/v1/collection-plans", json=plan("OF-3", targets))
        assert foreign.status_code == 403
        short = await of1.post("/v1/collection-plans", json=plan("OF-1", targets[:3], id="X"))
        assert short.status_code == 422
        assert "O23" in short.text
    body = signed.json()
    assert (body["status"], body["year_target"], body["signed_by"]) == (
        "in_progress",
        "500000.00",
        "OF-1",
    )
    async with client_as(app, caller(Role.OFFICER, org=LS03, subject="OF-3")) as of3:
        none = await of3.post("/v1/collection-plans", json=plan("OF-3", targets))
        assert none.status_code == 409  # neither duty nor yellow card
        assert "O23" in none.json()["detail"]
    async with client_as(app, caller(Role.OFFICER, org="HO/GZ/LS04", subject="OF-2")) as of2:
        await ok(of2.post("/v1/collection-plans", json=plan("OF-2", ["50000"] * 4)), 201)
    status = await ok(admin.get("/v1/officers/OF-1/collection", params={"year": 2026}), 200)
    assert (status["state"], status["unsecured_lending"], status["lending"]) == (
        "in_progress",
        False,
        True,
    )
    # On duty: no new unsecured loans (O23 via the O20 check); a mortgage loan is fine.
    answer = await ok(admin.post("/v1/lending/check", json=loan_terms("OF-1", "unsecured")), 200)
    assert [(v["rule"], v["code"]) for v in answer["violations"]] == [
        ("O23", "officer_on_duty_unsecured")
    ]
    mortgage = await ok(admin.post("/v1/lending/check", json=loan_terms("OF-1", "mortgage")), 200)
    assert mortgage["allowed"] is True
    # OF-1 collects 520,000 over three quarters: met, normal pay, lending restored.
    async with client_as(app, BRANCH) as branch:
        for q, amount in ((1, "120000.00"), (2, "250000.00"), (3, "150000.00")):
            await ok(
                branch.post(
                    f"/v1/collection-plans/CP-OF-1-2026/quarters/{q}", json={"collected": amount}
                ),
                200,
            )
        same = await branch.post(
            "/v1/collection-plans/CP-OF-1-2026/quarters/3", json={"collected": "150000.00"}
        )
        assert same.status_code == 200
        other = await branch.post(
            "/v1/collection-plans/CP-OF-1-2026/quarters/3", json={"collected": "1.00"}
        )
        assert other.status_code == 409
        bad_q = await branch.post(
            "/v1/collection-plans/CP-OF-1-2026/quarters/5", json={"collected": "1.00"}
        )
        assert bad_q.status_code == 422
        # OF-2 collects 40,000 a quarter against 50,000: missed after Q4.
        for q in (1, 2, 3, 4):
            await ok(
                branch.post(
                    f"/v1/collection-plans/CP-OF-2-2026/quarters/{q}",
                    json={"collected": "40000.00"},
                ),
                200,
            )
    met = await ok(admin.get("/v1/officers/OF-1/collection", params={"year": 2026}), 200)
    assert (met["state"], met["pay"], met["post"], met["unsecured_lending"]) == (
        "met",
        "normal",
        "on_post",
        True,
    )
    assert met["plan"]["collected"] == "520000.00"
    assert [q["met"] for q in met["plan"]["quarters"]] == [True, True, True, None]
    missed = await ok(admin.get("/v1/officers/OF-2/collection", params={"year": 2026}), 200)
    assert (missed["state"], missed["pay"], missed["post"], missed["lending"]) == (
        "missed",
        "living_allowance",
        "off_post_collection",
        False,
    )
    assert missed["plan"]["shortfall"] == "40000.00"
    refused = await admin.post(
        "/v1/loans",
        json=loan_terms("OF-2", "mortgage")
        | {"loan_id": "L-NEW", "org": "HO/GZ/LS04", "maturity_date": "2027-07-31"},
    )
    assert refused.status_code == 422  # `on` is a check field, not a loan field
    created = loan_terms("OF-2", "mortgage")
    created.pop("on")
    created |= {
        "loan_id": "L-NEW",
        "org": "HO/GZ/LS04",
        "loan_date": "2026-08-01",
        "maturity_date": "2027-07-31",
    }
    off = await admin.post("/v1/loans", json=created)
    assert off.status_code == 409
    assert off.json()["detail"].startswith("O23: officer OF-2 missed the collection plan")
    async with client_as(app, caller(Role.VIEWER, org="HO/SZ")) as other:
        assert (await other.get("/v1/collection-plans/CP-OF-1-2026")).status_code == 404
    plan_read = await ok(admin.get("/v1/collection-plans/CP-OF-1-2026"), 200)
    assert plan_read["status"] == "met"

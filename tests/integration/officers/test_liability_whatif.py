"""`POST /v1/tolerance/compute` (O22, O26, O29) and `POST /v1/buyouts/retirement/compute`
(O33-O35): what-ifs over the loans in the body, answered per loan in O34 settlement order."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.apps import serve
from tests.support.auth import caller

INCOME = [
    {"year": 2023, "natural_person": "200000", "enterprise": "60000"},
    {"year": 2024, "natural_person": "300000", "enterprise": "100000"},
    {"year": 2025, "natural_person": "400000.33", "enterprise": "100000.11"},
]


def tolerance_body(**extra: Any) -> dict[str, Any]:
    loans = [
        {"loan_id": "old", "balance": "60000", "loan_class": "loss", "collateral": "guaranteed",
         "loan_date": "2010-01-01"},
        {"loan_id": "lapsed", "balance": "50000", "loan_class": "doubtful",
         "collateral": "mortgage", "loan_date": "2015-01-01", "limitation_lapsed": True},
        {"loan_id": "unsec", "balance": "20000.50", "loan_class": "normal", "overdue_days": 400,
         "collateral": "unsecured", "loan_date": "2020-01-01"},
        {"loan_id": "disposal", "balance": "99999", "loan_class": "loss", "overdue_days": 100,
         "collateral": "pledge", "in_disposal": True, "loan_date": "2000-01-01"},
        {"loan_id": "good", "balance": "5000", "loan_class": "normal",
         "collateral": "unsecured", "loan_date": "2021-01-01"},
    ]  # fmt: skip
    body: dict[str, Any] = {
        "exit_year": 2026,
        "branch_class": 2,
        "interest_income": INCOME,
        "loans": loans,
    }
    return body | extra


async def test_o26_tolerance_compute_counts_o22_and_allocates_in_o34_order(
    admin: httpx.AsyncClient,
) -> None:
    r = await admin.post("/v1/tolerance/compute", json=tolerance_body())
    assert r.status_code == 200, r.text
    body = r.json()
    # 10 % x 900,000.33 + 5 % x 260,000.11 = 103,000.0385 -> 103,000.04
    assert (body["tolerance"], body["window"], body["reduced"]) == (
        "103000.04",
        [2023, 2024, 2025],
        False,
    )
    assert [x["loan_id"] for x in body["loans"]] == ["lapsed", "unsec", "good", "disposal", "old"]
    by_id = {x["loan_id"]: x for x in body["loans"]}
    assert by_id["disposal"]["counted"] is False
    assert by_id["good"]["counted"] is False
    # 50,000 + 20,000.50 + 60,000 = 130,000.50 counted; the tolerance runs out in "old".
    assert body["npl_balance"] == "130000.50"
    assert (by_id["old"]["within_tolerance"], by_id["old"]["above_tolerance"]) == (
        "32999.54",
        "27000.46",
    )
    assert body["over_amount"] == "27000.46"
    assert body["within"] is False
    # 27,000.4615 / 103,000.0385 = 26.2 % over: the O29 band of 20-50 % -> 50 % share.
    assert (body["over_ratio"], body["over_tolerance_share"]) == ("0.2621", "0.50")


async def test_o26_class1_and_sub_branch_heads_at_sixty_percent(admin: httpx.AsyncClient) -> None:
    for extra in ({"branch_class": 1}, {"post": "sub_branch_head"}):
        r = await admin.post("/v1/tolerance/compute", json=tolerance_body(**extra, loans=[]))
        assert r.status_code == 200, r.text
        assert r.json()["tolerance"] == "61800.02"
        assert r.json()["within"] is True


async def test_o26_policy_from_the_year_and_body_overrides(admin: httpx.AsyncClient) -> None:
    put = await admin.put(
        "/v1/policies/liability/2026", json={"tolerance_rate_natural_person": "0.2"}
    )
    assert put.status_code == 201, put.text
    r = await admin.post("/v1/tolerance/compute", json=tolerance_body(loans=[]))
    assert r.json()["tolerance"] == "193000.07"  # 180,000.066 + 13,000.0055
    r = await admin.post(
        "/v1/tolerance/compute",
        json=tolerance_body(loans=[], policy={"tolerance_rate_enterprise": "0"}),
    )
    assert r.json()["tolerance"] == "180000.07"


async def test_o26_bad_input_names_the_field_and_rule(admin: httpx.AsyncClient) -> None:
    body = tolerance_body()
    body["loans"][2]["balance"] = "-1"
    r = await admin.post("/v1/tolerance/compute", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/loans/2/balance"
    assert r.json()["errors"][0]["detail"].startswith("O26")
    body = tolerance_body()
    body["loans"][1]["loan_id"] = "old"
    r = await admin.post("/v1/tolerance/compute", json=body)
    assert r.status_code == 422
    assert "/loans/1/loan_id" in r.text
    assert "O26" in r.text
    r = await admin.post("/v1/tolerance/compute", json=tolerance_body(policy={"bottom_count": 0}))
    assert r.status_code == 422
    assert "/policy/bottom_count" in r.text
    assert "O23" in r.text


def buyout_body(**extra: Any) -> dict[str, Any]:
    loans = [
        {"loan_id": "A", "balance": "100000", "loan_date": "2003-05-10",
         "collateral": "guaranteed", "formed_year": 2004},
        {"loan_id": "D", "balance": "50000", "loan_date": "2012-01-05",
         "collateral": "mortgage", "formed_year": 2013, "in_disposal": True},
        {"loan_id": "C", "balance": "300000.50", "loan_date": "2012-08-20",
         "collateral": "unsecured", "formed_year": 2013},
        {"loan_id": "B", "balance": "200000", "loan_date": "2007-03-01",
         "collateral": "unsecured", "formed_year": 2008, "limitation_lapsed": True},
    ]  # fmt: skip
    body: dict[str, Any] = {
        "year": 2026,
        "tolerance": "120000",
        "loans": loans,
        "funds": {"risk_fund": "30000", "post_deposit": "40000", "performance_pay": "25000"},
    }
    return body | extra


async def test_o33_o35_worked_example_in_settlement_order(app: FastAPI) -> None:
    async with serve(app, who=caller(Role.VIEWER)) as viewer:
        r = await viewer.post("/v1/buyouts/retirement/compute", json=buyout_body())
    assert r.status_code == 200, r.text
    body = r.json()
    rows = [(x["loan_id"], x["amount"], x["disposition"], x["unfunded"]) for x in body["loans"]]
    assert rows == [
        ("B", "20000.00", "settled", "0.00"),
        ("C", "60000.15", "settled", "0.00"),
        ("A", "5000.00", "settled", "0.00"),
        ("D", "15000.00", "escrow", "5000.15"),
    ]
    assert (body["total"], body["escrow"], body["unfunded"]) == ("100000.15", "15000.00", "5000.15")
    assert (body["from_risk_fund"], body["from_post_deposit"], body["from_performance_pay"]) == (
        "30000.00",
        "40000.00",
        "25000.00",
    )


async def test_o33_tolerance_computed_from_o26_inputs(admin: httpx.AsyncClient) -> None:
    body = buyout_body(tolerance=None, interest_income=INCOME, branch_class=2)
    r = await admin.post("/v1/buyouts/retirement/compute", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["tolerance"] == "103000.04"
    c = next(x for x in r.json()["loans"] if x["loan_id"] == "C")
    assert c["within_tolerance"] == "103000.04"


async def test_o33_o35_bad_input_names_the_field_and_rule(admin: httpx.AsyncClient) -> None:
    body = buyout_body()
    del body["loans"][0]["formed_year"]
    r = await admin.post("/v1/buyouts/retirement/compute", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/loans/0/formed_year"
    assert "O33" in r.text
    body = buyout_body()
    body["loans"][0] |= {"matured": False}
    del body["loans"][0]["formed_year"]
    r = await admin.post("/v1/buyouts/retirement/compute", json=body)
    assert r.status_code == 422
    assert "/loans/0/overdue_year" in r.text
    assert "O35" in r.text
    r = await admin.post("/v1/buyouts/retirement/compute", json=buyout_body(tolerance=None))
    assert r.status_code == 422
    assert "/tolerance" in r.text
    r = await admin.post("/v1/buyouts/retirement/compute", json=buyout_body(loans=[]))
    assert r.status_code == 422
    assert "/loans" in r.text
    assert "O33-O35" in r.text

"""O24 exit evaluation (what-if and from stored data), O25 transition, O27-O29 pay after exit
and O32 vintage buy-out over HTTP: worked numbers, 422 with pointer and rule, scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, officer, ok, seed

D = Decimal


def facts(**overrides: Any) -> dict[str, Any]:
    body = {"on": "2026-06-01", "gender": "male", "birth_date": "1975-03-10"}
    return body | overrides


async def test_o24_what_if_lists_every_condition_with_its_rule_text(
    admin: httpx.AsyncClient,
) -> None:
    stays = await ok(admin.post("/v1/exit/evaluate", json=facts(score="75")))
    assert stays["exits"] is False
    assert stays["held"] == []
    assert len(stays["conditions"]) == 7
    assert all(c["rule"].startswith("O24: ") for c in stays["conditions"])
    leaves = await ok(
        admin.post(
            "/v1/exit/evaluate",
            json=facts(score="59.99", failed_exams_in_row=2, birth_date="1970-06-01"),
        )
    )
    assert leaves["exits"] is True
    assert leaves["held"] == ["score", "failed_exams", "age"]
    assert leaves["exit_age_date"] == "2025-06-01"
    age = next(c for c in leaves["conditions"] if c["condition"] == "age")
    assert "above 55 for men or 45 for women" in age["rule"]
    # The head office's extension lifts the age condition only.
    extended = await ok(
        admin.post("/v1/exit/evaluate", json=facts(birth_date="1970-06-01", age_extended=True))
    )
    assert extended["held"] == []
    # On the 55th birthday itself the officer is not yet "above 55".
    birthday = await ok(
        admin.post("/v1/exit/evaluate", json=facts(on="2025-06-01", birth_date="1970-06-01"))
    )
    assert birthday["held"] == []


async def test_o24_policy_override_and_bad_input_are_422_with_pointer_and_rule(
    admin: httpx.AsyncClient,
) -> None:
    women = await ok(
        admin.post(
            "/v1/exit/evaluate",
            json=facts(gender="female", birth_date="1978-01-01", policy={"exit_age_women": 50}),
        )
    )
    assert women["held"] == []
    bad = await admin.post("/v1/exit/evaluate", json=facts(gender="other"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/gender"
    assert "O24" in bad.text
    bad_policy = await admin.post("/v1/exit/evaluate", json=facts(policy={"exit_age_men": 5}))
    assert bad_policy.status_code == 422
    assert bad_policy.json()["errors"][0]["pointer"] == "/policy/exit_age_men"
    far = await admin.post(
        "/v1/exit/evaluate", json=facts(on="9999-01-01", birth_date="9990-01-01")
    )
    assert far.status_code == 422
    assert far.json()["errors"][0]["pointer"] == "/on"
    born_later = await admin.post("/v1/exit/evaluate", json=facts(birth_date="2027-01-01"))
    assert born_later.status_code == 422
    assert born_later.json()["errors"][0]["pointer"] == "/birth_date"


async def test_o24_stored_officer_age_and_failed_exams_from_records_and_scope(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await seed(admin)
    body = officer("OF-X", birth_date="1970-01-15", gender="female")
    await ok(admin.post("/v1/officers", json=body), 201)
    await ok(admin.post("/v1/officers", json=officer("OF-SZ", "HO/SZ/BA02")), 201)
    for year in (2024, 2025):
        exam = {"id": f"Q{year}", "kind": "qualification", "held_on": f"{year}-03-15", "name": "Q"}
        await ok(admin.post("/v1/exams", json=exam))
        failed = {"results": [{"officer_id": "OF-X", "passed": False}]}
        await ok(admin.post(f"/v1/exams/Q{year}/results", json=failed))
    got = await ok(admin.get("/v1/officers/OF-X/exit", params={"on": "2026-01-10"}))
    assert got["officer_id"] == "OF-X"
    assert got["held"] == ["failed_exams", "age"]
    assert got["exit_age_date"] == "2015-01-15"
    sources = {c["condition"]: c["source"] for c in got["conditions"]}
    assert sources["failed_exams"] == "stored: 2 qualification exams"
    assert sources["score"] == "not_recorded"
    assert sources["illness"] == "query"
    # Before the second failure only one exam counts.
    early = await ok(admin.get("/v1/officers/OF-X/exit", params={"on": "2025-01-10"}))
    assert "failed_exams" not in early["held"]
    ill = await ok(admin.get("/v1/officers/OF-X/exit", params={"on": "2026-01-10", "illness": 1}))
    assert "illness" in ill["held"]
    async with client_as(app, caller(Role.BRANCH, org="HO/GZ")) as branch:
        assert (await branch.get("/v1/officers/OF-SZ/exit")).status_code == 404
        assert (await branch.get("/v1/officers/OF-X/exit")).status_code == 200
    bad = await admin.get("/v1/officers/OF-X/exit", params={"on": "soon"})
    assert bad.status_code == 422
    assert "O24" in bad.text


async def test_o25_transition_halves_the_book_and_checks_the_milestones(
    admin: httpx.AsyncClient,
) -> None:
    body = {"start": "2025-06-02", "book": "1000000.01", "balances": ["480000", "260000"]}
    got = await ok(admin.post("/v1/exit/transition/compute", json=body | {"on": "2027-06-01"}))
    assert [(m["deadline"], m["ceiling"], m["met"]) for m in got["milestones"]] == [
        ("2026-06-02", "500000.01", True),
        ("2027-06-02", "250000.00", False),
    ]
    assert got["lending_stops"] == "2027-06-02"
    assert got["collection_from"] == "2026-06-02"
    assert got["may_lend"] is True
    assert got["all_met"] is False
    after = await ok(
        admin.post(
            "/v1/exit/transition/compute",
            json={"start": "2025-06-02", "book": "1000", "on": "2027-06-02"},
        )
    )
    assert after["may_lend"] is False
    assert after["milestones"][0]["met"] is None
    too_many = await admin.post(
        "/v1/exit/transition/compute", json=body | {"balances": ["1", "1", "1"]}
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["pointer"] == "/balances/2"
    assert "O25" in too_many.text


QUARTERS = [
    {"target": "10000", "collected": "10000"},
    {"target": "10000", "collected": "8500"},
    {"target": "10000", "collected": "12000"},
    {"target": "10000", "collected": "5000"},
]


def pay_body(npl: str, **overrides: Any) -> dict[str, Any]:
    teller = {"teller_monthly_advance": "2000", "teller_volume_performance": "5000"}
    body = {
        "exit_year": 2025,
        "tolerance": "100000",
        "npl_balance": npl,
        "exit_grade_coefficient": "1.8",
        "teller_average_coefficient": "1.2",
        "quarters": [q | teller for q in QUARTERS],
    }
    return body | overrides


async def test_o29_quarter_by_quarter_no_back_pay_and_the_80_percent_share(
    admin: httpx.AsyncClient,
) -> None:
    """15 % over tolerance -> 80 % of the teller performance (5,000 -> 4,000) in quarters with
    collection >= 80 % of target. Q1 met: advances 3 x 2,000; Q2 missed (85 %): advances still
    paid (Q1 met), share paid; Q3 met but no advances (Q2 missed, no back pay); Q4 advances
    resume (Q3 met), 50 % collected: no share."""
    got = await ok(admin.post("/v1/exit/pay/compute", json=pay_body("115000")))
    assert (got["within_tolerance"], got["over_ratio"], got["share"]) == (False, "0.1500", "0.80")
    assert got["salary_coefficient"] == "1.2"
    assert got["coefficient_rule"].startswith("O29")
    rows = [
        (q["target_met"], q["months_advanced"], q["advance"], q["performance"], q["total"])
        for q in got["quarters"]
    ]
    assert rows == [
        (True, 3, "6000.00", "4000.00", "10000.00"),
        (False, 3, "6000.00", "4000.00", "10000.00"),
        (True, 0, "0.00", "4000.00", "4000.00"),
        (False, 3, "6000.00", "0.00", "6000.00"),
    ]
    assert (got["total_advance"], got["total_performance"]) == ("18000.00", "12000.00")
    assert "no back pay" in got["quarters"][2]["reasons"][0]
    # A missed quarter before the first one stops its advances.
    missed = await ok(
        admin.post("/v1/exit/pay/compute", json=pay_body("115000", previous_quarter_met=False))
    )
    assert missed["quarters"][0]["advance"] == "0.00"


async def test_o29_bands_50_percent_up_to_half_over_and_none_beyond(
    admin: httpx.AsyncClient,
) -> None:
    half = await ok(admin.post("/v1/exit/pay/compute", json=pay_body("150000")))
    assert (half["share"], half["quarters"][0]["performance"]) == ("0.50", "2500.00")
    beyond = await ok(admin.post("/v1/exit/pay/compute", json=pay_body("150000.01")))
    assert (beyond["share"], beyond["total_performance"]) == ("0", "0.00")
    odd = pay_body("120000")
    odd["quarters"][0]["teller_volume_performance"] = "3333.33"
    rounded = await ok(admin.post("/v1/exit/pay/compute", json=odd))
    # 20 % over is still the 80 % band: 3,333.33 x 0.8 = 2,666.664 -> 2,666.66
    assert (rounded["share"], rounded["quarters"][0]["performance"]) == ("0.80", "2666.66")


async def test_o28_within_tolerance_exit_grade_coefficient_and_teller_performance(
    admin: httpx.AsyncClient,
) -> None:
    got = await ok(admin.post("/v1/exit/pay/compute", json=pay_body("90000")))
    assert (got["within_tolerance"], got["salary_coefficient"]) == (True, "1.8")
    assert [q["total"] for q in got["quarters"]] == ["11000.00"] * 4
    assert got["coefficient_rule"].startswith("O28")


async def test_o27_exit_year_next_year_and_later(admin: httpx.AsyncClient) -> None:
    years = [
        {"year": 2025, "officer_rules_pay": "30000", "teller_average": "36000.50"},
        {"year": 2026, "interest_income_pay": "28000", "new_post_pay": "25000"},
        {"year": 2027, "interest_income_pay": "99000", "new_post_pay": "26000"},
    ]
    got = await ok(admin.post("/v1/exit/pay/compute", json={"exit_year": 2025, "years": years}))
    assert [(y["years_after_exit"], y["performance"]) for y in got["years"]] == [
        (0, "36000.50"),
        (1, "28000.00"),
        (2, "26000.00"),
    ]
    assert all(y["rule"].startswith("O27") for y in got["years"])
    assert got["quarters"] == []
    assert got["within_tolerance"] is None
    before = await admin.post(
        "/v1/exit/pay/compute", json={"exit_year": 2025, "years": [{"year": 2024}]}
    )
    assert before.status_code == 422
    assert before.json()["errors"][0]["pointer"] == "/years/0/year"
    lone = await admin.post("/v1/exit/pay/compute", json={"exit_year": 2025, "tolerance": "1"})
    assert lone.status_code == 422
    assert lone.json()["errors"][0]["pointer"] == "/npl_balance"
    assert "O29" in lone.text


VINTAGE_LOANS = [
    {"loan_id": "L1", "balance": "100000", "loan_date": "2000-05-01", "formed_year": 2001},
    {"loan_id": "L2", "balance": "50000.55", "loan_date": "1998-03-01", "formed_year": 1999},
    {"loan_id": "L3", "balance": "40000", "loan_date": "2004-01-01", "formed_year": 2005},
    {
        "loan_id": "L4",
        "balance": "8000",
        "loan_date": "2008-02-01",
        "formed_year": 2009,
        "relative_of_employee": True,
    },
    {
        "loan_id": "L5",
        "balance": "12345.67",
        "loan_date": "2008-03-01",
        "formed_year": 2010,
        "introduced_by": "EMP9",
    },
]


async def test_o32_vintage_compute_over_http_with_the_stored_policy_table(
    admin: httpx.AsyncClient,
) -> None:
    loans = [x | {"first_responsible": "FR1"} for x in VINTAGE_LOANS]
    got = await ok(admin.post("/v1/buyouts/vintage/compute", json={"year": 2012, "loans": loans}))
    assert got["due_vintage"] == 2001
    assert [(x["loan_id"], x["status"], x["amount"]) for x in got["loans"]] == [
        ("L1", "due", "30000.00"),
        ("L2", "due", "20000.22"),
        ("L3", "not_yet_due", "0.00"),
        ("L4", "full_compensation", "8000.00"),
        ("L5", "full_compensation", "12345.67"),
    ]
    assert got["total"] == "70345.89"
    assert got["by_payer"] == [
        {"payer_id": "EMP9", "amount": "12345.67"},
        {"payer_id": "FR1", "amount": "58000.22"},
    ]
    # The head office stores another table for 2012: the compute follows it.
    table = {"vintage_rates": {"11": "0.25", "13": "0.60"}}
    await ok(admin.put("/v1/policies/liability/2012", json=table), 201)
    stored = await ok(admin.get("/v1/policies/liability/2012"))
    assert stored["policy"]["vintage_rates"] == {"11": "0.25", "13": "0.60"}
    again = await ok(admin.post("/v1/buyouts/vintage/compute", json={"year": 2012, "loans": loans}))
    assert [x["amount"] for x in again["loans"][:2]] == ["25000.00", "30000.33"]
    consent = await ok(
        admin.post(
            "/v1/buyouts/vintage/compute",
            json={"year": 2012, "loans": loans, "full_buyout_consent": True},
        )
    )
    assert consent["loans"][2]["status"] == "full_buyout"
    assert consent["loans"][2]["recoveries_to"] == "FR1"


async def test_o32_bad_input_is_422_with_pointer_and_rule(admin: httpx.AsyncClient) -> None:
    loans = [x | {"first_responsible": "FR1"} for x in VINTAGE_LOANS]
    twice = await admin.post(
        "/v1/buyouts/vintage/compute", json={"year": 2012, "loans": [loans[0], loans[0]]}
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["pointer"] == "/loans/1/loan_id"
    future = await admin.post(
        "/v1/buyouts/vintage/compute", json={"year": 2000, "loans": [loans[0]]}
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["pointer"] == "/loans/0/formed_year"
    bad_table = await admin.post(
        "/v1/buyouts/vintage/compute",
        json={"year": 2012, "loans": loans, "policy": {"vintage_rates": {"11": "2"}}},
    )
    assert bad_table.status_code == 422
    assert bad_table.json()["errors"][0]["pointer"] == "/policy/vintage_rates/11"
    assert "O32" in bad_table.text
    no_officer = await admin.post(
        "/v1/buyouts/vintage/compute", json={"year": 2012, "loans": VINTAGE_LOANS}
    )
    assert no_officer.status_code == 422
    assert "O32" in no_officer.text
    put_bad = await admin.put(
        "/v1/policies/liability/2013", json={"vintage_rates": {"11": "0.5", "12": "0.1"}}
    )
    assert put_bad.status_code == 422
    assert put_bad.json()["errors"][0]["pointer"] == "/vintage_rates/12"


async def test_o35_unmatured_loans_successor_releases_or_bought_out_as_overdue_year(
    admin: httpx.AsyncClient,
) -> None:
    loans = [
        {
            "loan_id": "U1",
            "balance": "10000",
            "loan_date": "2024-01-01",
            "collateral": "guaranteed",
            "matured": False,
            "successor_accepted": True,
        },
        {
            "loan_id": "U2",
            "balance": "10000",
            "loan_date": "2024-02-01",
            "collateral": "guaranteed",
            "matured": False,
            "overdue_year": 2027,
        },
    ]
    got = await ok(
        admin.post(
            "/v1/buyouts/retirement/compute",
            json={"year": 2026, "tolerance": "0", "loans": loans},
        )
    )
    by_id = {x["loan_id"]: x for x in got["loans"]}
    assert (by_id["U1"]["disposition"], by_id["U1"]["amount"]) == ("successor", "0")
    assert (by_id["U2"]["vintage"], by_id["U2"]["amount"]) == (2027, "3000.00")
    missing = await admin.post(
        "/v1/buyouts/retirement/compute",
        json={"year": 2026, "tolerance": "0", "loans": [loans[1] | {"overdue_year": None}]},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/loans/0/overdue_year"

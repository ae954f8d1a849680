"""`POST /v1/grading/compute` exactly as the contract says (O6-O14 what-if, stores nothing),
with the worked examples at each boundary."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

CONTRACT_KEYS = {
    "officer_id",
    "score",
    "items",
    "deductions",
    "grade",
    "salary_coefficient",
    "caps",
    "explanation",
}


def row(officer_id: str = "a", **overrides: Any) -> dict[str, Any]:
    """Alone in its (county, class) an officer is at the peer average: 20 + 50 + quality."""
    body: dict[str, Any] = {
        "officer_id": officer_id,
        "county": "Liwan",
        "branch_class": 1,
        "loans_issued": 100,
        "interest_income": "50000.00",
        "new_npl_balance": "1000.00",
        "managed_balance": "100000.00",
        "failed_exams": 0,
        "fines": 0,
        "criticisms": 0,
        "serious_violations": 0,
    }
    return body | overrides


async def compute(
    client: httpx.AsyncClient, officers: list[dict[str, Any]], **extra: Any
) -> list[dict[str, Any]]:
    response = await client.post(
        "/v1/grading/compute", json={"year": 2025, "officers": officers, **extra}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results"}
    return list(body["results"])


async def test_o13_answer_has_the_contract_shape_and_full_breakdown(
    admin: httpx.AsyncClient,
) -> None:
    [r] = await compute(admin, [row(fines=1)])
    assert CONTRACT_KEYS <= set(r)
    assert r["items"] == {"volume": "20.00", "interest": "50.00", "quality": "30.00"}
    assert (r["score"], r["deductions"], r["grade"], r["salary_coefficient"], r["caps"]) == (
        "98.00",
        "2.00",
        1,
        "2.0",
        [],
    )
    assert r["breakdown"]["peer"]["average_interest_income"] == "50000.0000"
    assert any(line.startswith("O7 peers") for line in r["explanation"])
    assert r["explanation"][-1] == "Final grade 1, salary coefficient 2.0"


async def test_o7_peer_averages_are_taken_per_county_and_class_in_the_body(
    admin: httpx.AsyncClient,
) -> None:
    rs = await compute(
        admin,
        [
            row("a", loans_issued=120),
            row("b", loans_issued=80),
            row("c", loans_issued=10, county="Conghua"),
            row("d", loans_issued=10, branch_class=2),
        ],
    )
    points = {r["officer_id"]: r["items"]["volume"] for r in rs}
    assert points == {"a": "22.00", "b": "18.00", "c": "20.00", "d": "20.00"}


@pytest.mark.parametrize(
    ("overrides", "score", "grade", "coefficient"),
    [
        ({"fines": 5}, "90.00", 1, "2.0"),  # exactly 90
        ({"fines": 5, "new_npl_balance": "1001.00"}, "89.99", 2, "1.8"),
        ({"criticisms": 5}, "75.00", 2, "1.8"),  # exactly 75
        ({"criticisms": 5, "new_npl_balance": "1001.00"}, "74.99", 3, "1.6"),
        ({"criticisms": 8}, "60.00", 3, "1.6"),  # exactly 60
        ({"criticisms": 8, "new_npl_balance": "1001.00"}, "59.99", None, None),
    ],
)
async def test_o6_grades_at_each_threshold(
    admin: httpx.AsyncClient,
    overrides: dict[str, Any],
    score: str,
    grade: int | None,
    coefficient: str | None,
) -> None:
    [r] = await compute(admin, [row(**overrides)])
    assert (r["score"], r["grade"], r["salary_coefficient"]) == (score, grade, coefficient)


@pytest.mark.parametrize(
    ("npl", "caps", "grade"),
    [
        ("1500.00", [], 1),  # exactly at the 1.5 % tolerance: not above
        ("1501.00", ["npl_above_tolerance"], 2),
        ("2250.00", ["npl_above_tolerance"], 2),  # exactly 1.5 x tolerance
        ("2251.00", ["npl_above_tolerance", "npl_above_tolerance_factor"], 3),
    ],
)
async def test_o12_npl_caps_at_the_tolerance_and_at_one_and_a_half_times(
    admin: httpx.AsyncClient, npl: str, caps: list[str], grade: int
) -> None:
    [r] = await compute(admin, [row(new_npl_balance=npl, loans_issued=100)])
    assert (r["caps"], r["grade"]) == (caps, grade)
    assert float(r["score"]) >= 87  # the score keeps grade 1 or 2: only the cap lowers it


async def test_o12_tolerance_is_given_in_percent_by_the_policy(admin: httpx.AsyncClient) -> None:
    [r] = await compute(
        admin, [row(new_npl_balance="1600.00")], policy={"npl_tolerance_ratio": "2.0"}
    )
    assert (r["caps"], r["grade"]) == ([], 1)
    [r] = await compute(admin, [row(new_npl_balance="1600.00")])
    assert r["caps"] == ["npl_above_tolerance"]


async def test_o12_serious_violation_caps_the_grade_not_the_score(admin: httpx.AsyncClient) -> None:
    [r] = await compute(admin, [row(new_npl_balance="0", serious_violations=1)])
    assert (r["score"], r["grade"], r["caps"]) == ("100.00", 2, ["serious_violation"])


async def test_o8_o9_bonus_caps_plus_10_and_plus_20_are_reached(admin: httpx.AsyncClient) -> None:
    rs = await compute(
        admin,
        [
            row("top", loans_issued=300, interest_income="300.00"),
            row("z1", loans_issued=0, interest_income="0"),
            row("z2", loans_issued=0, interest_income="0"),
        ],
    )
    top, z1 = rs[0], rs[1]
    assert (top["items"]["volume"], top["items"]["interest"]) == ("30.00", "70.00")
    assert (z1["items"]["volume"], z1["items"]["interest"]) == ("10.00", "0.00")  # floor 0


async def test_o10_quality_floors_at_zero_and_o11_deductions_take_the_total_below_zero(
    admin: httpx.AsyncClient,
) -> None:
    [r] = await compute(admin, [row(new_npl_balance="5000.00", serious_violations=10)])
    assert r["items"]["quality"] == "0.00"
    assert (r["deductions"], r["score"], r["grade"]) == ("100.00", "-30.00", None)


async def test_o14_a_manager_is_graded_for_reference_with_the_post_coefficient(
    admin: httpx.AsyncClient,
) -> None:
    rs = await compute(admin, [row("m", post="sub_branch_head", criticisms=9), row("o")])
    m = rs[0]
    assert (m["grade"], m["salary_coefficient"]) == (None, "2.2")
    assert m["breakdown"]["reference_only"] is True


@pytest.mark.parametrize(
    ("body", "pointer", "rule"),
    [
        ({"officers": [row(loans_issued=-1)]}, "/officers/0/loans_issued", "O8"),
        ({"officers": [row(interest_income=1.5)]}, "/officers/0/interest_income", "O9"),
        ({"officers": [row(managed_balance="12.345")]}, "/officers/0/managed_balance", "O10"),
        ({"officers": [row(branch_class=4)]}, "/officers/0/branch_class", "O7"),
        ({"officers": [row(fines="two")]}, "/officers/0/fines", "O11"),
        ({"officers": [row(), row()]}, "/officers/1/officer_id", "O7"),
        (
            {"officers": [row()], "policy": {"grade1_min_score": "50"}},
            "/policy/grade2_min_score",
            "O6",
        ),
        (
            {"officers": [row()], "policy": {"npl_tolerance": "2"}},
            "/policy/npl_tolerance",
            "O6-O14",
        ),
        ({"officers": []}, "/officers", "O13"),
        ({"officers": [{"officer_id": "a"}]}, "/officers/0/county", "O7"),
    ],
)
async def test_o6_to_o14_bad_input_is_422_naming_field_and_rule(
    admin: httpx.AsyncClient, body: dict[str, Any], pointer: str, rule: str
) -> None:
    response = await admin.post("/v1/grading/compute", json={"year": 2025, **body})
    assert response.status_code == 422, response.text
    errors = {e["pointer"]: e["detail"] for e in response.json()["errors"]}
    assert pointer in errors, errors
    assert errors[pointer].startswith(f"{rule}:")


async def test_o15_what_if_stores_nothing(admin: httpx.AsyncClient) -> None:
    await compute(admin, [row()])
    assert (await admin.get("/v1/grading/runs")).json()["items"] == []

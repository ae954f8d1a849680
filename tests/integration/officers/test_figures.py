"""Yearly figures over the API and as a CSV import: row-numbered errors, all-or-nothing, and a
dry run that shows what would change (O7-O11, O13)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import client_as, figures, ok, seed

HEADER = "officer_id,loans_issued,interest_income,new_npl_balance,managed_balance"


@pytest.fixture
async def client(admin: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed(
        admin,
        {
            "OF-1": "HO/GZ/LS03",
            "OF-2": "HO/GZ/LS03/OF1",
            "OF-3": "HO/GZ/LS04",
            "OF-SZ": "HO/SZ/BA02",
            "OF-BR": "HO/GZ",
        },
    )
    return admin


async def csv_import(
    client: httpx.AsyncClient, text: str, *, dry_run: bool = False
) -> httpx.Response:
    return await client.post(
        "/v1/figures/2025/import",
        params={"dry_run": str(dry_run).lower()},
        content=text.encode(),
        headers={"content-type": "text/csv"},
    )


async def test_o8_to_o11_figures_over_the_api(client: httpx.AsyncClient) -> None:
    created = await client.put("/v1/officers/OF-2/figures/2025", json=figures(fines=None))
    assert created.status_code == 201
    body = created.json()
    assert (body["interest_income"], body["fines"], body["source"]) == ("50000.00", None, "api")
    updated = await client.put("/v1/officers/OF-2/figures/2025", json=figures(loans_issued=7))
    assert updated.status_code == 200
    assert updated.json()["loans_issued"] == 7
    assert (await ok(client.get("/v1/officers/OF-2/figures/2025")))["loans_issued"] == 7
    listed = (await client.get("/v1/figures/2025", params={"org": "HO/GZ/LS03"})).json()
    assert [f["officer_id"] for f in listed["items"]] == ["OF-2"]


@pytest.mark.parametrize(
    ("body", "pointer", "rule"),
    [
        (figures(loans_issued=-3), "/loans_issued", "O8"),
        (figures(interest_income="abc"), "/interest_income", "O9"),
        (figures(new_npl_balance=12.5), "/new_npl_balance", "O10"),
        (figures(criticisms=-1), "/criticisms", "O11"),
        (figures(county="Conghua"), "/county", "O7"),
        (figures(branch_class=3), "/branch_class", "O7"),
        (figures(bonus="1"), "/bonus", "O13"),
        ({"loans_issued": 1}, "/interest_income", "O9"),
    ],
)
async def test_o7_to_o11_bad_figures_name_the_field_and_rule(
    client: httpx.AsyncClient, body: dict[str, object], pointer: str, rule: str
) -> None:
    response = await client.put("/v1/officers/OF-1/figures/2025", json=body)
    assert response.status_code == 422, response.text
    errors = {e["pointer"]: e["detail"] for e in response.json()["errors"]}
    assert errors[pointer].startswith(f"{rule}:"), errors
    assert (await client.get("/v1/officers/OF-1/figures/2025")).status_code == 404


async def test_o7_an_officer_outside_a_classed_sub_branch_has_no_peer_group(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/v1/officers/OF-BR/figures/2025", json=figures())
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"].startswith("O7:")


async def test_o13_csv_errors_carry_row_numbers_and_nothing_is_written(
    client: httpx.AsyncClient,
) -> None:
    text = (
        "\n".join(
            [
                HEADER + ",fines,county",
                "OF-1,10,5000.00,0,100000.00,,Liwan",
                "OF-2,x,5000.00,0,100000.00,1,Liwan",  # line 3: loans not a number
                "OF-9,1,1,0,1,,",  # line 4: unknown officer
                "OF-3,1,1.234,0,1,,Liwan",  # line 5: more than 2 decimals
                "OF-1,1,1,0,1,,",  # line 6: OF-1 again
                "OF-SZ,1,1,0,1,,Liwan",  # line 7: county disagrees with the tree
            ]
        )
        + "\n"
    )
    response = await csv_import(client, text)
    assert response.status_code == 422
    problem = response.json()
    found = {e["pointer"]: e["detail"] for e in problem["errors"]}
    assert found == {
        "/rows/3/loans_issued": "row 3: O8: loans_issued must be an integer",
        "/rows/4/officer_id": "row 4: O13: officer OF-9 does not exist",
        "/rows/5/interest_income": (
            "row 5: O9: interest_income has more than 2 decimals (yuan to the fen)"
        ),
        "/rows/6/officer_id": "row 6: O13: officer OF-1 appears twice (also on line 2)",
        "/rows/7/county": "row 7: O7: county 'Liwan' is not HO/SZ/BA02's county \"Bao'an\"",
    }
    assert problem["detail"].startswith("nothing was imported: 5 problem(s) on 5 row(s)")
    assert (await client.get("/v1/officers/OF-1/figures/2025")).status_code == 404


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("", "/rows/1"),
        ("officer_id,loans_issued\n", "/rows/1/interest_income"),
        (HEADER + ",bonus\n", "/rows/1/bonus"),
        (HEADER + "\nOF-1,1,1\n", "/rows/2"),
        (HEADER + "\n", "/rows/1"),
    ],
)
async def test_o13_malformed_csv_files_are_refused(
    client: httpx.AsyncClient, text: str, pointer: str
) -> None:
    response = await csv_import(client, text)
    assert response.status_code == 422
    assert pointer in {e["pointer"] for e in response.json()["errors"]}


async def test_o13_dry_run_shows_what_would_change_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await ok(client.put("/v1/officers/OF-1/figures/2025", json=figures()))
    text = (
        "\n".join(
            [
                HEADER + ",failed_exams,fines,criticisms,serious_violations,performance_pay",
                "OF-1,100,50000.00,1000.00,100000.00,0,0,0,0,40000.00",  # unchanged
                "OF-2,80,45000,500,90000,,,,,",  # new; counts from the records
                "OF-3,90,40000.5,0,80000,1,0,0,0,",
            ]
        )
        + "\n"
    )
    dry = await ok(csv_import(client, text, dry_run=True))
    assert (dry["dry_run"], dry["rows"], dry["created"], dry["updated"], dry["unchanged"]) == (
        True,
        3,
        2,
        0,
        1,
    )
    by_id = {c["officer_id"]: c for c in dry["changes"]}
    assert by_id["OF-2"]["line"] == 3
    assert by_id["OF-2"]["action"] == "create"
    assert by_id["OF-2"]["changes"]["interest_income"] == {"from": None, "to": "45000.00"}
    assert by_id["OF-2"]["changes"]["fines"] == {"from": None, "to": None}
    assert (await client.get("/v1/officers/OF-2/figures/2025")).status_code == 404
    done = await ok(csv_import(client, text))
    assert (done["dry_run"], done["created"], done["updated"], done["unchanged"]) == (
        False,
        2,
        0,
        1,
    )
    assert (await ok(client.get("/v1/officers/OF-3/figures/2025")))["interest_income"] == "40000.50"
    changed = text.replace("OF-3,90,", "OF-3,95,")
    dry2 = await ok(csv_import(client, changed, dry_run=True))
    assert dry2["updated"] == 1
    assert dry2["changes"] == [
        {
            "line": 4,
            "officer_id": "OF-3",
            "action": "update",
            "changes": {"loans_issued": {"from": 90, "to": 95}},
        }
    ]
    again = await ok(csv_import(client, text))  # the same file again: nothing changes
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


@pytest.mark.usefixtures("client")
async def test_g4_csv_rows_outside_the_callers_subtree_are_unknown(app: FastAPI) -> None:
    text = HEADER + "\nOF-SZ,1,1,0,1\n"
    async with client_as(app, caller(Role.SUB_BRANCH, org="HO/GZ")) as gz:
        response = await csv_import(gz, text)
        assert response.status_code == 422
        assert response.json()["errors"][0]["detail"] == "row 2: O13: officer OF-SZ does not exist"
        assert (await gz.put("/v1/officers/OF-SZ/figures/2025", json=figures())).status_code == 404
    async with client_as(app, caller(Role.VIEWER)) as viewer:
        assert (await csv_import(viewer, text)).status_code == 403

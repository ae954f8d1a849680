"""Stored yearly grading runs over the recorded figures (O4-O6, O11, O14, O15) and their
approval: frozen grades, pay sheets, O5 exits, O6 withdrawals; reproducibility."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import (
    HEAD_OFFICE,
    SUB_BRANCH,
    appoint,
    certify,
    client_as,
    figures,
    ok,
    propose_and_approve,
    record,
    results,
    run,
    seed,
)

OFFICERS = {
    "OF-A": "HO/GZ/LS03",  # appointed 2024-03-01: protected in 2025, scores 55
    "OF-B": "HO/GZ/LS03/OF1",  # appointed 2021-06-01: protection over, scores 55
    "OF-C": "HO/GZ/LS03",  # appointed 2021-06-01, scores 100
    "OF-D": "HO/GZ/LS04",  # never appointed, scores 100
    "OF-M": "HO/GZ/LS04",  # sub-branch head (O14), scores 100
    "OF-CH": "HO/GZ/CH01",  # another county
}


@pytest.fixture
async def client(admin: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed(admin, OFFICERS)
    await ok(
        admin.patch(
            "/v1/officers/OF-M", json={"post": "sub_branch_head", "effective_date": "2020-01-01"}
        )
    )
    await certify(admin, ["OF-A", "OF-B", "OF-C"], year=2021)
    await appoint(admin, "OF-B", on="2021-06-01")
    await appoint(admin, "OF-C", on="2021-06-01")
    await appoint(admin, "OF-A", on="2024-03-01", pre_coefficient="1.70", pre_pay="50000.00")
    low = figures(criticisms=9)
    await record(
        admin,
        2025,
        {
            "OF-A": low,
            "OF-B": low,
            "OF-C": figures(),
            "OF-D": figures(),
            "OF-M": figures(),
            "OF-CH": figures(),
        },
    )
    return admin


async def test_o15_approval_freezes_grades_writes_pay_sheets_and_applies_o4_o5_o6_o14(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    draft = await run(client, org="HO/GZ")
    assert (draft["status"], draft["progress"]) == (
        "draft",
        {"state": "done", "done": 6, "total": 6, "error": None},
    )
    assert draft["summary"] == {"1": 4, "2": 0, "3": 0, "none": 2, "reference_only": 1}
    async with client_as(app, SUB_BRANCH) as sub, client_as(app, HEAD_OFFICE) as ho:
        early = await ho.post(f"/v1/grading/runs/{draft['id']}/approve")
        assert early.status_code == 409
        assert early.json()["detail"] == "O15: cannot approve a run that is draft"
        assert (await ho.post(f"/v1/grading/runs/{draft['id']}/propose")).status_code == 403
        await ok(sub.post(f"/v1/grading/runs/{draft['id']}/propose", json={"on": "2026-01-15"}))
        assert (await sub.post(f"/v1/grading/runs/{draft['id']}/approve")).status_code == 403
        inside = await ho.post(f"/v1/grading/runs/{draft['id']}/approve", json={"on": "2025-12-31"})
        assert inside.status_code == 422
        assert inside.json()["errors"][0]["pointer"] == "/on"
        approved = await ok(
            ho.post(f"/v1/grading/runs/{draft['id']}/approve", json={"on": "2026-01-20"})
        )
    assert approved["status"] == "approved"
    assert [(h["action"], h["actor"], h["by"], h["on"]) for h in approved["history"]] == [
        ("propose", "sub_branch", "sub-branch-clerk", "2026-01-15"),
        ("approve", "head_office", "ho-approver", "2026-01-20"),
    ]
    sheet = await ok(client.get("/v1/pay-sheets/2025", params={"org": "HO/GZ"}))
    lines = {line["officer_id"]: line for line in sheet["items"]}
    a, b, c, m = lines["OF-A"], lines["OF-B"], lines["OF-C"], lines["OF-M"]
    # O4: protected until 2026-03-01, disqualified -> kept at grade 3; floor = pre-appointment
    assert (a["grade"], a["salary_coefficient"], a["performance_pay"], a["protected"]) == (
        None,
        "1.70",
        "50000.00",
        True,
    )
    assert any("O4 disqualified during protection" in r for r in a["reasons"])
    # O5/O6: protection over, score 55 -> leaves the post, no coefficient
    assert (b["salary_coefficient"], b["leaves_post"], b["protected"]) == (None, True, False)
    assert any(r.startswith("O5 leaves the post") for r in b["reasons"])
    assert (c["grade"], c["salary_coefficient"], c["performance_pay"]) == (1, "2.00", "40000.00")
    assert (m["grade"], m["salary_coefficient"]) == (1, "2.20")  # O14: the post's coefficient
    assert any(r.startswith("O14 sub_branch_head") for r in m["reasons"])
    b_standing = await ok(client.get("/v1/officers/OF-B/qualification"))
    assert b_standing["status"] == "collection"
    assert not b_standing["certified"]
    [assignment] = b_standing["collection_assignments"]
    assert (assignment["start_date"], assignment["end_date"], assignment["status"]) == (
        "2026-01-20",
        "2026-07-19",
        "open",
    )
    a_standing = await ok(client.get("/v1/officers/OF-A/qualification"))
    assert a_standing["status"] == "on_post"
    assert a_standing["certified"]  # protected: stays
    grades = (await ok(client.get("/v1/officers/OF-C/grades")))["items"]
    assert grades == [
        {
            "officer_id": "OF-C",
            "year": 2025,
            "run_id": draft["id"],
            "score": "100.00",  # type: ignore[comparison-overlap]
            "grade": 1,
            "salary_coefficient": "2.00",
            "approved_on": "2026-01-20",
        }
    ]
    kinds = [e["kind"] for e in (await ok(client.get("/v1/officers/OF-B/dossier")))["items"]]
    assert {"grading", "pay", "collection", "certificate", "post"} <= set(kinds)


async def test_o15_an_approved_year_is_frozen_until_an_explicit_reopen(
    client: httpx.AsyncClient,
) -> None:
    first = await run(client, org="HO/GZ")
    await propose_and_approve(client, first["id"])
    again = await client.post(f"/v1/grading/runs/{first['id']}/recompute")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("O15:")
    edit = await client.put("/v1/officers/OF-C/figures/2025", json=figures(loans_issued=1))
    assert edit.status_code == 409
    assert edit.json()["detail"] == (
        f"O15: OF-C's 2025 grading is approved in run {first['id']}; reopen it first"
    )
    overlap = await client.post("/v1/grading/runs", json={"year": 2025, "org": "HO/GZ/LS03"})
    assert overlap.status_code == 409
    assert "reopen that run first" in overlap.json()["detail"]
    reopened = await ok(
        client.post(f"/v1/grading/runs/{first['id']}/reopen", json={"on": "2026-02-01"})
    )
    assert reopened["status"] == "reopened"
    # the approval's effects are undone: back on post, certificate restored, no pay sheet
    b = await ok(client.get("/v1/officers/OF-B/qualification"))
    assert (b["status"], b["certified"]) == ("on_post", True)
    assert b["collection_assignments"][0]["status"] == "cancelled"
    assert (await ok(client.get("/v1/pay-sheets/2025")))["items"] == []
    await ok(client.put("/v1/officers/OF-B/figures/2025", json=figures()))
    recomputed = await ok(
        client.post(f"/v1/grading/runs/{first['id']}/recompute", params={"wait": "true"})
    )
    assert recomputed["summary"]["none"] == 1
    await ok(client.post(f"/v1/grading/runs/{first['id']}/propose", json={"on": "2026-02-02"}))
    await ok(client.post(f"/v1/grading/runs/{first['id']}/approve", json={"on": "2026-02-02"}))
    lines = {x["officer_id"]: x for x in (await ok(client.get("/v1/pay-sheets/2025")))["items"]}
    assert lines["OF-B"]["grade"] == 1
    history = [
        h["action"] for h in (await ok(client.get(f"/v1/grading/runs/{first['id']}")))["history"]
    ]
    assert history == ["propose", "approve", "reopen", "propose", "approve"]


async def test_o15_a_stored_run_reproduces_its_results(client: httpx.AsyncClient) -> None:
    first = await run(client, org="HO/GZ")
    second = await run(client, org="HO/GZ")
    assert first["fingerprint"] == second["fingerprint"]
    assert await results(client, first["id"]) == await results(client, second["id"])
    verified = await ok(client.get(f"/v1/grading/runs/{first['id']}/verify"))
    assert (verified["identical"], verified["checked"], verified["mismatches"]) == (True, 6, [])
    # a sub-branch's own run grades its officers exactly as the county-wide run (O7 peers)
    own = await run(client, org="HO/GZ/LS03")
    assert own["progress"]["total"] == 3
    county = await results(client, first["id"])
    assert {k: v for k, v in county.items() if k in ("OF-A", "OF-B", "OF-C")} == await results(
        client, own["id"]
    )
    # other figures -> another fingerprint; back to the same figures -> the same one again
    await ok(client.put("/v1/officers/OF-D/figures/2025", json=figures(loans_issued=150)))
    changed = await ok(
        client.post(f"/v1/grading/runs/{second['id']}/recompute", params={"wait": "true"})
    )
    assert changed["fingerprint"] != first["fingerprint"]
    await ok(client.put("/v1/officers/OF-D/figures/2025", json=figures()))
    back = await ok(
        client.post(f"/v1/grading/runs/{second['id']}/recompute", params={"wait": "true"})
    )
    assert back["fingerprint"] == first["fingerprint"]
    assert await results(client, second["id"]) == await results(client, first["id"])


async def test_o15_progress_is_reported_as_done_over_total(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/grading/runs", json={"year": 2025})
    assert response.status_code in (201, 202)
    assert response.headers["location"] == f"/v1/grading/runs/{response.json()['id']}"
    started = response.json()
    assert started["progress"]["total"] == 6
    for _ in range(200):
        current = await ok(client.get(f"/v1/grading/runs/{started['id']}"))
        if current["progress"]["state"] != "computing":
            break
        await asyncio.sleep(0.02)
    assert current["progress"] == {"state": "done", "done": 6, "total": 6, "error": None}


async def test_o15_retries_with_an_idempotency_key_do_nothing_twice(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "run-2025-gz"}
    first = await client.post(
        "/v1/grading/runs", params={"wait": "true"}, json={"year": 2025}, headers=headers
    )
    repeat = await client.post("/v1/grading/runs", json={"year": 2025}, headers=headers)
    assert (first.status_code, repeat.status_code) == (201, 200)
    assert repeat.json()["id"] == first.json()["id"]
    run_id = first.json()["id"]
    step = {"Idempotency-Key": "propose-2025"}
    await ok(client.post(f"/v1/grading/runs/{run_id}/propose", headers=step))
    await ok(client.post(f"/v1/grading/runs/{run_id}/propose", headers=step))
    assert len((await ok(client.get(f"/v1/grading/runs/{run_id}")))["history"]) == 1
    plain = await client.post(f"/v1/grading/runs/{run_id}/propose")
    assert plain.status_code == 409
    assert plain.json()["detail"] == "O15: cannot propose a run that is proposed"


@pytest.mark.parametrize(
    ("body", "status", "pointer", "rule"),
    [
        ({"year": 2026}, 422, "/year", "O15"),  # not closed yet
        ({"year": 2024}, 422, "/year", "O15"),  # no recorded figures
        ({"year": 2025, "org": "HO/GZ", "county": "Bao'an"}, 422, "/county", "O7"),
        ({"year": 2025, "org": "HO/XX"}, 422, "/org", None),
    ],
)
async def test_o15_runs_need_a_closed_year_with_figures_in_the_scope(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, pointer: str, rule: str | None
) -> None:
    response = await client.post("/v1/grading/runs", json=body)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["pointer"] == pointer
    assert rule is None or error["detail"].startswith(f"{rule}:")


async def test_o7_a_county_run_grades_that_county_only_and_scope_is_enforced(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    county = await run(client, org="HO/GZ", county="Conghua")
    assert county["progress"]["total"] == 1
    assert list(await results(client, county["id"])) == ["OF-CH"]
    async with client_as(app, caller(Role.SUB_BRANCH, org="HO/SZ")) as sz:
        assert (await sz.get(f"/v1/grading/runs/{county['id']}")).status_code == 404
        assert (await sz.post(f"/v1/grading/runs/{county['id']}/propose")).status_code == 404
        outside = await sz.post("/v1/grading/runs", json={"year": 2025, "org": "HO/GZ"})
        assert outside.status_code == 403


async def test_o11_blank_counts_are_taken_from_the_records(client: httpx.AsyncClient) -> None:
    await ok(
        client.put(
            "/v1/officers/OF-D/figures/2025",
            json=figures(failed_exams=None, fines=None, criticisms=None),
        )
    )
    await ok(
        client.post(
            "/v1/exams",
            json={
                "id": "B2025",
                "kind": "business",
                "held_on": "2025-04-01",
                "name": "credit rules",
            },
        )
    )
    await ok(
        client.post(
            "/v1/exams/B2025/results", json={"results": [{"officer_id": "OF-D", "passed": False}]}
        )
    )

    def penalty(key: str, finding: str, on: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": key,
            "kind": "penalty",
            "subtype": finding,
            "title": key,
            "occurred_on": on,
            **extra,
        }

    await ok(client.post("/v1/officers/OF-D/dossier", json=penalty("p1", "fine", "2025-05-01")))
    wrong = await ok(
        client.post("/v1/officers/OF-D/dossier", json=penalty("p2", "fine", "2025-06-01"))
    )
    await ok(
        client.post(
            "/v1/officers/OF-D/dossier",
            json=penalty("p3", "other", "2025-06-02", supersedes=wrong["id"]),
        )
    )
    await ok(
        client.post("/v1/officers/OF-D/dossier", json=penalty("p4", "criticism", "2024-12-31"))
    )
    graded = await run(client, org="HO/GZ/LS04")
    d = (await results(client, graded["id"]))["OF-D"]
    assert d["breakdown"]["deductions"] | {} == {
        "failed_exams": 1,
        "fines": 1,
        "criticisms": 0,
        "serious_violations": 0,
        "points": "5.00",
    }
    assert d["count_sources"] == {
        "failed_exams": "records",
        "fines": "records",
        "criticisms": "records",
        "serious_violations": "figures",
    }


async def test_o6_to_o14_yearly_policy_is_stored_and_used_by_runs(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    default = await ok(client.get("/v1/policies/grading/2025"))
    assert (default["version"], default["policy"]["npl_tolerance_ratio"]) == (0, "1.5")
    async with client_as(app, SUB_BRANCH) as sub:
        assert (await sub.put("/v1/policies/grading/2025", json={})).status_code == 403
    stored = await client.put(
        "/v1/policies/grading/2025", json={"grade3_min_score": "50", "grade3_coefficient": 1.5}
    )
    assert stored.status_code == 201
    assert stored.json()["version"] == 1
    same = await client.put(
        "/v1/policies/grading/2025", json={"grade3_min_score": "50", "grade3_coefficient": "1.5"}
    )
    assert same.status_code == 200
    assert same.json()["version"] == 1
    bad = await client.put("/v1/policies/grading/2025", json={"volume_bonus_cap": "-1"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {
        "pointer": "/volume_bonus_cap",
        "detail": "O8: volume_bonus_cap must be at least 0, got -1",
    }
    graded = await run(client, org="HO/GZ")
    assert (graded["policy_version"], graded["policy"]["grade3_min_score"]) == (1, "50")
    a = (await results(client, graded["id"]))["OF-A"]
    assert (a["score"], a["grade"], a["salary_coefficient"]) == ("55.00", 3, "1.5")
    assert (await ok(client.get("/v1/policies/grading/2024")))["version"] == 0
    assert len(await ok(client.get("/v1/policies/grading/2025/history"))) == 1  # type: ignore[arg-type]
    ranking = await client.put("/v1/policies/ranking/2025", json={"bottom_count": 2})
    assert ranking.status_code == 201
    assert ranking.json()["policy"]["bottom_count"] == 2


async def test_o15_a_step_cannot_be_dated_before_the_previous_one(
    client: httpx.AsyncClient,
) -> None:
    graded = await run(client, org="HO/GZ")
    await ok(client.post(f"/v1/grading/runs/{graded['id']}/propose", json={"on": "2026-01-15"}))
    early = await client.post(f"/v1/grading/runs/{graded['id']}/approve", json={"on": "2026-01-14"})
    assert early.status_code == 422
    assert early.json()["errors"][0] == {
        "pointer": "/on",
        "detail": "O15: approve on 2026-01-14 is before the previous step (2026-01-15)",
    }
    assert (await ok(client.get(f"/v1/grading/runs/{graded['id']}")))["status"] == "proposed"

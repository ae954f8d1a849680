"""Exams and certificates (O1), the appointment workflow (O2), the annual review (O3), over
HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.officers import (
    COMMITTEE,
    RISK,
    SUB_BRANCH,
    appoint,
    certify,
    client_as,
    ok,
    seed,
)


@pytest.fixture
async def client(admin: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed(admin, {"OF-1": "HO/GZ/LS03", "OF-2": "HO/GZ/LS03/OF1", "OF-NEW": "HO/GZ/LS04"})
    await ok(admin.patch("/v1/officers/OF-NEW", json={"financial_work_start_date": "2024-09-01"}))
    return admin


async def test_o1_a_pass_issues_a_certificate_and_only_certified_officers_on_post_hold_loans(
    client: httpx.AsyncClient,
) -> None:
    before = await ok(client.get("/v1/officers/OF-1/qualification"))
    assert (before["certified"], before["may_hold_loans"], before["status"]) == (
        False,
        False,
        "candidate",
    )
    await certify(client, ["OF-1"], year=2023)
    certified = await ok(client.get("/v1/officers/OF-1/qualification"))
    assert certified["certified"]
    assert not certified["may_hold_loans"]  # not on post yet
    assert (
        certified["certificates"][0] | {"number": "QC-2023-OF-1", "year": 2023}
        == (certified["certificates"][0])
    )
    assert certified["certificates"][0]["issued_on"] == "2023-03-15"
    await appoint(client, "OF-1", on="2023-06-01")
    appointed = await ok(client.get("/v1/officers/OF-1/qualification"))
    assert appointed["may_hold_loans"]
    assert appointed["status"] == "on_post"
    assert appointed["protection_end"] == "2025-06-01"


async def test_o1_one_qualification_exam_a_year_and_results_are_not_overwritten(
    client: httpx.AsyncClient,
) -> None:
    await certify(client, ["OF-1"], year=2024)
    second = {"id": "Q2024-bis", "kind": "qualification", "held_on": "2024-10-01", "name": "again"}
    refused = await client.post("/v1/exams", json=second)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("O1: the head office holds one qualification exam")
    skill = {"id": "S2024", "kind": "skill", "held_on": "2024-10-01", "name": "skill test"}
    await ok(client.post("/v1/exams", json=skill))
    again = await ok(
        client.post(
            "/v1/exams/Q2024/results", json={"results": [{"officer_id": "OF-1", "passed": True}]}
        )
    )
    assert (again["recorded"], again["unchanged"]) == (0, 1)  # a retry changes nothing
    flipped = await client.post(
        "/v1/exams/Q2024/results", json={"results": [{"officer_id": "OF-1", "passed": False}]}
    )
    assert flipped.status_code == 409
    assert flipped.json()["detail"].startswith("O1:")
    unknown = await client.post(
        "/v1/exams/Q2024/results", json={"results": [{"officer_id": "OF-X", "passed": True}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/results/0/officer_id"


async def test_o2_workflow_records_each_step_with_who_and_when(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await certify(client, ["OF-2"], year=2023)
    body = {
        "id": "APP-1",
        "officer_id": "OF-2",
        "on": "2023-05-02",
        "pre_appointment_coefficient": "1.40",
        "pre_appointment_performance_pay": "28000.00",
    }
    async with (
        client_as(app, SUB_BRANCH) as sub,
        client_as(app, RISK) as risk,
        client_as(app, COMMITTEE) as committee,
    ):
        applied = await ok(sub.post("/v1/appointments", json=body), 201)
        assert (applied["status"], applied["missing_preconditions"]) == ("applied", [])
        assert (await sub.post("/v1/appointments", json=body)).status_code == 200  # retry
        early = await committee.post(
            "/v1/appointments/APP-1/committee-decision", json={"decision": "appoint"}
        )
        assert early.status_code == 409
        assert early.json()["detail"] == "O2: committee decision before risk department opinion"
        wrong_role = await sub.post(
            "/v1/appointments/APP-1/risk-opinion", json={"opinion": "favourable"}
        )
        assert wrong_role.status_code == 403
        await ok(
            risk.post(
                "/v1/appointments/APP-1/risk-opinion",
                json={"opinion": "favourable", "on": "2023-05-10", "note": "ok"},
            )
        )
        backwards = await committee.post(
            "/v1/appointments/APP-1/committee-decision",
            json={"decision": "appoint", "on": "2023-05-09"},
        )
        assert backwards.status_code == 422
        assert backwards.json()["errors"][0]["pointer"] == "/on"
        assert "O2" in backwards.json()["detail"]
        done = await ok(
            committee.post(
                "/v1/appointments/APP-1/committee-decision",
                json={"decision": "appoint", "on": "2023-05-20"},
            )
        )
    assert done["status"] == "appointed"
    steps = [
        (s["step"], s["outcome"], s["by_subject"], s["by_role"], s["on_date"])
        for s in done["steps"]
    ]
    assert steps == [
        ("application", "applied", "sub-branch-clerk", "sub_branch", "2023-05-02"),
        ("risk_opinion", "favourable", "risk-officer", "risk", "2023-05-10"),
        ("committee_decision", "appoint", "committee-secretary", "committee", "2023-05-20"),
    ]
    assert all(s["at"] for s in done["steps"])
    officer = await ok(client.get("/v1/officers/OF-2"))
    assert (officer["status"], officer["first_appointment_date"]) == ("on_post", "2023-05-20")
    assert officer["pre_appointment_coefficient"] == "1.40"
    again = await client.post("/v1/appointments", json={**body, "id": "APP-2"})
    assert again.status_code == 409
    assert again.json()["detail"] == "O2: the officer is already appointed"
    after = await client.post(
        "/v1/appointments/APP-1/risk-opinion", json={"opinion": "unfavourable"}
    )
    assert after.status_code == 409
    assert after.json()["detail"].startswith(
        "O2: risk department opinion after the committee decision"
    )


@pytest.mark.parametrize(
    ("setup", "missing"),
    [
        ("no_certificate", "a qualification certificate (O1)"),
        ("short_career", "at least 1 year of financial work"),
        ("bad_standing", "good standing"),
    ],
)
async def test_o2_an_incomplete_application_cannot_be_appointed_only_rejected(
    client: httpx.AsyncClient, setup: str, missing: str
) -> None:
    officer_id = "OF-NEW" if setup == "short_career" else "OF-1"
    if setup != "no_certificate":
        await certify(client, [officer_id], year=2025)
    if setup == "bad_standing":
        await ok(client.patch("/v1/officers/OF-1", json={"good_standing": False}))
    body = {
        "id": "APP-X",
        "officer_id": officer_id,
        "on": "2025-06-01",
        "pre_appointment_coefficient": "1.2",
        "pre_appointment_performance_pay": "0",
    }
    applied = await ok(client.post("/v1/appointments", json=body), 201)
    path = "/v1/appointments/APP-X"
    await ok(
        client.post(f"{path}/risk-opinion", json={"opinion": "unfavourable", "on": "2025-06-02"})
    )
    refused = await client.post(
        f"{path}/committee-decision", json={"decision": "appoint", "on": "2025-06-03"}
    )
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert detail.startswith("O2: an incomplete application cannot be appointed")
    assert missing in detail
    assert any(missing in m for m in applied["missing_preconditions"]) or setup == "short_career"
    rejected = await ok(
        client.post(f"{path}/committee-decision", json={"decision": "reject", "on": "2025-06-03"})
    )
    assert rejected["status"] == "rejected"
    assert (await ok(client.get(f"/v1/officers/{officer_id}")))["status"] == "candidate"
    decided = await client.post(f"{path}/committee-decision", json={"decision": "appoint"})
    assert decided.status_code == 409
    assert "already decided" in decided.json()["detail"]


async def test_o2_one_open_application_at_a_time(client: httpx.AsyncClient) -> None:
    body = {
        "id": "APP-A",
        "officer_id": "OF-1",
        "pre_appointment_coefficient": "1.2",
        "pre_appointment_performance_pay": "0",
    }
    await ok(client.post("/v1/appointments", json=body), 201)
    second = await client.post("/v1/appointments", json={**body, "id": "APP-B"})
    assert second.status_code == 409
    assert second.json()["detail"] == "O2: application APP-A is still in progress"
    bad = await client.post(
        "/v1/appointments", json={**body, "id": "APP-C", "pre_appointment_coefficient": "-1"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/pre_appointment_coefficient"
    assert bad.json()["errors"][0]["detail"].startswith("O2:")


async def test_o3_annual_review_unqualified_removes_the_officer_from_post(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    not_appointed = await client.post(
        "/v1/officers/OF-1/reviews", json={"year": 2024, "result": "good"}
    )
    assert not_appointed.status_code == 409
    assert not_appointed.json()["detail"].startswith("O3:")
    await certify(client, ["OF-1"], year=2023)
    await appoint(client, "OF-1", on="2023-06-01")
    async with client_as(app, SUB_BRANCH) as sub:
        forbidden = await sub.post(
            "/v1/officers/OF-1/reviews", json={"year": 2024, "result": "good"}
        )
        assert forbidden.status_code == 403
    async with client_as(app, COMMITTEE) as committee:
        good = await ok(
            committee.post(
                "/v1/officers/OF-1/reviews",
                json={"year": 2023, "result": "excellent", "on": "2024-01-10"},
            ),
            201,
        )
        assert good["result"] == "excellent"
        await ok(
            committee.post(
                "/v1/officers/OF-1/reviews",
                json={"year": 2024, "result": "unqualified", "on": "2025-01-12"},
            ),
            201,
        )
        changed = await committee.post(
            "/v1/officers/OF-1/reviews", json={"year": 2024, "result": "good"}
        )
        assert changed.status_code == 409
        assert changed.json()["detail"].startswith("O3:")
        bad = await committee.post(
            "/v1/officers/OF-1/reviews", json={"year": 2024, "result": "fine"}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["detail"].startswith("O3:")
    standing = await ok(client.get("/v1/officers/OF-1/qualification"))
    assert standing["status"] == "off_post"
    assert not standing["may_hold_loans"]
    assert [r["result"] for r in standing["reviews"]] == ["excellent", "unqualified"]
    posts = await ok(client.get("/v1/officers/OF-1/posts"))
    assert [(p["status"], p["start_date"], p["end_date"]) for p in posts] == [  # type: ignore[index]
        ("candidate", "2012-07-01", "2023-06-01"),
        ("on_post", "2023-06-01", "2025-01-12"),
        ("off_post", "2025-01-12", None),
    ]

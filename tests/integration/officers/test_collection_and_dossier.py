"""The O5 collection assignment's result deciding re-appointment, and the append-only dossier
(O16) with the entries exams, appointments, gradings and pay write by themselves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.auth import Role
from tests.support.auth import caller
from tests.support.officers import (
    appoint,
    certify,
    client_as,
    figures,
    ok,
    propose_and_approve,
    record,
    run,
    seed,
)


@pytest.fixture
async def client(admin: httpx.AsyncClient) -> httpx.AsyncClient:
    """OF-B leaves the post after the 2025 grading (score 55, protection over)."""
    await seed(admin, {"OF-B": "HO/GZ/LS03", "OF-C": "HO/GZ/LS03"})
    await certify(admin, ["OF-B", "OF-C"], year=2021)
    await appoint(admin, "OF-B", on="2021-06-01")
    await record(admin, 2025, {"OF-B": figures(criticisms=9), "OF-C": figures()})
    graded = await run(admin, org="HO/GZ")
    await propose_and_approve(admin, graded["id"], on="2026-01-20")
    return admin


async def assignment_of(client: httpx.AsyncClient, officer_id: str) -> dict[str, Any]:
    standing = await ok(client.get(f"/v1/officers/{officer_id}/qualification"))
    return dict(standing["collection_assignments"][-1])


async def test_o5_the_collection_result_waits_for_the_six_months(client: httpx.AsyncClient) -> None:
    a = await assignment_of(client, "OF-B")
    early = await client.post(
        f"/v1/collection-assignments/{a['id']}/result", json={"met": True, "on": "2026-07-18"}
    )
    assert early.status_code == 409
    assert (
        early.json()["detail"]
        == "O5: the collection assignment runs until 2026-07-19; no result before"
    )
    applied = await client.post(
        "/v1/appointments",
        json={
            "id": "RE-1",
            "officer_id": "OF-B",
            "pre_appointment_coefficient": "1.6",
            "pre_appointment_performance_pay": "0",
        },
    )
    assert applied.status_code == 409
    assert applied.json()["detail"].startswith("O5:")


async def test_o5_not_met_means_no_reappointment(client: httpx.AsyncClient) -> None:
    a = await assignment_of(client, "OF-B")
    done = await ok(
        client.post(
            f"/v1/collection-assignments/{a['id']}/result", json={"met": False, "on": "2026-07-19"}
        )
    )
    assert (done["status"], done["result_on"]) == ("not_met", "2026-07-19")
    refused = await client.post(
        "/v1/appointments",
        json={
            "id": "RE-1",
            "officer_id": "OF-B",
            "pre_appointment_coefficient": "1.6",
            "pre_appointment_performance_pay": "0",
        },
    )
    assert refused.status_code == 409
    assert (
        refused.json()["detail"] == "O5: the collection assignment was not met: no re-appointment"
    )
    flip = await client.post(
        f"/v1/collection-assignments/{a['id']}/result", json={"met": True, "on": "2026-08-01"}
    )
    assert flip.status_code == 409
    assert flip.json()["detail"] == "O5: the assignment is already not_met"
    reopen = await client.post(f"/v1/grading/runs/{a['run_id']}/reopen")
    assert reopen.status_code == 409
    assert reopen.json()["detail"].startswith("O15:")


async def test_o5_met_opens_the_way_back_through_o2(client: httpx.AsyncClient) -> None:
    a = await assignment_of(client, "OF-B")
    await ok(
        client.post(
            f"/v1/collection-assignments/{a['id']}/result", json={"met": True, "on": "2026-07-20"}
        )
    )
    assert (await ok(client.get("/v1/officers/OF-B")))["status"] == "off_post"
    body = {
        "id": "RE-2",
        "officer_id": "OF-B",
        "on": "2026-08-01",
        "pre_appointment_coefficient": "1.6",
        "pre_appointment_performance_pay": "0",
    }
    applied = await ok(client.post("/v1/appointments", json=body), 201)
    # O6 withdrew the certificate: the committee cannot appoint until a new one is earned
    assert applied["missing_preconditions"] == ["a qualification certificate (O1)"]
    posts = await ok(client.get("/v1/officers/OF-B/posts"))
    assert [p["status"] for p in posts] == ["candidate", "on_post", "collection", "off_post"]  # type: ignore[index]


async def test_o16_manual_entries_are_append_only_with_corrections_as_new_entries(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    doc = {
        "id": "contract-2026",
        "kind": "document",
        "subtype": "contract",
        "title": "Labour contract 2026",
        "occurred_on": "2026-01-02",
        "details": {"reference": "HR-77", "sha256": "ab12"},
    }
    first = await client.post("/v1/officers/OF-C/dossier", json=doc)
    assert first.status_code == 201
    assert (await client.post("/v1/officers/OF-C/dossier", json=doc)).status_code == 200
    clash = await client.post("/v1/officers/OF-C/dossier", json={**doc, "title": "other"})
    assert clash.status_code == 409
    assert clash.json()["detail"].startswith("O16:")
    fixed = await ok(
        client.post(
            "/v1/officers/OF-C/dossier",
            json={
                **doc,
                "id": "contract-2026-fix",
                "details": {"reference": "HR-78"},
                "supersedes": first.json()["id"],
            },
        ),
        201,
    )
    twice = await client.post(
        "/v1/officers/OF-C/dossier",
        json={**doc, "id": "contract-2026-fix2", "supersedes": first.json()["id"]},
    )
    assert twice.status_code == 409
    assert "already superseded" in twice.json()["detail"]
    auto = next(
        e for e in (await ok(client.get("/v1/officers/OF-C/dossier")))["items"] if e["automatic"]
    )
    not_auto = await client.post(
        "/v1/officers/OF-C/dossier", json={**doc, "id": "x", "supersedes": auto["id"]}
    )
    assert not_auto.status_code == 409
    bad_kind = await client.post(
        "/v1/officers/OF-C/dossier", json={**doc, "id": "y", "kind": "grading"}
    )
    assert bad_kind.status_code == 422
    assert bad_kind.json()["errors"][0]["pointer"] == "/kind"
    bad_sub = await client.post(
        "/v1/officers/OF-C/dossier", json={**doc, "id": "z", "subtype": "poem"}
    )
    assert bad_sub.status_code == 422
    assert bad_sub.json()["errors"][0]["detail"].startswith("O16:")
    dossier = await ok(client.get("/v1/officers/OF-C/dossier", params={"kind": "document"}))
    assert [(e["key"], e["superseded_by"]) for e in dossier["items"]] == [
        ("manual:OF-C:contract-2026", fixed["id"]),
        ("manual:OF-C:contract-2026-fix", None),
    ]
    assert dossier["items"][0]["details"] == {"reference": "HR-77", "sha256": "ab12"}  # kept
    async with client_as(app, caller(Role.VIEWER)) as viewer:
        assert (
            await viewer.post("/v1/officers/OF-C/dossier", json={**doc, "id": "v"})
        ).status_code == 403
        assert (await viewer.get("/v1/officers/OF-C/dossier")).status_code == 200


async def test_o16_exam_appointment_grading_and_pay_write_dossier_entries(
    client: httpx.AsyncClient,
) -> None:
    dossier = await ok(client.get("/v1/officers/OF-B/dossier"))
    titles = [(e["kind"], e["title"]) for e in dossier["items"]]
    kinds = [k for k, _t in titles]
    for kind in ("exam", "certificate", "appointment", "post", "grading", "pay", "collection"):
        assert kind in kinds, kind
    assert ("certificate", "O6 certificate QC-2021-OF-B withdrawn") in titles
    assert dossier["updated_within_a_year"] is True
    assert all(e["automatic"] for e in dossier["items"])
    pay = next(e for e in dossier["items"] if e["kind"] == "pay")
    assert pay["details"]["year"] == 2025
    assert pay["details"]["reasons"]
